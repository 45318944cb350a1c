"""Turn a human project name into a slug and a package name, and refuse names that break."""

from __future__ import annotations

import re

from slugify import slugify

from scaffold.errors import InvalidName

MAX_NAME_LENGTH = 64
_SLUG = re.compile(r"[a-z0-9]+(?:[-_][a-z0-9]+)*")


def derive_slug(name: str) -> str:
    """Return the directory name for `name`, e.g. "My Pipeline" -> "my-pipeline"."""
    return slugify(name)


def check_project_name(name: str) -> None:
    """Refuse a human project name that cannot give a usable slug."""
    if not name.strip():
        raise InvalidName(name, "it is empty", "give a name such as 'My Image Pipeline'")
    if "/" in name or "\\" in name or ".." in name:
        raise InvalidName(
            name, "it contains a path separator or '..'", "use --output-dir to choose the folder"
        )
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidName(
            name[:20] + "...", f"it is longer than {MAX_NAME_LENGTH} characters", "shorten it"
        )
    if not derive_slug(name):
        raise InvalidName(name, "it has no letters or digits", "use letters, digits and spaces")


def check_slug(slug: str) -> None:
    """Refuse a project slug that is not a safe directory and distribution name."""
    if len(slug) > MAX_NAME_LENGTH:
        raise InvalidName(slug, f"it is longer than {MAX_NAME_LENGTH} characters", "shorten it")
    if not _SLUG.fullmatch(slug):
        raise InvalidName(
            slug,
            "a project slug must be lower-case letters and digits joined by '-' or '_'",
            "for example 'my-image-pipeline'",
        )
