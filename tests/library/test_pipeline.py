"""The pipeline end to end through the real luisy command, hashing included."""

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from sample_pipeline.images import IMAGE_EXTENSIONS

from conftest import (
    EXT,
    PACKAGE,
    PROJECT_ROOT,
    Workspace,
    gradient,
    layer_contents,
    needs_lossless,
    run_luisy,
    write_image,
)

pytestmark = needs_lossless


def add_images(raw):
    """One image of each kind the pipeline must handle; returns {id: image}."""
    images = {
        "rgb": gradient(channels=3, seed=1),
        "rgba": gradient(channels=4, seed=2),
        "gray": gradient(channels=1, seed=3),
        "deep/gray16": gradient(channels=1, dtype=np.uint16, seed=4),
        "cats/a.b": gradient(channels=3, seed=5),
    }
    for image_id, image in images.items():
        write_image(raw / f"{image_id}{EXT}", image)
    (raw / "README.txt").write_text("not an image")
    write_image(raw / f".hidden{EXT}", gradient(seed=6))
    return images


def mtimes(folder):
    return {p: p.stat().st_mtime_ns for p in sorted(Path(folder).rglob("*")) if p.is_file()}


def test_end_to_end_then_nothing_reruns(tmp_path):
    space = Workspace(tmp_path / "data")
    images = add_images(space.raw)

    # Without --local-scheduler: luigi.cfg in the project root makes the local one the default.
    first = run_luisy(space.root, local_scheduler=False)

    assert first.returncode == 0, first.stdout + first.stderr
    for image_id, image in images.items():
        array = np.load(space.to_numpy / f"{image_id}.npy", allow_pickle=False)
        assert array.dtype == image.dtype and array.shape == image.shape
        np.testing.assert_array_equal(array, image)
        red = np.load(space.red_channel / f"{image_id}.npy", allow_pickle=False)
        np.testing.assert_array_equal(red, image if image.ndim == 2 else image[:, :, 0])
        assert red.dtype == image.dtype
    assert sorted(p.name for p in space.red_channel.rglob("*.npy")) == sorted(
        Path(image_id).name + ".npy" for image_id in images
    )
    assert (space.project / ".luisy.hash").exists()
    before = mtimes(space.project / "interim") | mtimes(space.project / "final")

    second = run_luisy(space.root)

    assert second.returncode == 0, second.stdout + second.stderr
    assert "ran successfully" not in second.stdout + second.stderr
    assert mtimes(space.project / "interim") | mtimes(space.project / "final") == before


def test_editing_red_channel_reruns_only_red_channel(tmp_path):
    space = Workspace(tmp_path / "data")
    add_images(space.raw)
    source = tmp_path / "src"
    shutil.copytree(PROJECT_ROOT / "src" / PACKAGE, source / PACKAGE)
    env = {"PYTHONPATH": str(source)}
    assert run_luisy(space.root, env=env).returncode == 0
    to_numpy_before = mtimes(space.project / "interim")
    red_before = mtimes(space.project / "final")

    tasks = source / PACKAGE / "tasks.py"
    code = tasks.read_text()
    edited = code.replace("return red_channel(image)", "return red_channel(image) // 2")
    assert edited != code
    tasks.write_text(edited)
    result = run_luisy(space.root, env=env)

    assert result.returncode == 0, result.stdout + result.stderr
    assert mtimes(space.project / "interim") == to_numpy_before
    red_after = mtimes(space.project / "final")
    assert all(red_after[path] != red_before[path] for path in red_before if path.suffix == ".npy")
    output = result.stdout + result.stderr
    assert "1 RedChannel()" in output and "1 ToNumpy()" not in output.split("ran successfully")[1]


def test_failing_task_reports_bad_files_through_luisy(tmp_path):
    space = Workspace(tmp_path / "data")
    add_images(space.raw)
    (space.raw / f"broken{EXT}").write_bytes(b"\x89PNG broken")

    result = run_luisy(space.root)

    assert result.returncode != 0
    assert f"broken{EXT}" in result.stdout + result.stderr
    assert not space.to_numpy.exists()


def test_run_wrapper_adds_samples_and_runs_quietly(tmp_path):
    if ".png" not in IMAGE_EXTENSIONS:
        pytest.skip("the sample images are PNG files, which this project does not read")
    working_dir = tmp_path / "data"
    command = [sys.executable, "-m", PACKAGE]
    samples = subprocess.run(
        [*command, "samples", "--working-dir", str(working_dir)], capture_output=True, text=True
    )
    assert samples.returncode == 0, samples.stderr
    assert "Added 6 sample image(s)" in samples.stdout

    result = subprocess.run(
        [*command, "run", "--working-dir", str(working_dir)], capture_output=True, text=True
    )

    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "Execution Summary" in output
    assert "ToNumpy: wrote 6 file(s)" in output and "RedChannel: wrote 6 file(s)" in output
    assert "Environment Variable" not in output
    assert "DEBUG" not in output and "wont ask anything" not in output
    final = working_dir / PACKAGE / "final" / "RedChannel"
    assert (final / "cats" / "chelsea.npy").exists()
    assert np.load(final / "grayscale" / "camera.npy").ndim == 2


def test_run_wrapper_without_images_says_where_to_put_them(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", PACKAGE, "run", "--working-dir", str(tmp_path / "data")],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1  # the run cannot go on: nothing to read
    assert str(tmp_path / "data" / PACKAGE / "raw") in result.stderr
    assert "samples" in result.stderr


BUILD = """
import sys
import luigi
from luisy import Config
from {package}.tasks import RedChannel
Config().set_param("working_dir", sys.argv[1])
luigi.configuration.get_config().set("directory_tasks", "workers", sys.argv[2])
sys.exit(0 if luigi.build([RedChannel()], local_scheduler=True) else 1)
"""


def build_in_subprocess(working_dir, workers=1, **kwargs):
    """Start luigi on RedChannel in another process (no hashing: quicker to start)."""
    command = [sys.executable, "-c", BUILD.format(package=PACKAGE), str(working_dir), str(workers)]
    return subprocess.Popen(
        command,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group: killing it kills its workers too
        **kwargs,
    )


def committed_files(space, task):
    """The files of a task's folder, without the marker of the run that wrote them."""
    folder = {"ToNumpy": space.to_numpy, "RedChannel": space.red_channel}[task]
    return {k: v for k, v in space.outputs(folder).items() if k != ".generation"}


@pytest.fixture(scope="module")
def many_images(tmp_path_factory):
    """A raw folder of 300 images, and the outputs of a clean run over it."""
    clean = Workspace(tmp_path_factory.mktemp("clean") / "data")
    for index in range(300):
        write_image(clean.raw / f"batch{index % 3}" / f"img{index:04d}{EXT}", gradient(seed=index))
    assert build_in_subprocess(clean.root).wait() == 0
    return clean.raw, {task: committed_files(clean, task) for task in ("ToNumpy", "RedChannel")}


def wait_for(predicate, timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.002)
    return False


def staging_exists(layer_folder):
    if not layer_folder.exists():
        return False
    return any(".staging-" in path.name for path in layer_folder.iterdir())


@pytest.mark.parametrize("workers", [1, 2])
@pytest.mark.parametrize(
    ("layer", "delay"), [("interim", 0.0), ("interim", 0.1), ("final", 0.0), ("final", 0.2)]
)
def test_killed_run_leaves_no_partial_output_and_rerun_matches_clean_run(
    tmp_path, many_images, layer, delay, workers
):
    raw, reference = many_images
    space = Workspace(tmp_path / "data")
    space.raw.rmdir()
    shutil.copytree(raw, space.raw)

    process = build_in_subprocess(space.root, workers)
    try:
        assert wait_for(lambda: staging_exists(space.project / layer))
        time.sleep(delay)
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()

    for task, layer_name in (("ToNumpy", "interim"), ("RedChannel", "final")):
        if (space.project / layer_name / f"{task}.json").exists():
            assert committed_files(space, task) == reference[task]
    if layer == "final":  # ToNumpy had completed before the kill: its result is untouched
        assert committed_files(space, "ToNumpy") == reference["ToNumpy"]

    result = run_luisy(space.root)

    assert result.returncode == 0, result.stdout + result.stderr
    for task, layer_name in (("ToNumpy", "interim"), ("RedChannel", "final")):
        assert committed_files(space, task) == reference[task]
        hidden = [name for name in layer_contents(space.project / layer_name) if name[0] == "."]
        assert hidden == []
