"""A run killed at any step of its commit, leftovers, output collisions and permissions."""

import itertools
import json
import os
import signal
import stat
import subprocess
import sys

import numpy as np
import pytest
from luisy import Config
from sample_pipeline.tasks import ToNumpy

from luisy_directory_tasks.errors import IdCollisionError

from conftest import (
    EXT,
    PACKAGE,
    Workspace,
    build,
    gradient,
    layer_contents,
    needs_lossless,
    write_image,
)

pytestmark = needs_lossless

# Runs ToNumpy and kills itself with SIGKILL just before the n-th file-system step of its
# commit (a rename, a removal); prints how many steps there were when n is past the last.
KILL_IN_COMMIT = """
import os, shutil, signal, sys
import luigi
from luisy import Config
from luisy_directory_tasks import staging
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


def commit_and_die(self, *args, **kwargs):
    for module, name in [(os, "replace"), (os, "rename"), (os, "remove"), (os, "rmdir"),
                         (shutil, "rmtree")]:
        setattr(module, name, dying(getattr(module, name)))
    commit(self, *args, **kwargs)


staging.Staging.commit = commit_and_die
assert luigi.build([ToNumpy()], local_scheduler=True)
print("steps:", len(calls))
"""


def committed(target):
    """{id: array} of what a reader of `target` sees, None when it is not complete."""
    if not target.exists():
        return None
    return {os.path.relpath(path, target.folder)[:-4]: np.load(path) for path in target.read()}


def same(seen, expected):
    return (
        seen is not None
        and seen.keys() == expected.keys()
        and all(np.array_equal(seen[key], expected[key]) for key in expected)
    )


def earlier_result(space, kind):
    """Commit a first result, then change raw/ so that the next run commits in place (one
    image changed, one removed with its subfolder, one added) or swaps the whole folder (an
    output removed by hand, one image added). Returns (earlier images, new images)."""
    old = {"img0": gradient(seed=0), "img1": gradient(seed=1), "sub/img2": gradient(seed=2)}
    for name, image in old.items():
        write_image(space.raw / f"{name}{EXT}", image)
    build(ToNumpy())
    new = {**old, "img9": gradient(seed=9)}
    write_image(space.raw / f"img9{EXT}", new["img9"])
    if kind == "in place":
        new["img1"] = gradient(seed=11)
        write_image(space.raw / f"img1{EXT}", new["img1"])
        del new["sub/img2"]
        os.remove(space.raw / "sub" / f"img2{EXT}")
    else:
        os.remove(space.to_numpy / "img0.npy")
    return old, new


@pytest.mark.parametrize("kind", ["in place", "swap"])
def test_a_run_killed_at_each_step_of_its_commit_leaves_the_old_or_new_result(tmp_path, kind):
    """Kill the commit before each of its steps in turn: readers see the earlier result, the
    new one or an incomplete task, never a mix, and the next run ends with the new result."""
    seen = []
    for step in itertools.count(1):
        space = Workspace(tmp_path / f"step{step}")
        Config().set_param("working_dir", str(space.root))
        old, new = earlier_result(space, kind)

        killed = subprocess.run(
            [sys.executable, "-c", KILL_IN_COMMIT.format(package=PACKAGE), str(space.root),
             str(step)],
            capture_output=True, text=True,
        )  # fmt: skip

        if killed.returncode == 0:  # the commit has fewer steps than `step`
            assert f"steps: {step - 1}" in killed.stdout, killed.stdout + killed.stderr
            break
        assert killed.returncode == -signal.SIGKILL, killed.stderr
        result = committed(ToNumpy().output())
        seen.append("new" if same(result, new) else "old" if same(result, old) else result)
        assert seen[-1] in ("new", "old", None), f"step {step}: a mix of both results"
        build(ToNumpy())
        assert ToNumpy().complete()
        assert same(committed(ToNumpy().output()), new)
        assert layer_contents(space.to_numpy.parent) == ["ToNumpy", "ToNumpy.json"]
        assert not (space.to_numpy / "sub").exists() or "sub/img2" in new
    assert step > 5 and "new" in seen and None in seen, seen
    if kind == "in place":
        assert "old" in seen, seen


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

    from luisy_directory_tasks.manifests import ManifestTarget

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


def test_a_journal_that_is_not_ours_is_removed_unread(workspace, caplog):
    """A journal naming paths outside the task's folder is never acted on."""
    write_image(workspace.raw / f"a{EXT}", gradient())
    build(ToNumpy())
    layer = workspace.to_numpy.parent
    outside = workspace.root / "keep.npy"
    outside.write_bytes(b"not the task's")
    journal = {
        "generation": "1",
        "previous": "0",
        "staging": ".ToNumpy.staging-x",
        "retired": ["../../keep.npy"],
        "moved_in": [],
    }
    (layer / ".ToNumpy.journal").write_text(json.dumps(journal))

    assert ToNumpy().complete()

    assert outside.read_bytes() == b"not the task's"
    assert layer_contents(layer) == ["ToNumpy", "ToNumpy.json"]
    assert "is not a journal of this task" in caplog.text
