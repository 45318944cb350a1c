"""Helpers for this project's tests: real curve files, a luisy working dir, the real commands."""

import subprocess
import sys
import sysconfig
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from luisy import Config

PACKAGE = "{{ cookiecutter.package_name }}"
PROJECT_ROOT = Path(__file__).resolve().parents[1]


def write_curve(path, times, values):
    """Write a real curve file at `path` (.csv or .parquet) with the columns time and value."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    frame = pd.DataFrame({"time": times, "value": values})
    if path.suffix == ".parquet":
        frame.to_parquet(path, index=False)
    else:
        frame.to_csv(path, index=False)
    return path


def sine(samples=50, seed=0):
    """(times, values): a small, deterministic, irregularly sampled curve."""
    rng = np.random.default_rng(seed)
    times = np.cumsum(rng.uniform(0.1, 0.5, samples))
    return times, np.sin(times) + rng.normal(0, 0.05, samples)


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
