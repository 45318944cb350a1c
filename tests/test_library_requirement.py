"""Where a new project gets the library from: as this scaffold was installed (PEP 610)."""

import importlib.metadata
import json

import pytest

from scaffold import __version__, library


class Installed:
    """An installed distribution's metadata as importlib.metadata gives it."""

    def __init__(self, direct_url):
        self.direct_url = direct_url

    def read_text(self, name):
        assert name == "direct_url.json"
        return None if self.direct_url is None else json.dumps(self.direct_url)


@pytest.fixture
def installed(monkeypatch):
    def install(direct_url):
        monkeypatch.setattr(importlib.metadata, "distribution", lambda name: Installed(direct_url))

    return install


def test_an_index_install_pins_a_compatible_release(installed):
    installed(None)
    major, minor = __version__.split(".")[:2]

    assert library.library_requirement() == f"luisy-scaffold[pipeline]~={major}.{minor}"
    assert not library.installed_from_folder()


def test_a_git_install_pins_its_commit(installed):
    installed(
        {
            "url": "https://example.org/team/luisy-scaffold.git",
            "vcs_info": {"vcs": "git", "commit_id": "0123abc", "requested_revision": "main"},
        }
    )

    assert library.library_requirement() == (
        "luisy-scaffold[pipeline] @ git+https://example.org/team/luisy-scaffold.git@0123abc"
    )


def test_a_folder_install_pins_the_version_and_says_so(installed):
    installed({"url": "file:///somewhere/luisy-scaffold", "dir_info": {"editable": True}})

    assert library.library_requirement().startswith("luisy-scaffold[pipeline]~=")
    assert library.installed_from_folder()


def test_the_running_scaffold_is_installed_with_metadata():
    """This environment's own install (editable, from this folder) is read, not guessed."""
    assert library.installed_from_folder()
    assert library.library_requirement().startswith("luisy-scaffold[pipeline]")


def test_update_renders_the_new_version_with_the_library_as_installed_now():
    recorded = {"project_name": "P", library.VARIABLE: "luisy-scaffold[pipeline]~=0.9"}

    assert library.without_library(recorded) == {"project_name": "P"}
