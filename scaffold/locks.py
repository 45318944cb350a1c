"""Locks on folders (held by an open descriptor, so they end with their process) and the
staging folders `scaffold new` renders into."""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from scaffold.errors import ProjectBusy, ProvenanceError

_STAGING_PREFIX = ".scaffold-staging-"
_NEW_PREFIX = ".scaffold-new-"  # a staging folder before it is locked
_UNLOCKED_GRACE = 60  # seconds an unlocked new folder may take to be locked by its maker


@contextlib.contextmanager
def project_lock(project_dir: Path, *, shared: bool = False) -> Iterator[None]:
    """Lock the project folder itself (no lock file to leave behind): exclusive for a command
    that changes the project, `shared` for one that only reads it."""
    try:
        descriptor = os.open(project_dir, os.O_RDONLY | os.O_DIRECTORY)
    except FileNotFoundError:
        raise ProvenanceError(f"{project_dir} does not exist") from None
    except NotADirectoryError:
        raise ProvenanceError(f"{project_dir} is not a folder") from None
    try:
        try:
            fcntl.flock(descriptor, (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | fcntl.LOCK_NB)
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
    Folders of this kind left by a killed command (their lock is free) are removed first.

    The folder is made under another name, locked, then renamed: a staging folder is never
    seen unlocked while its command lives.
    """
    _remove_abandoned(parent)
    made = Path(tempfile.mkdtemp(prefix=_NEW_PREFIX, dir=parent))
    descriptor = os.open(made, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        staging = made.with_name(_STAGING_PREFIX + made.name.removeprefix(_NEW_PREFIX))
        os.rename(made, staging)
        try:
            yield staging
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    finally:
        os.close(descriptor)
        shutil.rmtree(made, ignore_errors=True)  # when the rename did not happen


def _remove_abandoned(parent: Path) -> None:
    for folder in parent.glob(f"{_STAGING_PREFIX}*"):
        with contextlib.suppress(OSError):  # gone already, locked, or another user's
            descriptor = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
                shutil.rmtree(folder)
            finally:
                os.close(descriptor)
    for folder in parent.glob(f"{_NEW_PREFIX}*"):  # killed between making and locking
        with contextlib.suppress(OSError):
            if time.time() - folder.lstat().st_mtime > _UNLOCKED_GRACE:
                folder.rmdir()  # only ever empty
