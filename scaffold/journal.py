"""All-or-nothing changes to a project's files, finished or undone after a kill.

A change (an update, an added task, a provenance write) goes through three steps:

1. the journal is written in state "prepared", naming every temporary file to come and the
   folders the change will create;
2. each new content is written to its temporary file beside its target;
3. the journal turns "committing"; then the renames and removals run, and the journal goes.

A process killed in step 1 or 2 leaves a prepared journal: recovery deletes the temporary files
it names and the folders it made (the project stays as it was). Killed in step 3, the journal is
committing: recovery redoes every rename whose temporary file is still there and every removal
(the project becomes wholly the new version). Commands that change a project recover first;
commands that only read it refuse while a journal waits (`scaffold recover` finishes it).
A journal is only acted on when it is not committed to git: scaffold never commits one, so a
committed journal came from elsewhere.
"""

from __future__ import annotations

import contextlib
import errno
import json
import logging
import os
import shutil
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from scaffold.errors import GenerationFailed, JournalError
from scaffold.files import is_temporary_for, project_path, temporary_beside
from scaffold.git import is_tracked
from scaffold.locks import project_lock

_log = logging.getLogger("scaffold")
JOURNAL_FILE = ".scaffold-journal.json"
_JOURNAL_DRAFT = ".scaffold-journal.json.draft"
PREPARED, COMMITTING = "prepared", "committing"


@dataclass(frozen=True)
class FileWrite:
    """One file a change puts in place: new `content`, or a `staged` file moved in."""

    path: str
    content: bytes | None = None
    staged: Path | None = None
    mode: int | None = None  # permission bits, else those of `mode_from`
    mode_from: str | None = None  # a project file whose permission bits the new file keeps


@contextlib.contextmanager
def open_project(project_dir: Path) -> Iterator[None]:
    """For a command that changes the project: hold its lock, and first finish or undo a
    change a killed command left."""
    with project_lock(project_dir):
        recover(project_dir)
        yield


def recover_project(project_dir: Path | str) -> bool:
    """`scaffold recover`: finish or undo the change a stopped command left; False when
    there was none."""
    project_dir = Path(project_dir).resolve()
    with project_lock(project_dir):
        return recover(project_dir)


@contextlib.contextmanager
def reading_project(project_dir: Path) -> Iterator[None]:
    """For a command that only reads the project: a shared lock, and a refusal while a
    change a killed command left waits (reading would see half of it)."""
    with project_lock(project_dir, shared=True):
        if (project_dir / JOURNAL_FILE).exists():
            raise JournalError(
                f"a scaffold command stopped while changing {project_dir} ({JOURNAL_FILE});"
                f" run `scaffold recover {project_dir}` to finish or undo that change"
            )
        yield


def change_files(
    project_dir: Path, writes: Iterable[FileWrite], removals: Iterable[str] = ()
) -> None:
    """Put every write in place and remove every path in `removals`, all or nothing.

    Call it inside `open_project`. A failure before the commit step (a full disk, a folder in
    the way) removes the temporary files and leaves the project as it was.
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
    folders = _missing_folders(project_dir, [write.path for write in writes])
    _write_journal(project_dir, PREPARED, renames, removals, folders)
    try:
        for write, target, temporary in zip(writes, targets, temporaries, strict=True):
            _make_parents(project_dir, target)
            if target.is_dir() and not target.is_symlink():
                raise IsADirectoryError(errno.EISDIR, "a folder is where a file goes", str(target))
            if write.staged is not None:
                os.rename(write.staged, temporary)
            else:
                temporary.write_bytes(write.content)
            _set_mode(project_dir, write, temporary)
        _write_journal(project_dir, COMMITTING, renames, removals, folders)
    except BaseException as error:
        _undo(project_dir, renames, folders)
        if isinstance(error, OSError):
            raise GenerationFailed(
                f"writing {project_dir} failed, nothing changed: {_reason(error)}"
            ) from None
        raise
    _finish(project_dir, _redo, renames, removals)


def recover(project_dir: Path) -> bool:
    """Finish or undo the change a killed command left in `project_dir` (and say so); True
    when there was one."""
    (project_dir / _JOURNAL_DRAFT).unlink(missing_ok=True)
    if not (project_dir / JOURNAL_FILE).exists():
        return False
    if is_tracked(project_dir, JOURNAL_FILE):
        raise JournalError(
            f"{project_dir / JOURNAL_FILE} is committed to git; scaffold never commits its"
            " journal, so this one did not come from a stopped scaffold command: look at it,"
            " then delete it"
        )
    state, renames, removals, folders = _read_journal(project_dir)
    count = len(renames) + len(removals)
    if state == COMMITTING:
        _finish(project_dir, _redo, renames, removals)
        _log.warning("finished a change of %d file(s) that a stopped command left", count)
    else:
        _finish(project_dir, _undo, renames, folders)
        _log.warning("undid a change of %d file(s) that a stopped command left", count)
    return True


def _finish(project_dir: Path, step, *args) -> None:
    """Run a journal's redo or undo; a failure there keeps the journal for another try."""
    try:
        step(project_dir, *args)
    except OSError as error:
        raise JournalError(
            f"finishing the change recorded in {project_dir / JOURNAL_FILE} failed:"
            f" {_reason(error)}; fix that, then run `scaffold recover {project_dir}`"
        ) from None


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


def _undo(project_dir: Path, renames: list[tuple[str, str]], folders: list[str]) -> None:
    for temporary, _ in renames:
        path = project_dir / temporary
        if path.is_file() or path.is_symlink():
            path.unlink()
    for folder in sorted(folders, key=lambda f: -len(PurePosixPath(f).parts)):
        with contextlib.suppress(FileNotFoundError, OSError):  # gone, or not empty
            (project_dir / folder).rmdir()
    (project_dir / JOURNAL_FILE).unlink(missing_ok=True)


def _missing_folders(project_dir: Path, paths: list[str]) -> list[str]:
    """The folders writing `paths` creates: the ones an undo may remove again."""
    missing = set()
    for path in paths:
        for parent in PurePosixPath(path).parents:
            if parent != PurePosixPath(".") and not (project_dir / parent).exists():
                missing.add(parent.as_posix())
    return sorted(missing)


def _set_mode(project_dir: Path, write: FileWrite, temporary: Path) -> None:
    if write.mode is not None:
        os.chmod(temporary, write.mode)
        return
    mode_from = project_path(project_dir, write.mode_from) if write.mode_from else None
    if mode_from is not None and mode_from.is_file():
        shutil.copymode(mode_from, temporary)


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
    project_dir: Path,
    state: str,
    renames: list[tuple[str, str]],
    removals: list[str],
    folders: list[str],
) -> None:
    data = {"state": state, "renames": renames, "removals": removals, "folders": folders}
    draft = project_dir / _JOURNAL_DRAFT
    with open(draft, "w", encoding="utf-8") as handle:
        json.dump(data, handle)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(draft, project_dir / JOURNAL_FILE)


def _read_journal(project_dir: Path) -> tuple[str, list[tuple[str, str]], list[str], list[str]]:
    """The journal's content, every path checked: a journal is a file anyone could edit."""
    path = project_dir / JOURNAL_FILE
    problem = f"{path} is not a journal scaffold wrote; look at it, then delete it"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        state, renames = data["state"], data["renames"]
        renames = [(str(temporary), str(target)) for temporary, target in renames]
        removals = [str(removal) for removal in data["removals"]]
        folders = [str(folder) for folder in data["folders"]]
    except (OSError, ValueError, TypeError, KeyError):
        raise JournalError(problem) from None
    if state not in (PREPARED, COMMITTING):
        raise JournalError(problem)
    named = [*removals, *folders, *(p for pair in renames for p in pair)]
    if any(".git" in PurePosixPath(p).parts or p == JOURNAL_FILE for p in named):
        raise JournalError(problem)
    if not all(is_temporary_for(temporary, target) for temporary, target in renames):
        raise JournalError(problem)
    for relative in named:
        project_path(project_dir, relative)
    if any(stat.S_ISDIR(_mode(project_dir / removal)) for removal in removals):
        raise JournalError(problem)
    return state, renames, removals, folders


def _mode(path: Path) -> int:
    try:
        return path.lstat().st_mode
    except FileNotFoundError:
        return 0


def _reason(error: OSError) -> str:
    if error.errno == errno.ENOSPC:
        return f"the disk is full ({error.filename or 'no file name'})"
    return f"{error.strerror or error} ({error.filename})" if error.filename else str(error)
