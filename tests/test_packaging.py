"""The template travels with the package: found in a source checkout and in an installed wheel."""

import os
import subprocess
import sys
import zipfile

import pytest

from scaffold.templates import bundled_template_dir
from tests.conftest import REPO_ROOT, TEMPLATE_DIR


def test_source_checkout_finds_the_top_level_template():
    assert bundled_template_dir() == TEMPLATE_DIR


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-w", out, "."],
        cwd=REPO_ROOT,
        check=True,
        capture_output=True,
    )
    (path,) = out.glob("luisy_scaffold-*.whl")
    return path


def test_wheel_contains_the_template(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    assert "scaffold/template/images/cookiecutter.json" in names
    assert "scaffold/template/images/hooks/pre_gen_project.py" in names
    assert any(name.endswith("{{cookiecutter.package_name}}/tasks.py") for name in names)
    assert "scaffold/template/images/add-task/tests/test_{{task.module}}.py" in names


def test_wheel_holds_the_curves_template_with_its_shared_files_as_files(wheel):
    """The curves template shares two files with the image template as symbolic links in the
    repository; the wheel holds their content."""
    archive = zipfile.ZipFile(wheel)
    shared = "local_extensions.py"
    assert (
        archive.read(f"scaffold/template/curves/{shared}")
        == (REPO_ROOT / "template" / "images" / shared).read_bytes()
    )
    assert "scaffold/template/curves/cookiecutter.json" in archive.namelist()


def test_wheel_contains_every_archived_template_version(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    archived = sorted(p.name for p in (REPO_ROOT / "scaffold" / "template_history").glob("*.zip"))
    assert archived and all(f"scaffold/template_history/{name}" in names for name in archived)


def test_installed_wheel_generates_a_project_elsewhere(wheel, tmp_path):
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--target", target, wheel],
        check=True,
        capture_output=True,
    )
    work = tmp_path / "work"
    work.mkdir()
    env = {**os.environ, "PYTHONPATH": str(target)}
    code = "from scaffold.templates import bundled_template_dir; print(bundled_template_dir())"

    located = subprocess.run(
        [sys.executable, "-c", code], cwd=work, env=env, capture_output=True, text=True
    )
    result = subprocess.run(
        [sys.executable, "-m", "scaffold", "new", "Wheel Project", "--no-input"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
    )

    bundled = target / "scaffold" / "template" / "images"
    assert located.stdout.strip() == str(bundled), located.stderr
    assert result.returncode == 0, result.stderr
    assert (work / "wheel-project" / "src" / "wheel_project" / "tasks.py").is_file()
    check = subprocess.run(
        [sys.executable, "-m", "scaffold", "check", "wheel-project"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
    )
    assert check.returncode == 0 and "up to date" in check.stdout, check.stdout + check.stderr
    curves = subprocess.run(
        [sys.executable, "-m", "scaffold", "new", "Wheel Curves", "--template", "curves",
         "--no-input"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
    )  # fmt: skip
    assert curves.returncode == 0, curves.stderr
    assert (work / "wheel-curves" / "src" / "wheel_curves" / "curves.py").is_file()
