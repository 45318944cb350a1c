"""Shared fixtures: the bundled template and hostile answers."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests import other_pythons

REPO_ROOT = Path(__file__).resolve().parents[1]
TEMPLATE_DIR = REPO_ROOT / "template" / "images"
CURVES_TEMPLATE_DIR = REPO_ROOT / "template" / "curves"

# Package names the template must refuse, with a word of the reason it gives.
BAD_PACKAGE_NAMES = [
    ("class", "keyword"),
    ("os", "standard-library"),
    ("json", "standard-library"),
    ("luisy", "dependency"),
    ("luigi", "dependency"),
    ("numpy", "dependency"),
    ("skimage", "dependency"),
    ("2fast", "digit"),
]

# Answers that must render into valid TOML, Python and Markdown.
HOSTILE_ANSWERS = {
    "project_name": 'Ça "marche" l\'été',
    "author": 'Zoë O\'Brien "the \\ quoter" 😀',
    "email": "o'brien+tag@example.co.uk",
    "description": 'Line one\nline two with """triple""" quotes, \\backslash\\ '
    + " and a long tail" * 30,
}


def pytest_collection_modifyitems(items):
    # The contract tests wait for the other Pythons' suites: this session's own tests run first,
    # beside those suites, instead of after the wait.
    items.sort(key=lambda item: item.nodeid.startswith(other_pythons.CONTRACT_TESTS))


def pytest_collection_finish(session):
    other_pythons.start_if_needed(session)  # so that they run beside the rest


def pytest_sessionfinish(session):
    for other in session.config.stash.get(other_pythons.STARTED, {}).values():
        other.close()


@pytest.fixture(autouse=True, scope="session")
def template_extensions_importable():
    """pytest-cookies renders the context before cookiecutter puts the template on sys.path,
    so the template's local Jinja extensions would not import there; cookiecutter's own CLI and
    scaffold do not need this."""
    sys.path.insert(0, str(TEMPLATE_DIR))
    yield
    sys.path.remove(str(TEMPLATE_DIR))


def bake_bundled_version(version, name, output_dir):
    """A project as `scaffold new` made it when the bundled template was at `version`."""
    from scaffold.generate import new_project
    from scaffold.history import open_bundled_version
    from scaffold.provenance import read_provenance, write_provenance
    from scaffold.sources import BUNDLED

    with open_bundled_version("luisy-pipeline", version) as template_dir:
        made = new_project(name, output_dir=output_dir, template=str(template_dir), git=False)
        project = made.project_dir
    provenance = read_provenance(project)
    provenance.template_source, provenance.commit = BUNDLED, None
    write_provenance(project, provenance)
    return project


def invoke(*args):
    """Run the scaffold command line in this process, as a user types it."""
    from typer.testing import CliRunner

    from scaffold.cli import app

    return CliRunner().invoke(app, [str(arg) for arg in args], catch_exceptions=False)


def git(*args, cwd):
    """Run git with a fixed identity; its output, stripped."""
    result = subprocess.run(
        ["git", "-c", "user.name=T", "-c", "user.email=t@example.com",
         "-c", "init.defaultBranch=main", "-c", "commit.gpgsign=false", *args],
        cwd=cwd, capture_output=True, text=True,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


class GitTemplate:
    """A small cookiecutter template in its own git repository."""

    def __init__(self, root, name):
        self.root = Path(root)
        project = self.root / "{{cookiecutter.slug}}"
        project.mkdir(parents=True)
        self.write("cookiecutter.json", {"slug": name, "_template_version": "1.0.0"})
        (project / "README.md").write_text("# {{cookiecutter.slug}}\n\nVersion one.\n")
        (project / "settings.txt").write_text("speed = 1\n")
        git("init", "-q", cwd=self.root)
        git("add", "-A", cwd=self.root)
        git("commit", "-qm", "1.0.0", cwd=self.root)

    def write(self, name, context):
        (self.root / name).write_text(json.dumps(context))

    def release(self, version, readme):
        context = json.loads((self.root / "cookiecutter.json").read_text())
        self.write("cookiecutter.json", {**context, "_template_version": version})
        (self.root / "{{cookiecutter.slug}}" / "README.md").write_text(readme)
        git("commit", "-qam", version, cwd=self.root)
