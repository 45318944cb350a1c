"""Bake each bundled template, install the project into this environment and run its own checks.

The project is installed with --no-deps: this environment already has what it needs (the `test`
extra mirrors the generated pyproject.toml, which test_dependencies_are_satisfied checks).
"""

import subprocess
import sys
import tomllib
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from tests.conftest import CURVES_TEMPLATE_DIR, HOSTILE_ANSWERS, TEMPLATE_DIR

pytestmark = pytest.mark.slow

# (template, answers): the image template with its defaults and with other answers; the curve
# template with other answers (its defaults are baked by test_curves_template.py).
ANSWERS = {
    "images, default": (TEMPLATE_DIR, {}),
    "images, non-default": (
        TEMPLATE_DIR,
        {
            **HOSTILE_ANSWERS,
            "project_name": "Tiff Curves",
            "package_name": "curves_pipeline",
            "image_extensions": "tif, png",
        },
    ),
    "curves, non-default": (
        CURVES_TEMPLATE_DIR,
        {**HOSTILE_ANSWERS, "project_name": "Bench Runs", "package_name": "bench_runs"},
    ),
}


def run(*command, cwd):
    return subprocess.run(
        [sys.executable, "-m", *command], cwd=cwd, capture_output=True, text=True, timeout=1800
    )


@pytest.fixture(scope="module", params=sorted(ANSWERS))
def installed_project(request, cookies_session):
    template, answers = ANSWERS[request.param]
    result = cookies_session.bake(template=str(template), extra_context=answers)
    assert result.exit_code == 0, result.exception
    project = Path(result.project_path)
    name = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))["project"][
        "name"
    ]
    install = run("pip", "install", "--no-deps", "--no-build-isolation", ".", cwd=project)
    assert install.returncode == 0, install.stderr
    yield project
    run("pip", "uninstall", "-y", name, cwd=project)


def test_generated_test_suite_passes(installed_project):
    result = run("pytest", "-q", "-p", "no:cacheprovider", cwd=installed_project)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert " passed" in result.stdout and " failed" not in result.stdout


def test_generated_project_passes_its_linter(installed_project):
    for command in (["ruff", "check", "."], ["ruff", "format", "--check", "."]):
        result = run(*command, "--no-cache", cwd=installed_project)
        assert result.returncode == 0, result.stdout + result.stderr


def test_dependencies_are_satisfied(installed_project):
    """The generated project's pins hold in this environment, so --no-deps hides nothing."""
    metadata = tomllib.loads((installed_project / "pyproject.toml").read_text(encoding="utf-8"))
    for line in metadata["project"]["dependencies"]:
        requirement = Requirement(line)
        try:
            installed = version(requirement.name)
        except PackageNotFoundError:
            pytest.fail(f"{requirement.name} is not installed; add it to the test extra")
        assert requirement.specifier.contains(installed, prereleases=True), (line, installed)
