"""Every scaffold project below a folder (a monorepo of pipelines), checked or updated in turn:
one project's error or conflicts never stop the others."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from scaffold.errors import ScaffoldError, UsageError
from scaffold.git import ignored_paths
from scaffold.provenance import PROVENANCE_FILE
from scaffold.sources import one_fetch_per_template


@dataclass
class Outcome:
    """What one action did to one project: its result, or the error that stopped it."""

    project_dir: Path
    result: object = None
    error: ScaffoldError | None = None


def find_projects(root: Path | str) -> list[Path]:
    """Folders at or below `root` that hold a .scaffold.json, in sorted order. `.git` folders
    and whatever git ignores are skipped (outside git, the .gitignore files found there)."""
    root = Path(root).resolve()
    if not root.is_dir():
        raise UsageError(f"{root} is not a folder; --all takes the folder to look below")
    listed = _git_listed(root)
    found = sorted(listed) if listed is not None else sorted(_walked(root))
    ignored = ignored_paths(root, found)
    projects = [root / path for path in found if path not in ignored]
    return [path.parent for path in projects if path.is_file() and not path.is_symlink()]


def each_project(root: Path | str, action: Callable[[Path], object]) -> Iterator[Outcome]:
    """Run `action` on every project below `root`, yielding each outcome as it ends; refuse a
    folder with no project at all."""
    projects = find_projects(root)
    if not projects:
        raise UsageError(
            f"no scaffold project (no {PROVENANCE_FILE}) below {Path(root).resolve()}; pass"
            " the folder that holds your projects"
        )
    with one_fetch_per_template():
        for project in projects:
            try:
                yield Outcome(project, result=action(project))
            except ScaffoldError as error:
                yield Outcome(project, error=error)


def _git_listed(root: Path) -> list[str] | None:
    """Paths (relative to `root`) of the provenance files git tracks or would track, or None
    outside a git work tree. git skips ignored folders without entering them."""
    try:
        result = subprocess.run(
            ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z", "--",
             f":(glob)**/{PROVENANCE_FILE}"],
            cwd=root, capture_output=True, check=False,
        )  # fmt: skip
    except OSError:
        return None
    if result.returncode != 0:
        return None
    return sorted({path for path in result.stdout.decode().split("\0") if path})


def _walked(root: Path) -> Iterator[str]:
    """Paths (relative to `root`) of the provenance files below it, without git."""

    def refuse(error: OSError) -> None:
        raise UsageError(
            f"cannot list {error.filename} ({error.strerror}): a project there would be"
            " missed; give this user read permission on it, or pass a folder below or beside it"
        )

    for folder, folders, files in os.walk(root, onerror=refuse):
        folders[:] = sorted(name for name in folders if name != ".git")
        if PROVENANCE_FILE in files:
            yield Path(folder, PROVENANCE_FILE).relative_to(root).as_posix()
