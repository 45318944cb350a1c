"""All-or-nothing changes to a project's files, finished or undone by the next command.

A change (an update, an added task, a provenance write) goes through three steps:

1. the journal is written in state "prepared", naming every temporary file to come;
2. each new content is written to its temporary file beside its target;
3. the journal turns "committing"; then the renames and removals run, and the journal goes.

A process killed in step 1 or 2 leaves a prepared journal: the next command deletes the
temporary files it names (the project stays as it was). Killed in step 3, the journal is
committing: the next command redoes every rename whose temporary file is still there and every
removal (the project becomes wholly the new version). One command at a time changes a project:
each holds a lock on the project folder, which dies with its process.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import logging
import os
import shutil
import stat
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from scaffold.errors import GenerationFailed, ProjectBusy, ProvenanceError
from scaffold.files import is_temporary_for, project_path, temporary_beside

_log = logging.getLogger("scaffold")
JOURNAL_FILE = ".scaffold-journal.json"
_JOURNAL_DRAFT = ".scaffold-journal.json.draft"
_STAGING_PREFIX = ".scaffold-staging-"
PREPARED, COMMITTING = "prepared", "committing"


@dataclass(frozen=True)
class FileWrite:
    """One file a change puts in place: new `content`, or a `staged` file moved in."""

    path: str
    content: bytes | None = None
    staged: Path | None = None
    mode_from: str | None = None  # a project file whose permission bits the new file keeps


@contextlib.contextmanager
def open_project(project_dir: Path) -> Iterator[None]:
    """Hold the project's lock, and finish or undo a change a killed command left."""
    with project_lock(project_dir):
        recover(project_dir)
        yield


@contextlib.contextmanager
def project_lock(project_dir: Path) -> Iterator[None]:
    """An exclusive lock on the project folder itself: no lock file to leave behind."""
    try:
        descriptor = os.open(project_dir, os.O_RDONLY | os.O_DIRECTORY)
    except FileNotFoundError:
        raise ProvenanceError(f"{project_dir} does not exist") from None
    except NotADirectoryError:
        raise ProvenanceError(f"{project_dir} is not a folder") from None
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ProjectBusy(
                f"another scaffold command is changing {project_dir}; wait for it to finish,"
                " then run this one again"
            ) from None
        yield
    finally:
        os.close(descriptor)  # closing releases the lock


@contextlib.contextmanager
def staging_folder(parent: Path) -> Iterator[Path]:
    """A new hidden folder in `parent` to render into, locked while in use and removed after.
    Folders of this kind whose command was killed (their lock is free) are removed first."""
    for stale in parent.glob(f"{_STAGING_PREFIX}*"):
        if stale.is_dir() and not stale.is_symlink():
            with contextlib.suppress(ProjectBusy, ProvenanceError), project_lock(stale):
                shutil.rmtree(stale)
    with tempfile.TemporaryDirectory(prefix=_STAGING_PREFIX, dir=parent) as folder:
        with project_lock(Path(folder)):
            yield Path(folder)


def change_files(
    project_dir: Path, writes: Iterable[FileWrite], removals: Iterable[str] = ()
) -> None:
    """Put every write in place and remove every path in `removals`, all or nothing.

    Call it while holding `project_lock`. A failure before the commit step (a full disk, a
    folder in the way) removes the temporary files and leaves the project as it was.
    """
    writes, removals = list(writes), list(removals)
    targets = [project_path(project_dir, write.path) for write in writes]
    for removal in removals:
        project_path(project_dir, removal)
    temporaries = [temporary_beside(target) for target in targets]
    renames = [
        (temporary.relative_to(project_dir).as_posix(), write.path)
        for temporary, write in zip(temporaries, writes, strict=True)
    ]
    _write_journal(project_dir, PREPARED, renames, removals)
    try:
        for write, target, temporary in zip(writes, targets, temporaries, strict=True):
            _make_parents(project_dir, target)
            if target.is_dir() and not target.is_symlink():
                raise IsADirectoryError(errno.EISDIR, "a folder is where a file goes", str(target))
            if write.staged is not None:
                os.rename(write.staged, temporary)
            else:
                temporary.write_bytes(write.content)
            mode_from = project_path(project_dir, write.mode_from) if write.mode_from else None
            if mode_from is not None and mode_from.is_file():
                shutil.copymode(mode_from, temporary)
        _write_journal(project_dir, COMMITTING, renames, removals)
    except BaseException as error:
        _undo(project_dir, renames)
        if isinstance(error, OSError):
            raise GenerationFailed(
                f"writing {project_dir} failed, nothing changed: {_reason(error)}"
            ) from None
        raise
    _redo(project_dir, renames, removals)


def recover(project_dir: Path) -> None:
    """Finish or undo the change a killed command left in `project_dir` (and say so)."""
    (project_dir / _JOURNAL_DRAFT).unlink(missing_ok=True)
    if not (project_dir / JOURNAL_FILE).exists():
        return
    state, renames, removals = _read_journal(project_dir)
    count = len(renames) + len(removals)
    if state == COMMITTING:
        _redo(project_dir, renames, removals)
        _log.warning("finished a change of %d file(s) that a stopped command left", count)
    else:
        _undo(project_dir, renames)
        _log.warning("undid a change of %d file(s) that a stopped command left", count)


def _redo(project_dir: Path, renames: list[tuple[str, str]], removals: list[str]) -> None:
    for temporary, target in renames:
        with contextlib.suppress(FileNotFoundError):  # renamed before the interruption
            os.replace(project_dir / temporary, project_dir / target)
    for removal in removals:
        path = project_dir / removal
        if path.is_file() or path.is_symlink():
            path.unlink()
        _remove_empty_parents(project_dir, path.parent)
    (project_dir / JOURNAL_FILE).unlink()


def _undo(project_dir: Path, renames: list[tuple[str, str]]) -> None:
    for temporary, _ in renames:
        path = project_dir / temporary
        if path.is_file() or path.is_symlink():
            path.unlink()
        _remove_empty_parents(project_dir, path.parent)
    (project_dir / JOURNAL_FILE).unlink(missing_ok=True)


def _make_parents(project_dir: Path, target: Path) -> None:
    """Create the target's missing folders; refuse a file or a link where a folder must be."""
    folder = project_dir
    for part in target.relative_to(project_dir).parts[:-1]:
        folder = folder / part
        with contextlib.suppress(FileExistsError):
            folder.mkdir()
        if folder.is_symlink() or not folder.is_dir():
            raise NotADirectoryError(
                errno.ENOTDIR, "a file is where a folder is needed", str(folder)
            )


def _remove_empty_parents(project_dir: Path, folder: Path) -> None:
    while folder != project_dir and folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()
        folder = folder.parent


def _write_journal(
    project_dir: Path, state: str, renames: list[tuple[str, str]], removals: list[str]
) -> None:
    data = {"state": state, "renames": renames, "removals": removals}
    draft = project_dir / _JOURNAL_DRAFT
    with open(draft, "w", encoding="utf-8") as handle:
        json.dump(data, handle)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(draft, project_dir / JOURNAL_FILE)


def _read_journal(project_dir: Path) -> tuple[str, list[tuple[str, str]], list[str]]:
    """The journal's content, every path checked: a journal is a file anyone could edit."""
    path = project_dir / JOURNAL_FILE
    problem = f"{path} is not a journal scaffold wrote; look at it, then delete it"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        state, renames, removals = data["state"], data["renames"], data["removals"]
        renames = [(str(temporary), str(target)) for temporary, target in renames]
        removals = [str(removal) for removal in removals]
    except (OSError, ValueError, TypeError, KeyError):
        raise ProvenanceError(problem) from None
    if state not in (PREPARED, COMMITTING):
        raise ProvenanceError(problem)
    for temporary, target in renames:
        if not is_temporary_for(temporary, target):
            raise ProvenanceError(problem)
        project_path(project_dir, temporary)
        project_path(project_dir, target)
    for removal in removals:
        project_path(project_dir, removal)
        if stat.S_ISDIR(_mode(project_dir / removal)):
            raise ProvenanceError(problem)
    return state, renames, removals


def _mode(path: Path) -> int:
    try:
        return path.lstat().st_mode
    except FileNotFoundError:
        return 0


def _reason(error: OSError) -> str:
    if error.errno == errno.ENOSPC:
        return f"the disk is full ({error.filename or 'no file name'})"
    return f"{error.strerror or error} ({error.filename})" if error.filename else str(error)
