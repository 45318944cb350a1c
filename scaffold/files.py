"""Paths inside a project, and the temporary files that make writes there atomic."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterable
from pathlib import Path

from scaffold.errors import GenerationFailed


def project_path(project_dir: Path, relative: str) -> Path:
    """`relative` inside `project_dir`, refusing any path that would leave it."""
    path = project_dir / relative
    if not path.resolve().is_relative_to(project_dir.resolve()):
        raise GenerationFailed(f"the template renders a path outside the project: {relative}")
    return path


def temporary_beside(path: Path) -> Path:
    """A new hidden file name in `path`'s folder, to be renamed over `path` once written."""
    return path.with_name(f".{path.name}.scaffold-{uuid.uuid4().hex}.tmp")


def read_project_files(project_dir: Path, paths: Iterable[str]) -> dict[str, bytes]:
    """The project's content at each of `paths` that is a file."""
    contents = {}
    for relative in paths:
        path = project_path(project_dir, relative)
        if path.is_file():
            contents[relative] = path.read_bytes()
    return contents


def replace_files(writes: Iterable[tuple[Path, bytes, Path | None]]) -> None:
    """Write each (target, content, file to take the mode from) beside its target first, then
    rename them all over their targets. A failure while writing removes the temporary files and
    leaves every target as it was."""
    staged: list[tuple[Path, Path]] = []
    try:
        for target, content, mode_source in writes:
            target.parent.mkdir(parents=True, exist_ok=True)
            temporary = temporary_beside(target)
            staged.append((temporary, target))
            temporary.write_bytes(content)
            if mode_source is not None and mode_source.is_file():
                shutil.copymode(mode_source, temporary)
        for temporary, target in staged:
            os.replace(temporary, target)
    except BaseException:
        for temporary, _ in staged:
            temporary.unlink(missing_ok=True)
        raise
