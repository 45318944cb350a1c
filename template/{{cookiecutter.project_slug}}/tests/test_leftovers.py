"""A run killed at any step of its commit, leftovers, output collisions and permissions."""

import os
import signal
import stat
import subprocess
import sys

import numpy as np
import pytest

from {{ cookiecutter.package_name }}.directory_tasks.errors import IdCollisionError
from {{ cookiecutter.package_name }}.tasks import ToNumpy

from conftest import EXT, PACKAGE, build, gradient, layer_contents, needs_lossless, write_image

pytestmark = needs_lossless

# Runs ToNumpy and kills itself with SIGKILL just before the n-th file-system step of the
# commit: 1 write the generation marker, 2 move the old folder aside, 3 move the staged
# folder into place, 4 write the manifest, 5 remove the old folder.
KILL_IN_COMMIT = """
import os, shutil, signal, sys
import luigi
from luisy import Config
from {package}.directory_tasks import staging
from {package}.tasks import ToNumpy

Config().set_param("working_dir", sys.argv[1])
step, calls = int(sys.argv[2]), []


def dying(function):
    def wrapper(*args, **kwargs):
        calls.append(function)
        if len(calls) == step:
            os.kill(os.getpid(), signal.SIGKILL)
        return function(*args, **kwargs)
    return wrapper


commit = staging.Staging.commit


def commit_and_die(self, manifest):
    os.replace, os.rename = dying(os.replace), dying(os.rename)
    shutil.rmtree = dying(shutil.rmtree)
    commit(self, manifest)


staging.Staging.commit = commit_and_die
luigi.build([ToNumpy()], local_scheduler=True)
"""


@pytest.mark.parametrize("step", [1, 2, 3, 4, 5])
def test_a_run_killed_at_any_step_of_its_commit_is_repaired_by_the_next(workspace, step):
    old = {f"img{index}": gradient(seed=index) for index in range(3)}
    for name, image in old.items():
        write_image(workspace.raw / f"{name}{EXT}", image)
    build(ToNumpy())
    new = gradient(seed=9)
    write_image(workspace.raw / f"img9{EXT}", new)

    killed = subprocess.run(
        [sys.executable, "-c", KILL_IN_COMMIT.format(package=PACKAGE), str(workspace.root),
         str(step)],
        capture_output=True,
    )  # fmt: skip

    assert killed.returncode == -signal.SIGKILL
    assert any(name.startswith(".ToNumpy.") for name in layer_contents(workspace.to_numpy.parent))
    build(ToNumpy())
    assert ToNumpy().complete()
    assert layer_contents(workspace.to_numpy.parent) == ["ToNumpy", "ToNumpy.json"]
    for name, image in {**old, "img9": new}.items():
        np.testing.assert_array_equal(np.load(workspace.to_numpy / f"{name}.npy"), image)


def test_leftovers_of_any_kind_are_removed(workspace):
    write_image(workspace.raw / f"a{EXT}", gradient())
    build(ToNumpy())
    layer = workspace.to_numpy.parent
    (layer / ".ToNumpy.replaced-0123").mkdir()
    (layer / ".ToNumpy.staging-file").write_text("a file where a folder was expected")
    os.symlink(layer / "nowhere", layer / ".ToNumpy.staging-link")

    assert ToNumpy().complete()

    assert layer_contents(layer) == ["ToNumpy", "ToNumpy.json"]


def test_a_file_where_another_needs_a_folder_is_an_output_collision(workspace):
    write_image(workspace.raw / f"a{EXT}", gradient(seed=1))
    write_image(workspace.raw / "a.npy" / f"b{EXT}", gradient(seed=2))

    with pytest.raises(IdCollisionError, match="collide") as caught:
        ToNumpy().run()

    assert f"a{EXT} and a.npy/b{EXT}" in str(caught.value)
    assert not ToNumpy().output().exists()


@pytest.fixture
def umask():
    """Set the process's umask for one test."""
    saved = os.umask(0o022)
    yield os.umask
    os.umask(saved)


@pytest.mark.parametrize("mask", [0o022, 0o027])
def test_committed_folders_and_files_follow_the_umask(workspace, umask, mask):
    umask(mask)
    write_image(workspace.raw / "sub" / f"a{EXT}", gradient())

    build(ToNumpy())

    folder, file = 0o777 & ~mask, 0o666 & ~mask
    for path in (workspace.to_numpy, workspace.to_numpy / "sub"):
        assert stat.S_IMODE(path.stat().st_mode) == folder, path
    for path in (workspace.to_numpy / "sub" / "a.npy", workspace.to_numpy.parent / "ToNumpy.json"):
        assert stat.S_IMODE(path.stat().st_mode) == file, path


def test_another_tasks_live_work_with_a_longer_name_is_left_alone(workspace):
    """Outputs named 'ToNumpy' and, say, 'ToNumpy.v2' (a parameter value): the leftovers of
    the first never include the second's staging folder or manifest draft."""
    write_image(workspace.raw / f"a{EXT}", gradient())
    build(ToNumpy())
    layer = workspace.to_numpy.parent
    (layer / ".ToNumpy.staging-dead").mkdir()
    (layer / ".ToNumpy.v2.staging-live").mkdir()
    (layer / f".ToNumpy.v2.json.{'0' * 32}.tmp").write_text("{}")

    assert ToNumpy().complete()

    assert layer_contents(layer) == [
        f".ToNumpy.v2.json.{'0' * 32}.tmp",
        ".ToNumpy.v2.staging-live",
        "ToNumpy",
        "ToNumpy.json",
    ]


def test_a_manifest_that_cannot_be_written_puts_the_earlier_result_back(workspace, monkeypatch):
    import errno

    from {{ cookiecutter.package_name }}.directory_tasks.manifests import ManifestTarget

    write_image(workspace.raw / f"a{EXT}", gradient(seed=1))
    build(ToNumpy())
    before = np.load(workspace.to_numpy / "a.npy")
    manifest = (workspace.to_numpy.parent / "ToNumpy.json").read_bytes()
    write_image(workspace.raw / f"a{EXT}", gradient(seed=2))

    def disk_full(self, manifest):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(ManifestTarget, "write", disk_full)
    assert not build(ToNumpy()).scheduling_succeeded

    np.testing.assert_array_equal(np.load(workspace.to_numpy / "a.npy"), before)
    assert (workspace.to_numpy.parent / "ToNumpy.json").read_bytes() == manifest
    assert layer_contents(workspace.to_numpy.parent) == ["ToNumpy", "ToNumpy.json"]
