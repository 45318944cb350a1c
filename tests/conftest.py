"""Shared fixtures: the bundled template and hostile answers."""

import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
TEMPLATE_DIR = REPO_ROOT / "template"

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
