"""Which failures are an input file's fault and which are the machine's.

A bad file (unreadable, corrupt, the wrong shape) fails alone and can be skipped in lenient
mode. A failure of the machine (memory, a full disk, too many open files, I/O errors) would
fail every file alike: it stops the run with its own message and is never recorded, so the
next run tries those files again.
"""

import errno
import shutil

# OSError numbers that say something about the machine, not about the file being read.
ENVIRONMENT_ERRNOS = {
    errno.ENOSPC,
    errno.EDQUOT,
    errno.ENOMEM,
    errno.EMFILE,
    errno.ENFILE,
    errno.EROFS,
    errno.EIO,
}


class DirectoryTaskError(Exception):
    """A directory task cannot run on its input, or the machine failed; nothing was committed.
    `python -m <package> run` shows the message of these without a traceback."""


class EnvironmentFailure(DirectoryTaskError):
    """The machine failed, not an input file; nothing was committed or recorded."""


class OutOfMemoryError(EnvironmentFailure):
    """A worker ran out of memory on one file."""

    def __init__(self, path):
        super().__init__(path)
        self.path = path

    def __str__(self):
        # Read when the message is shown, where luigi is loaded (this module does not need it).
        from luisy_directory_tasks.settings import (
            directory_tasks,
        )

        if directory_tasks().executor == "spark":
            fewer = (
                "more memory or fewer cores per Spark executor (spark.executor.memory,"
                " spark.executor.cores)"
            )
        else:
            fewer = "fewer workers (--directory-tasks-workers=N)"
        return (
            f"out of memory while processing {self.path}; nothing was committed or recorded."
            f" Run again with {fewer} or a lower pixel limit (--directory-tasks-max-pixels=N),"
            " or on a machine with more memory"
        )


class DiskFullError(EnvironmentFailure):
    """A folder ran out of space while a task wrote its outputs; `needed` in bytes, or None."""

    def __init__(self, folder, needed, detail=""):
        super().__init__(folder, needed, detail)
        self.folder, self.needed, self.detail = folder, needed, detail

    def __str__(self):
        try:
            free = f"{shutil.disk_usage(self.folder).free:,} bytes are free"
        except OSError:
            free = "the free space is unknown"
        needed = "" if self.needed is None else f"the outputs need about {self.needed:,} bytes, "
        return (
            f"no space left on the device of {self.folder} ({self.detail}): {needed}{free}."
            " Nothing was committed or recorded; free some space and run again"
        )


class WorkerDiedError(EnvironmentFailure):
    """A worker process was killed (by the system's out-of-memory killer, for example)."""


def is_environment_error(error):
    """True when `error` says the machine failed rather than the file being processed."""
    if isinstance(error, (MemoryError, EnvironmentFailure)):
        return True
    return isinstance(error, OSError) and error.errno in ENVIRONMENT_ERRNOS


def as_environment_failure(error, path):
    """`error`, raised while reading or transforming `path`, as an EnvironmentFailure."""
    if isinstance(error, EnvironmentFailure):
        return error
    if isinstance(error, MemoryError):
        return OutOfMemoryError(path)
    return EnvironmentFailure(f"{type(error).__name__} while processing {path}: {error}")


# The reason given for an input file that was listed but is gone when the run reads it.
VANISHED = "removed while this run read the folder"


class BadFilesError(DirectoryTaskError):
    """Some input files could not be processed."""

    def __init__(self, bad_files):
        self.bad_files = bad_files
        # repr-like escapes: a newline in a file name cannot forge a line of this list
        lines = [f"  {_printable(path)}: {reason}" for path, reason in bad_files]
        if all(reason == VANISHED for _, reason in bad_files):
            advice = "Run again to process the folder as it is now"
        else:
            advice = "Fix or remove them, or run with --directory-tasks-lenient to skip them"
        super().__init__(
            f"{len(bad_files)} input file(s) could not be processed; nothing was written."
            f" {advice}:\n" + "\n".join(lines)
        )


def _printable(path):
    return path.encode("unicode_escape").decode("ascii")


class IdCollisionError(DirectoryTaskError):
    """Two input files would write the same output file, or one a file where the other
    needs a folder."""


class EmptyInputError(DirectoryTaskError):
    """The input folder holds no files to process."""


class OutputNotWritableError(EnvironmentFailure):
    """A task may not write where its outputs go (permissions, a read-only file system)."""

    def __init__(self, folder, error):
        super().__init__(folder, error)
        self.folder, self.error = folder, error

    def __str__(self):
        where = _printable(self.error.filename or self.folder)
        return (
            f"cannot write {where} ({self.error.strerror}); nothing was committed. Give this"
            f" user write permission on {_printable(self.folder)}, or run with another"
            " --working-dir"
        )


class UnlistableFolderError(DirectoryTaskError):
    """A folder below an input or output folder cannot be listed: a run that went on would take
    its files for deleted and remove their outputs, so it stops and changes nothing."""

    def __init__(self, folder, reason):
        super().__init__(folder, reason)
        self.folder, self.reason = folder, reason

    def __str__(self):
        return (
            f"cannot list the folder {_printable(self.folder)} ({self.reason}); nothing was"
            " changed. Give this user read and execute permission on it (or mount it again),"
            " or move it out of the input folder, and run again"
        )


def refuse_unlistable(error):
    """`onerror` of os.walk: a folder that cannot be listed stops the walk with an
    UnlistableFolderError (os.walk would skip it); one removed meanwhile is simply gone."""
    if isinstance(error, FileNotFoundError):
        return
    raise UnlistableFolderError(error.filename, error.strerror or str(error)) from error
