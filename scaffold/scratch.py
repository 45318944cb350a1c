"""A private temporary folder per scaffold command, so that nothing of scaffold's outlives it.

Cookiecutter writes each rendered hook to the temporary folder and never removes it, and a
killed command cannot remove its template clones. So a command points Python's temporary
folder at a folder of its own, `scaffold-<pid>-*` in the system one, removed when the command
ends; one left by a killed command (its process is gone and its lock free) is removed by the
next scaffold command.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

_NAME = re.compile(r"scaffold-(\d+)-[^/]+")


@contextlib.contextmanager
def private_temp() -> Iterator[Path]:
    """Run the block with `tempfile` (and so cookiecutter) writing into a new private folder,
    removed afterwards; inside another such block, use that one."""
    current = tempfile.tempdir
    if current is not None and _owner(Path(current).name) == os.getpid():
        yield Path(current)
        return
    system = Path(tempfile.gettempdir())
    _remove_abandoned(system)
    folder = Path(tempfile.mkdtemp(prefix=f"scaffold-{os.getpid()}-", dir=system))
    descriptor = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)  # ends with the process, however it ends
        tempfile.tempdir = str(folder)
        yield folder
    finally:
        tempfile.tempdir = current
        shutil.rmtree(folder, ignore_errors=True)
        os.close(descriptor)


def _owner(name: str) -> int | None:
    match = _NAME.fullmatch(name)
    return int(match.group(1)) if match else None


def _remove_abandoned(system: Path) -> None:
    """Remove the private folders of scaffold commands that are gone. The pid says so cheaply;
    the lock confirms it (a pid seen from another container, or one used again, may lie)."""
    for folder in system.glob("scaffold-*-*"):
        pid = _owner(folder.name)
        if pid is None or pid == os.getpid() or _alive(pid):
            continue
        with contextlib.suppress(OSError):  # gone already, in use, or another user's
            if folder.lstat().st_uid != os.getuid():
                continue
            descriptor = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
                shutil.rmtree(folder)
            finally:
                os.close(descriptor)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True
