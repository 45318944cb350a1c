"""One writer per task output across runs: an advisory lock on a file beside the task's folder.

The lock is `flock` on `.<Task>.lock`: the kernel drops it when the process holding it ends, by
whatever means, so a killed run never leaves a stale lock behind. A run writing a task's output
holds it exclusively from staging to commit; a run reading that output as its input holds it
shared. The lock file itself stays: removing it while another run waits on it would let two
runs hold "the" lock on two different files.
"""

import fcntl
import logging
import os

logger = logging.getLogger(__name__)

LOCK_SUFFIX = ".lock"


def lock_path(folder):
    """The lock file of a task whose output folder is `folder`."""
    parent, name = os.path.split(folder)
    return os.path.join(parent, f".{name}{LOCK_SUFFIX}")


class TaskLock:
    """An exclusive (writer) or shared (reader) lock on a task's output; use it in `with`."""

    def __init__(self, folder, shared=False):
        self.folder = folder
        self.path = lock_path(folder)
        self.shared = shared
        self._fd = None

    def __enter__(self):
        self.acquire()
        return self

    def __exit__(self, *exc_info):
        self.release()

    def acquire(self, wait=True):
        """Take the lock; without `wait`, return False at once if another run holds it."""
        os.makedirs(os.path.dirname(self.path), exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666)
        mode = fcntl.LOCK_SH if self.shared else fcntl.LOCK_EX
        try:
            fcntl.flock(fd, mode | fcntl.LOCK_NB)
        except BlockingIOError:
            if not wait:
                os.close(fd)
                return False
            logger.warning(
                "%s is in use by another run%s; waiting for it to finish", self.folder, holder(fd)
            )
            fcntl.flock(fd, mode)
        except BaseException:
            os.close(fd)
            raise
        if not self.shared:
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._fd = fd
        return True

    def release(self):
        """Give the lock up. Unlocking first matters: forked workers share the descriptor,
        and closing our copy alone would leave the lock held until they exit."""
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        try:
            fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)


def holder(fd):
    """' (last writer: process N)' from the lock file, or ''."""
    try:
        pid = os.pread(fd, 32, 0).decode().strip()
    except (OSError, UnicodeDecodeError):
        return ""
    return f" (last writer: process {pid})" if pid.isdigit() else ""
