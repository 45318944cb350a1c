"""Bake the bundled template with pytest-cookies and check what it writes."""

import json
import py_compile
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from scaffold.provenance import read_provenance
from tests.conftest import HOSTILE_ANSWERS, TEMPLATE_DIR

EXPECTED_FILES = [
    ".gitignore",
    ".pre-commit-config.yaml",
    ".github/workflows/ci.yml",
    ".scaffold.json",
    "README.md",
    "luigi.cfg",
    "pyproject.toml",
    "src/{package}/__init__.py",
    "src/{package}/__main__.py",
    "src/{package}/images.py",
    "src/{package}/tasks.py",
    "tests/conftest.py",
    "tests/test_images.py",
    "tests/test_pipeline.py",
]
# The project holds its user's code only; the machinery is the library's (issue 21's goals).
MOST_LINES = {"src": 300, "tests": 300}


def bake(cookies, **answers):
    result = cookies.bake(template=str(TEMPLATE_DIR), extra_context=answers)
    assert result.exception is None, result.exception
    assert result.exit_code == 0
    return Path(result.project_path)


def check_project(project, package):
    for relative in EXPECTED_FILES:
        assert (project / relative.format(package=package)).is_file(), relative
    for path in project.rglob("*.py"):
        py_compile.compile(str(path), doraise=True)
    tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))
    for command in (["check", "."], ["format", "--check", "."]):
        result = subprocess.run(
            [sys.executable, "-m", "ruff", *command, "--no-cache"],
            cwd=project,
            capture_output=True,
            text=True,
        )
        assert result.returncode == 0, result.stdout + result.stderr


def test_default_answers(cookies):
    project = bake(cookies)

    assert project.name == "my-image-pipeline"
    check_project(project, "my_image_pipeline")
    metadata = tomllib.loads((project / "pyproject.toml").read_text())["project"]
    assert metadata["name"] == "my-image-pipeline"
    provenance = read_provenance(project)
    assert provenance.template_name == "luisy-pipeline"
    assert provenance.answers["package_name"] == "my_image_pipeline"


def test_the_project_holds_its_users_code_only_and_depends_on_the_library(cookies):
    project = bake(cookies)

    for folder, most in MOST_LINES.items():
        lines = sum(len(path.read_text().splitlines()) for path in (project / folder).rglob("*.py"))
        assert 0 < lines <= most, (folder, lines)
    dependencies = tomllib.loads((project / "pyproject.toml").read_text())["project"][
        "dependencies"
    ]
    assert dependencies[0] == "luisy-scaffold[pipeline]~=1.0"
    tasks = (project / "src" / "my_image_pipeline" / "tasks.py").read_text()
    assert "from luisy_directory_tasks import DirectoryTask" in tasks


def test_the_longest_package_name_passes_the_linter(cookies):
    package = "a_" * 19 + "ab"  # 40 characters, the hook's limit
    project = bake(cookies, package_name=package)

    check_project(project, package)


def test_hostile_answers_render_valid_files(cookies):
    project = bake(cookies, **HOSTILE_ANSWERS)

    assert project.name == "ca-marche-l-ete"
    check_project(project, "ca_marche_l_ete")
    metadata = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert metadata["description"] == HOSTILE_ANSWERS["description"]
    assert metadata["authors"] == [
        {"name": HOSTILE_ANSWERS["author"], "email": HOSTILE_ANSWERS["email"]}
    ]
    readme = (project / "README.md").read_text(encoding="utf-8")
    assert readme.startswith(f"# {HOSTILE_ANSWERS['project_name']}\n")
    answers = read_provenance(project).answers
    for key, value in HOSTILE_ANSWERS.items():
        assert answers[key] == value


def test_provenance_round_trips_every_answer(cookies):
    answers = {"project_name": "Round Trip", "image_extensions": "tif,png", "author": "A"}
    project = bake(cookies, **answers)

    recorded = json.loads((project / ".scaffold.json").read_text(encoding="utf-8"))

    assert recorded["answers"] == {
        "project_name": "Round Trip",
        "project_slug": "round-trip",
        "package_name": "round_trip",
        "description": recorded["answers"]["description"],
        "author": "A",
        "email": "you@example.com",
        "image_extensions": "tif,png",
    }
    assert (
        recorded["template_version"]
        == json.loads((TEMPLATE_DIR / "cookiecutter.json").read_text())["_template_version"]
    )


@pytest.mark.parametrize(
    "package", ["class", "os", "json", "luisy", "luigi", "numpy", "skimage", "2fast", "a" * 65]
)
def test_hook_refuses_package_names(cookies, package):
    result = cookies.bake(template=str(TEMPLATE_DIR), extra_context={"package_name": package})
    assert result.exit_code != 0
    assert result.project_path is None or not Path(result.project_path).exists()


def test_hook_refuses_bad_image_extensions(cookies):
    result = cookies.bake(
        template=str(TEMPLATE_DIR), extra_context={"image_extensions": "png;rm -rf"}
    )
    assert result.exit_code != 0


def test_empty_email_is_left_out_of_the_metadata(cookies):
    project = bake(cookies, email="")
    metadata = tomllib.loads((project / "pyproject.toml").read_text())["project"]
    assert metadata["authors"] == [{"name": "Your Name"}]
