"""Shared fixtures: the bundled template and hostile answers."""

from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
TEMPLATE_DIR = REPO_ROOT / "template"

# Answers that must render into valid TOML, Python and Markdown.
HOSTILE_ANSWERS = {
    "project_name": "Ça \"marche\" l'été",
    "author": 'Zoë O\'Brien "the \\ quoter" 😀',
    "email": "zoë+tag@example.com",
    "description": 'Line one\nline two with """triple""" quotes, \\backslash\\ '
    + " and a long tail" * 30,
}


@pytest.fixture(autouse=True)
def template_extensions_importable(monkeypatch):
    """pytest-cookies renders the context before cookiecutter puts the template on sys.path,
    so the template's local Jinja extensions would not import there; cookiecutter's own CLI and
    scaffold do not need this."""
    monkeypatch.syspath_prepend(str(TEMPLATE_DIR))
