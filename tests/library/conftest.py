"""Shared helpers: a project baked from the bundled template to run the library's tasks with,
real PNG files, a temporary luisy working dir, and the real luisy command."""

import os
import subprocess
import sys
import sysconfig
from pathlib import Path

from sample_project import PACKAGE, PROJECT_ROOT  # bakes the project; luigi reads its luigi.cfg

# isort: split
import luigi
import numpy as np
import pytest
from luisy import Config
from sample_pipeline.images import IMAGE_EXTENSIONS
from skimage import io

from spark_cluster import SparkCluster, java_missing

# Tests compare pixels exactly, so they write images in a lossless format this project reads.
LOSSLESS = [ext for ext in IMAGE_EXTENSIONS if ext in (".png", ".tif", ".tiff")]
EXT = LOSSLESS[0] if LOSSLESS else None
needs_lossless = pytest.mark.skipif(EXT is None, reason="no lossless image format configured")
TESTS = Path(__file__).resolve().parent


def directory_task_names():
    """The directory tasks of tasks.py in the order they are defined (more after `scaffold add
    task`): what a run reports and the sheet shows a column for."""
    from luisy_directory_tasks.commands.run import project_tasks
    from luisy_directory_tasks.task import DirectoryTask

    return [name for name, cls in project_tasks(PACKAGE).items() if issubclass(cls, DirectoryTask)]


def write_image(path, image):
    """Write `image` as a real image file at `path`, in the format its extension names."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    io.imsave(path, image, check_contrast=False)
    return path


def gradient(height=24, width=32, channels=3, dtype=np.uint8, seed=0):
    """A small, deterministic test image."""
    rng = np.random.default_rng(seed)
    shape = (height, width) if channels == 1 else (height, width, channels)
    top = np.iinfo(dtype).max
    return rng.integers(0, top, size=shape, endpoint=True).astype(dtype)


def luisy_command(working_dir, task="RedChannel", *extra, local_scheduler=True):
    """The luisy command line that runs `task` of this project in `working_dir`."""
    scripts = Path(sysconfig.get_path("scripts"))
    executable = scripts / "luisy"
    command = [str(executable)] if executable.exists() else [sys.executable, "-m", "luisy"]
    command += ["--module", f"{PACKAGE}.tasks", task, "--working-dir", str(working_dir), "--no-ask"]
    if local_scheduler:
        command.append("--local-scheduler")
    return command + list(extra)


def run_luisy(working_dir, task="RedChannel", *extra, env=None, local_scheduler=True):
    """Run the real luisy command in a subprocess from the project root."""
    return subprocess.run(
        luisy_command(working_dir, task, *extra, local_scheduler=local_scheduler),
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=600,
    )


def run_command(*args, cwd=PROJECT_ROOT, **kwargs):
    """Run `python -m <package> ARGS` as a user would, from the project root by default."""
    return subprocess.run(
        [sys.executable, "-m", PACKAGE, *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
        **kwargs,
    )


class Workspace:
    """A luisy working dir with this project's raw, interim and final folders."""

    def __init__(self, root):
        self.root = Path(root)
        self.project = self.root / PACKAGE
        self.raw = self.project / "raw"
        self.raw.mkdir(parents=True)

    @property
    def to_numpy(self):
        return self.project / "interim" / "ToNumpy"

    @property
    def red_channel(self):
        return self.project / "final" / "RedChannel"

    def outputs(self, folder):
        """Every file below `folder`, as {relative path: bytes}."""
        folder = Path(folder)
        return {
            path.relative_to(folder).as_posix(): path.read_bytes()
            for path in sorted(folder.rglob("*"))
            if path.is_file()
        }


def layer_contents(folder):
    """Sorted names in a layer folder, without the tasks' lock files (they stay by design)."""
    return sorted(path.name for path in Path(folder).iterdir() if not path.name.endswith(".lock"))


@pytest.fixture
def workspace(tmp_path):
    """An empty working dir, also set as luisy's working dir for in-process runs."""
    space = Workspace(tmp_path / "data")
    Config().set_param("working_dir", str(space.root))
    return space


@pytest.fixture
def lenient():
    """Turn on the lenient mode of directory tasks for one test."""
    config = luigi.configuration.get_config()
    config.set("directory_tasks", "lenient", "true")
    yield
    config.remove_option("directory_tasks", "lenient")


@pytest.fixture
def workers():
    """Set the number of worker processes of directory tasks for one test."""
    config = luigi.configuration.get_config()

    def use(count):
        config.set("directory_tasks", "workers", str(count))

    yield use
    config.remove_option("directory_tasks", "workers")


def build(*tasks):
    """Run tasks with luigi in this process (real targets, no hashing); return the summary."""
    return luigi.build(list(tasks), local_scheduler=True, detailed_summary=True)


@pytest.fixture(scope="session")
def spark_cluster(tmp_path_factory):
    """A real Spark standalone cluster on 127.0.0.1, one per test session: a master and two
    workers of one core each, whose executors import this folder's modules too. Stopped, with
    every process it started, when the session ends, whatever the tests did."""
    reason = java_missing()
    if reason:
        if os.environ.get("REQUIRE_SPARK_TESTS"):
            pytest.fail(reason)
        pytest.skip(reason)
    cluster = SparkCluster(tmp_path_factory.mktemp("spark"), workers=2, pythonpath=[TESTS])
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.stop()
