"""Helpers for this project's tests: real image files, a luisy working dir, the real commands."""

import subprocess
import sys
import sysconfig
from pathlib import Path

import numpy as np
import pytest
from luisy import Config
from skimage import io

from {{ cookiecutter.package_name }}.images import IMAGE_EXTENSIONS

PACKAGE = "{{ cookiecutter.package_name }}"
PROJECT_ROOT = Path(__file__).resolve().parents[1]
# Tests compare pixels exactly, so they write images in a lossless format this project reads.
LOSSLESS = [ext for ext in IMAGE_EXTENSIONS if ext in (".png", ".tif", ".tiff")]
EXT = LOSSLESS[0] if LOSSLESS else None
needs_lossless = pytest.mark.skipif(EXT is None, reason="no lossless image format configured")


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


def run_command(*args):
    """Run `python -m <package> ARGS` from the project's folder, as a user does."""
    return subprocess.run(
        [sys.executable, "-m", PACKAGE, *map(str, args)],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )


def run_luisy(working_dir, task, *extra):
    """Run `task` with the real luisy command (hashing included) from the project's folder."""
    script = Path(sysconfig.get_path("scripts")) / "luisy"
    luisy = [str(script)] if script.exists() else [sys.executable, "-m", "luisy"]
    command = [*luisy, "--module", f"{PACKAGE}.tasks", task, "--working-dir", str(working_dir)]
    return subprocess.run(
        [*command, "--no-ask", "--local-scheduler", *extra],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )


class Workspace:
    """A luisy working dir with this project's raw folder in it."""

    def __init__(self, root):
        self.root = Path(root)
        self.raw = self.root / PACKAGE / "raw"
        self.raw.mkdir(parents=True)


@pytest.fixture
def workspace(tmp_path):
    """An empty working dir, also set as luisy's working dir for the tasks read in the test."""
    space = Workspace(tmp_path / "data")
    Config().set_param("working_dir", str(space.root))
    return space
