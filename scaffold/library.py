"""Where a generated project gets the library luisy_directory_tasks from: the distribution
this scaffold came in (luisy-scaffold), installed the way this scaffold was installed."""

from __future__ import annotations

import json
from collections.abc import Mapping

from scaffold import __version__

DISTRIBUTION = "luisy-scaffold"
EXTRA = "pipeline"
# The template variable the bundled template writes into its pyproject.toml dependencies.
VARIABLE = "_library_requirement"


def library_requirement() -> str:
    """The requirement a new project writes for the library: pinned to the git commit this
    scaffold was installed from, else a compatible release of this version (`~=MAJOR.MINOR`:
    fixes and additions, no breaking change)."""
    url = _vcs_url()
    if url:
        return f"{DISTRIBUTION}[{EXTRA}] @ {url}"
    major, minor = __version__.split(".")[:2]
    return f"{DISTRIBUTION}[{EXTRA}]~={major}.{minor}"


def without_library(answers: Mapping[str, object]) -> dict[str, object]:
    """Recorded answers without the library requirement: a render of a newer template version
    then depends on the library as this scaffold has it."""
    return {key: value for key, value in answers.items() if key != VARIABLE}


def installed_from_folder() -> bool:
    """True when this scaffold was installed from a folder (pip install PATH or -e PATH): a
    teammate's machine cannot install the library from there."""
    return "dir_info" in _direct_url()


def _vcs_url() -> str | None:
    """git+URL@COMMIT when pip installed this scaffold from a git repository."""
    direct = _direct_url()
    vcs = direct.get("vcs_info")
    if not vcs or vcs.get("vcs") != "git" or not direct.get("url"):
        return None
    url = direct["url"]
    if not url.startswith("git+"):
        url = f"git+{url}"
    return f"{url}@{vcs['commit_id']}"


def _direct_url() -> dict:
    """PEP 610's direct_url.json of the installed distribution ({} for an index install)."""
    from importlib.metadata import PackageNotFoundError, distribution  # only when asked

    try:
        text = distribution(DISTRIBUTION).read_text("direct_url.json")
    except PackageNotFoundError:
        return {}
    try:
        return json.loads(text) if text else {}
    except ValueError:
        return {}
