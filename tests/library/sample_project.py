"""The project the library's tests run: the bundled template baked once per test session,
with every default answer, and installed into this environment (editable, --no-deps) so that
luisy's hashing, the luisy command and Spark's workers find it as a user's project is found.
It is uninstalled and removed when the session ends; processes the tests start inherit it
(SAMPLE_PROJECT in their environment)."""

import atexit
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from cookiecutter.main import cookiecutter

REPO_ROOT = Path(__file__).resolve().parents[2]
PACKAGE = "sample_pipeline"
DISTRIBUTION = PACKAGE.replace("_", "-")
ENVIRONMENT = "SAMPLE_PROJECT"


def _pip(*args):
    result = subprocess.run(
        [sys.executable, "-m", "pip", *args], capture_output=True, text=True, timeout=600
    )
    if result.returncode:
        raise RuntimeError(f"pip {' '.join(args)} failed:\n{result.stderr[-3000:]}")


def _bake():
    folder = Path(tempfile.mkdtemp(prefix="library-tests-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    # The template's local Jinja extensions are imported from its folder.
    sys.path.insert(0, str(REPO_ROOT / "template" / "images"))
    try:
        project = cookiecutter(
            str(REPO_ROOT / "template" / "images"),
            no_input=True,
            output_dir=str(folder),
            extra_context={"project_name": "Sample Pipeline"},
        )
    finally:
        sys.path.remove(str(REPO_ROOT / "template" / "images"))
    _pip("install", "-q", "--no-deps", "--no-build-isolation", "-e", project)
    atexit.register(_pip, "uninstall", "-q", "-y", DISTRIBUTION)
    sys.path.insert(0, str(Path(project) / "src"))
    return Path(project)


def _project():
    # Inherited from the session that baked it, for the same environment only: a session in
    # another venv (the contract tests' other Pythons) bakes and installs its own.
    prefix, _, inherited = os.environ.get(ENVIRONMENT, "").partition(os.pathsep)
    if inherited and prefix == sys.prefix:
        return Path(inherited)
    project = _bake()
    os.environ[ENVIRONMENT] = f"{sys.prefix}{os.pathsep}{project}"
    # The project's settings, as when luigi runs from the project's folder.
    os.environ["LUIGI_CONFIG_PATH"] = str(project / "luigi.cfg")
    return project


PROJECT_ROOT = _project()
