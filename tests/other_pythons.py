"""The supported Pythons other than the running one, each in a venv with this repository's
`test` extra, running the library's suite.

They are started as soon as pytest has collected a contract test that needs them
(conftest.py's pytest_collection_finish), so that making the venvs (pip, about a minute each)
and the suites (mostly waiting for luisy runs and JVMs) go on beside the rest of the session
instead of after it. test_luisy_contract.py waits for them.
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
SUPPORTED_PYTHONS = ("3.11", "3.12", "3.13")
CURRENT = f"{sys.version_info.major}.{sys.version_info.minor}"
OTHERS = tuple(version for version in SUPPORTED_PYTHONS if version != CURRENT)
CONTRACT_TESTS = "tests/test_luisy_contract.py::"
STARTED = pytest.StashKey[dict]()  # {version: OtherPython}, started at collection


def find_python(version):
    """The newest pyenv Python `version`, else `python<version>` on PATH, else None."""
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    found = [
        path
        for path in pyenv.glob(f"{version}.*/bin/python")
        if re.fullmatch(rf"{re.escape(version)}\.\d+", path.parent.parent.name)
    ]
    if found:
        return str(max(found, key=lambda path: int(path.parent.parent.name.split(".")[-1])))
    return shutil.which(f"python{version}")


def clean_environment(**extra):
    """This process's environment without what tests/library set for its own session (its
    sample project and that project's luigi.cfg), plus `extra`."""
    left_out = ("SAMPLE_PROJECT", "LUIGI_CONFIG_PATH")
    return {**{k: v for k, v in os.environ.items() if k not in left_out}, **extra}


def run(*command, cwd, env=None):
    """Run `command`; a venv's python runs as if its venv were activated."""
    venv = Path(command[0]).parent.parent
    activated = {"VIRTUAL_ENV": str(venv)} if (venv / "pyvenv.cfg").is_file() else {}
    return subprocess.run(
        command,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=1800,
        env=clean_environment(**activated, **(env or {})),
    )


class OtherPython:
    """One other supported Python: its venv is made, and the library's suite started in it,
    on a thread of its own."""

    def __init__(self, version):
        self.version = version
        self.base = find_python(version)
        self.folder = Path(tempfile.mkdtemp(prefix=f"scaffold-venv-{version}-"))
        self.log = self.folder.with_name(self.folder.name + ".log")
        self.suite = None  # the library suite's process, once the venv is made
        self.failure = None  # why the venv could not be made
        self._thread = threading.Thread(target=self._prepare, daemon=True)
        if self.base is not None:
            self._thread.start()

    @property
    def python(self):
        return str(self.folder / "bin" / "python")

    def _prepare(self):
        for command in (
            [self.base, "-m", "venv", str(self.folder)],
            [self.python, "-m", "pip", "install", "-q", "-e", f"{REPO_ROOT}[test]"],
        ):
            result = run(*command, cwd=REPO_ROOT)
            if result.returncode:
                output = result.stdout[-3000:] + result.stderr[-3000:]
                self.failure = f"{' '.join(command[:4])} failed: {output}"
                return
        with open(self.log, "w") as output:
            self.suite = subprocess.Popen(
                [self.python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/library"],
                cwd=REPO_ROOT, stdout=output, stderr=subprocess.STDOUT, text=True,
                env=clean_environment(VIRTUAL_ENV=str(self.folder)),
            )  # fmt: skip

    def ready(self):
        """Wait until the venv is made; the python in it, or an AssertionError saying why not."""
        self._thread.join()
        assert self.failure is None, self.failure
        return self.python

    def close(self):
        """Stop the suite if it still runs, and remove the venv (about 1.3 GB)."""
        self._thread.join()
        if self.suite is not None and self.suite.poll() is None:
            self.suite.kill()
            self.suite.wait()
        shutil.rmtree(self.folder, ignore_errors=True)
        self.log.unlink(missing_ok=True)


def start(versions):
    """{version: OtherPython} for `versions`, each started."""
    return {version: OtherPython(version) for version in versions}


def start_if_needed(session):
    """Start the other Pythons when a collected contract test runs on one of them."""
    needed = {
        version
        for item in session.items
        if item.nodeid.startswith(CONTRACT_TESTS) and hasattr(item, "callspec")
        for version in item.callspec.params.values()
        if version in OTHERS
    }
    if needed and not session.config.option.collectonly:
        session.config.stash[STARTED] = start(OTHERS)
