"""On every Python the project supports: luisy's own 1.4.7 test suite passes with the library's
fixes applied, the library's own tests pass, and a generated project installs, runs and passes
its own suite.

luisy's suite comes from the git bundle in ../shared/fixtures beside this repository (never
copied here). It runs against the installed luisy with the fixes applied as a project applies
them: by importing the library (`-p luisy_directory_tasks`). The running interpreter uses this
environment (where tests/library runs too, and the project is installed --no-deps, as in
test_generated_project.py); every other supported Python gets a fresh venv with this
repository's `test` extra and the project installed, made and running the library's suite from
the start of the session (other_pythons.py).
Missing interpreters or bundle skip these tests, unless LUISY_CONTRACT_REQUIRED=1 (set by
.ci/run) makes them fail.
"""

import os
import re
import sys
import tomllib
from pathlib import Path

import pytest

from tests import other_pythons as others
from tests.conftest import REPO_ROOT, TEMPLATE_DIR
from tests.other_pythons import CURRENT, SUPPORTED_PYTHONS, run

pytestmark = pytest.mark.slow

BUNDLE = REPO_ROOT.parent / "shared" / "fixtures" / "luisy-1.4.7.bundle"
LUISY_TESTS = 140  # in luisy's repository at the 1.4.7 release
PLUGINS = REPO_ROOT / "tests" / "plugins"
ANSWERS = {"project_name": "Contract Pipeline"}
PACKAGE = "contract_pipeline"


def missing(reason):
    """Skip, or fail where everything must be there (CI)."""
    if os.environ.get("LUISY_CONTRACT_REQUIRED") == "1":
        pytest.fail(f"{reason} (LUISY_CONTRACT_REQUIRED=1)")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def project(cookies_session):
    result = cookies_session.bake(template=str(TEMPLATE_DIR), extra_context=ANSWERS)
    assert result.exit_code == 0, result.exception
    return Path(result.project_path)


@pytest.fixture(scope="module")
def current_python(project):
    """This interpreter, with the project installed into its environment (--no-deps)."""
    install = run(
        sys.executable, "-m", "pip", "install", "--no-deps", "--no-build-isolation", ".",
        cwd=project,
    )  # fmt: skip
    assert install.returncode == 0, install.stderr
    yield sys.executable
    name = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    run(sys.executable, "-m", "pip", "uninstall", "-y", name["name"], cwd=project)


@pytest.fixture(scope="module")
def other_pythons(request, project):
    """{version: python of a venv with this repository's test extra and the project}: each
    made, and the library's suite started in it, as soon as pytest collected these tests."""
    started = request.config.stash.get(others.STARTED, None) or others.start(others.OTHERS)
    request.config.stash[others.STARTED] = started
    installed = {}

    def python_for(version):
        other = started[version]
        if other.base is None:
            missing(f"Python {version} not found under pyenv or on PATH")
        if version not in installed:
            python = other.ready()
            result = run(python, "-m", "pip", "install", "-q", "--no-deps", "-e", ".[dev]",
                         cwd=project)  # fmt: skip
            assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
            installed[version] = python
        return installed[version]

    python_for.started = started
    yield python_for
    for other in started.values():
        other.close()


@pytest.fixture(scope="module")
def python(request, current_python, other_pythons):
    """The interpreter for `request.param` with the project installed."""
    version = request.param
    return current_python if version == CURRENT else other_pythons(version)


@pytest.fixture(scope="module")
def luisy_suite(tmp_path_factory):
    """A clone of luisy at 1.4.7 with its `luisy/` package moved aside: its tests only."""
    if not BUNDLE.is_file():
        missing(f"luisy's test suite not found at {BUNDLE}")
    clone = tmp_path_factory.mktemp("luisy") / "luisy"
    result = run("git", "clone", "-q", str(BUNDLE), str(clone), cwd=clone.parent)
    assert result.returncode == 0, result.stderr
    (clone / "luisy").rename(clone / "luisy-source-not-tested")
    return clone


@pytest.mark.parametrize("python", SUPPORTED_PYTHONS, indirect=True)
def test_luisys_own_suite_passes_with_the_layer(python, luisy_suite):
    result = run(
        python, "-m", "pytest", "-o", "addopts=", "-p", "no:cacheprovider",
        "-p", "luisy_directory_tasks", "-p", "luisy_suite_support", "tests",
        cwd=luisy_suite,
        env={"PYTHONPATH": str(PLUGINS)},
    )  # fmt: skip
    output = result.stdout + result.stderr
    header = re.search(r"^luisy under test: (.*)$", result.stdout, flags=re.MULTILINE)
    assert header and "site-packages" in header.group(1), output[-3000:]
    summaries = re.findall(r"^.*\bin [\d.]+s\b.*$", result.stdout, flags=re.MULTILINE)
    summary = summaries[-1] if summaries else output[-3000:]
    assert result.returncode == 0, output[-8000:]
    assert re.search(rf"\b{LUISY_TESTS} passed\b", summary), summary
    assert not re.search(r"\b(failed|error|errors|skipped)\b", summary), summary


@pytest.mark.parametrize("version", others.OTHERS)
def test_library_suite_passes(version, other_pythons):
    """On this interpreter tests/library runs in the same session."""
    other_pythons(version)
    other = other_pythons.started[version]
    other.suite.wait(timeout=3600)
    output = other.log.read_text()
    assert other.suite.returncode == 0, output[-6000:]
    assert " passed" in output and " failed" not in output


@pytest.mark.parametrize("python", others.OTHERS, indirect=True)
def test_generated_suite_passes(python, project):
    """On this interpreter test_generated_project.py covers this."""
    result = run(python, "-m", "pytest", "-q", "-p", "no:cacheprovider", cwd=project)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert " passed" in result.stdout and " failed" not in result.stdout


@pytest.mark.parametrize("python", SUPPORTED_PYTHONS, indirect=True)
def test_pipeline_runs_quietly(python, project, tmp_path):
    """samples, then run: every sample lands in final/, with no pkg_resources warning."""
    data = tmp_path / "data"
    for command in ("samples", "run"):
        result = run(python, "-m", PACKAGE, command, "--working-dir", str(data), cwd=project)
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
        assert "pkg_resources" not in result.stderr
    raw = [path for path in (data / PACKAGE / "raw").rglob("*") if path.is_file()]
    final = list((data / PACKAGE / "final" / "RedChannel").rglob("*.npy"))
    assert raw and len(final) == len(raw)


def test_readme_names_the_tested_pythons():
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    line = next(line for line in readme.splitlines() if "Tested on Python" in line)
    for version in SUPPORTED_PYTHONS:
        assert version in line
