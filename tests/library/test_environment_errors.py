"""Failures of the machine are not bad files: they stop the run and are never recorded."""

import json
import os
import shutil
import signal
import subprocess

import luisy
import numpy as np
import pytest
from sample_pipeline.tasks import ExportDirectory

from luisy_directory_tasks.errors import (
    BadFilesError,
    OutOfMemoryError,
    WorkerDiedError,
)
from luisy_directory_tasks.task import DirectoryTask

from conftest import (
    EXT,
    PROJECT_ROOT,
    Workspace,
    gradient,
    luisy_command,
    needs_lossless,
    run_luisy,
    write_image,
)

pytestmark = needs_lossless


@luisy.interim
@luisy.requires(ExportDirectory)
class Hungry(DirectoryTask):
    """Asks for more memory than any machine has, for one image."""

    def transform(self, image):
        if image[0, 0, 0] == 0:
            return np.empty(1 << 52, dtype=np.uint8)
        return image


def test_memory_error_in_a_worker_stops_the_run_and_is_not_recorded(workspace, workers, lenient):
    workers(2)
    for index in range(8):
        image = gradient(seed=index)
        image[0, 0, 0] = 0 if index == 5 else 1
        write_image(workspace.raw / f"img{index}{EXT}", image)

    with pytest.raises(OutOfMemoryError, match="out of memory while processing") as caught:
        Hungry().run()

    assert f"img5{EXT}" in str(caught.value)
    assert "--directory-tasks-workers" in str(caught.value)
    assert "spark.executor" not in str(caught.value)
    assert not Hungry().output().exists()
    assert not (workspace.project / "interim" / "Hungry.json").exists()


def can_mount_tmpfs():
    if shutil.which("unshare") is None:
        return False
    probe = subprocess.run(
        ["unshare", "-rm", "sh", "-c", "mount -t tmpfs -o size=64k tmpfs /mnt"],
        capture_output=True,
    )
    return probe.returncode == 0


@pytest.mark.skipif(not can_mount_tmpfs(), reason="cannot mount a tmpfs in a user namespace")
def test_a_full_disk_stops_the_run_naming_the_folder_even_in_lenient_mode(tmp_path):
    space = Workspace(tmp_path / "data")
    for index in range(40):
        write_image(space.raw / f"img{index:02d}{EXT}", gradient(height=48, width=64, seed=index))
    interim = space.project / "interim"
    interim.mkdir()
    # A 128 KiB filesystem over interim/, in a mount namespace of the run alone; the folder is
    # listed from inside it once the run ends.
    command = luisy_command(space.root, "ToNumpy", "--directory-tasks-lenient")
    script = (
        f'mount -t tmpfs -o size=128k tmpfs "{interim}" && "$@"; code=$?;'
        f' ls -A "{interim}"; exit $code'
    )
    result = subprocess.run(
        ["unshare", "-rm", "sh", "-c", script, "sh", *command],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )

    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert f"no space left on the device of {interim}" in output
    assert "the outputs need about" in output
    assert "could not be processed" not in output
    assert "ToNumpy.json" not in result.stdout.splitlines()


def test_a_strict_run_retries_files_a_lenient_run_skipped(tmp_path):
    space = Workspace(tmp_path / "data")
    write_image(space.raw / f"good{EXT}", gradient())
    (space.raw / f"bad{EXT}").write_bytes(b"not an image")

    lenient_run = run_luisy(space.root, "ToNumpy", "--directory-tasks-lenient")
    assert lenient_run.returncode == 0, lenient_run.stdout + lenient_run.stderr
    again = run_luisy(space.root, "ToNumpy", "--directory-tasks-lenient")
    assert "ran successfully" not in again.stdout + again.stderr
    strict_run = run_luisy(space.root, "ToNumpy")

    assert strict_run.returncode != 0
    assert f"bad{EXT}" in strict_run.stdout + strict_run.stderr
    assert BadFilesError.__name__ in strict_run.stdout + strict_run.stderr
    write_image(space.raw / f"bad{EXT}", gradient(seed=1))
    assert run_luisy(space.root, "ToNumpy").returncode == 0
    manifest = json.loads((space.project / "interim" / "ToNumpy.json").read_text())
    assert manifest["skipped"] == [] and len(manifest["files"]["file"]) == 2


@luisy.interim
@luisy.requires(ExportDirectory)
class Doomed(DirectoryTask):
    """Its worker is killed on one image, as the out-of-memory killer would."""

    def transform(self, image):
        if image[0, 0, 0] == 0:
            os.kill(os.getpid(), signal.SIGKILL)
        return image


def test_a_worker_killed_by_the_system_stops_the_run_and_is_not_recorded(
    workspace, workers, lenient
):
    workers(2)
    for index in range(8):
        image = gradient(seed=index)
        image[0, 0, 0] = 0 if index == 3 else 1
        write_image(workspace.raw / f"img{index}{EXT}", image)

    with pytest.raises(WorkerDiedError, match="a worker process died"):
        Doomed().run()

    assert not (workspace.project / "interim" / "Doomed.json").exists()
