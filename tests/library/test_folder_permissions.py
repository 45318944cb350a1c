"""Folders the user may not list or write: the run stops with one line and changes nothing. (A
folder skipped as unlistable would make its files look deleted and remove their outputs.)"""

import os
import shutil
import subprocess
import sys

import pytest
from sample_pipeline.tasks import ToNumpy

from luisy_directory_tasks.builds import one_build
from luisy_directory_tasks.errors import BadFilesError
from luisy_directory_tasks.inputs import input_files

from conftest import (
    EXT,
    PACKAGE,
    PROJECT_ROOT,
    Workspace,
    gradient,
    needs_lossless,
    write_image,
)

# Root reads any folder whatever its mode: as root, run without the two capabilities that
# allow it (setpriv keeps the user, so the interpreter under /root stays reachable).
DROP_READ_OVERRIDE = ["setpriv", "--bounding-set=-dac_override,-dac_read_search"]

pytestmark = [
    needs_lossless,
    pytest.mark.skipif(
        os.geteuid() == 0 and shutil.which("setpriv") is None,
        reason="running as root without setpriv: no way to make a folder unreadable",
    ),
]


def run_as_user(space, *args):
    """`python -m <package> run` as a user who gets no more than a folder's mode allows."""
    command = [sys.executable, "-m", PACKAGE, "run", "--working-dir", str(space.root), *args]
    if os.geteuid() == 0:
        command = DROP_READ_OVERRIDE + command
    return subprocess.run(command, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=600)


@pytest.fixture
def space(tmp_path):
    space = Workspace(tmp_path / "data")
    for name in ("top", "cats/chelsea", "cats/deep/tom", "dogs/rex"):
        write_image(space.raw / f"{name}{EXT}", gradient(seed=len(name)))
    yield space
    for folder in (space.raw / "cats", space.raw / "cats" / "deep"):
        if folder.exists():
            folder.chmod(0o755)  # so that pytest can remove it


def everything_below(folder):
    """{relative path: bytes} of every file below `folder` but the tasks' lock files (which
    hold the pid of the last run)."""
    return {
        path.relative_to(folder).as_posix(): path.read_bytes()
        for path in folder.rglob("*")
        if path.is_file() and path.suffix != ".lock"
    }


@pytest.mark.parametrize(
    "unlistable, lenient", [("cats", False), ("cats/deep", True)], ids=["strict", "lenient"]
)
def test_an_unlistable_raw_folder_stops_the_run_and_keeps_every_output(space, lenient, unlistable):
    first = run_as_user(space)
    assert first.returncode == 0, first.stdout + first.stderr
    before = everything_below(space.project)
    assert "final/RedChannel/cats/deep/tom.npy" in before

    (space.raw / unlistable).chmod(0)
    result = run_as_user(space, *(["--directory-tasks-lenient"] if lenient else []))

    (space.raw / unlistable).chmod(0o755)
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert f"cannot list the folder {space.raw / unlistable}" in output
    assert "Permission denied" in output and "Traceback" not in output
    assert everything_below(space.project) == before  # outputs and manifests alike

    again = run_as_user(space)
    assert again.returncode == 0, again.stdout + again.stderr
    assert everything_below(space.project) == before


def test_a_file_removed_between_listing_and_reading_stops_a_strict_run(workspace):
    for name in ("a", "b"):
        write_image(workspace.raw / f"{name}{EXT}", gradient())
    with one_build():  # the listing made here is the one run() works from, as in a luisy run
        assert len(input_files(ToNumpy().input())[0]) == 2
        (workspace.raw / f"b{EXT}").unlink()
        with pytest.raises(BadFilesError, match=f"b{EXT}: removed while this run read") as error:
            ToNumpy().run()

    assert "Run again to process the folder as it is now" in str(error.value)
    assert "Fix or remove" not in str(error.value)
    assert not workspace.to_numpy.exists() or not any(workspace.to_numpy.rglob("*.npy"))


def test_a_raw_folder_that_cannot_be_listed_is_named_not_called_empty(space):
    space.raw.chmod(0)
    try:
        result = run_as_user(space)
    finally:
        space.raw.chmod(0o755)

    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stderr.startswith(f"Error: cannot list the folder {space.raw} (Permission")
    assert "no images" not in result.stderr and "Traceback" not in result.stderr
    assert sorted(path.name for path in space.project.iterdir()) == ["raw"]


def test_an_output_folder_the_user_may_not_write_is_one_line_and_keeps_the_result(space):
    assert run_as_user(space).returncode == 0
    write_image(space.raw / f"new{EXT}", gradient(seed=9))
    before = everything_below(space.project)
    interim = space.project / "interim"
    interim.chmod(0o555)
    try:
        result = run_as_user(space)
    finally:
        interim.chmod(0o755)

    assert result.returncode == 1, result.stdout + result.stderr
    assert f"Error: cannot write {interim}/" in result.stderr
    assert "(Permission denied); nothing was committed" in result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert everything_below(space.project) == before
