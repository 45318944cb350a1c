"""Paths inside a project, checked before use: relative, inside, never through a symlink."""

from __future__ import annotations

import filecmp
import hashlib
import uuid
from collections.abc import Iterable
from pathlib import Path, PurePosixPath

from scaffold.errors import UnsafePath


def relative_problem(relative: str) -> str | None:
    """Why `relative` is not a path inside a folder (empty, absolute, '..'), or None."""
    parsed = PurePosixPath(relative)
    if not relative or "\0" in relative or parsed.is_absolute() or relative.startswith("\\"):
        return "is not a relative path"
    if ".." in parsed.parts:
        return "climbs out with '..'"
    return None


def project_path(project_dir: Path, relative: str) -> Path:
    """`relative` inside `project_dir`, refusing a path that would leave it or that passes
    through a symbolic link (links are never followed, so a write cannot land elsewhere)."""
    problem = relative_problem(relative)
    if problem:
        raise UnsafePath(relative, f"a path inside the project {problem}")
    path = Path(project_dir)
    for part in PurePosixPath(relative).parts:
        path = path / part
        if path.is_symlink():
            raise UnsafePath(
                path.relative_to(project_dir).as_posix(),
                "scaffold never follows symbolic links inside a project; replace the link"
                " with a real file or folder",
            )
    return path


def temporary_beside(path: Path) -> Path:
    """A new hidden file name in `path`'s folder, to be renamed over `path` once written."""
    return path.with_name(f".{path.name}.scaffold-{uuid.uuid4().hex}.tmp")


def is_temporary_for(temporary: str, target: str) -> bool:
    """True when `temporary` is a name `temporary_beside` gives for `target`."""
    temp, goal = PurePosixPath(temporary), PurePosixPath(target)
    prefix, suffix = f".{goal.name}.scaffold-", ".tmp"
    token = temp.name.removeprefix(prefix).removesuffix(suffix)
    return (
        temp.parent == goal.parent
        and temp.name.startswith(prefix)
        and temp.name.endswith(suffix)
        and len(token) == 32
        and all(c in "0123456789abcdef" for c in token)
    )


def read_project_files(project_dir: Path, paths: Iterable[str]) -> dict[str, bytes]:
    """The project's content at each of `paths` that is a file."""
    contents = {}
    for relative in paths:
        path = project_path(project_dir, relative)
        if path.is_file():
            contents[relative] = path.read_bytes()
    return contents


def file_digest(path: Path) -> str:
    """The SHA-256 of a file's content, read in pieces."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def content_digest(content: bytes) -> str:
    """The SHA-256 of `content`, as `file_digest` gives it for a file."""
    return hashlib.sha256(content).hexdigest()


def same_file_content(first: Path, second: Path) -> bool:
    """True when two files hold the same bytes, compared in chunks (never whole in memory)."""
    return filecmp.cmp(first, second, shallow=False)
