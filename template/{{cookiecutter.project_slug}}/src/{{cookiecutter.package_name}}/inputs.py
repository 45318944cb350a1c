"""What a task finds in an input folder: the files it reads, their versions, and the rest.

A file's version is its fingerprint (size, mtime_ns, ctime_ns), from one stat. A file that
cannot be read at all (a named pipe, a broken or looping link) is listed with the reason, so
it is reported like a bad file instead of hanging or crashing the run.
"""

import errno
import os
import stat
from dataclasses import dataclass


@dataclass(frozen=True)
class InputFile:
    """One file of a task's input folder, with the stat numbers that identify its version."""

    file_id: str
    relative_path: str
    path: str
    fingerprint: tuple
    problem: str = ""  # why the file cannot be read (not a regular file, a broken link), if so


def file_id(relative_path):
    """The id of a file: its path relative to the input folder without its last extension."""
    stem, _ = os.path.splitext(relative_path)
    return stem


FILE_KINDS = (
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISDIR, "a folder"),
)


def fingerprint_of(info):
    """(size, mtime_ns, ctime_ns): a rewrite that restores the modification time still changes
    the change time, which no user call can set."""
    return (info.st_size, info.st_mtime_ns, info.st_ctime_ns)


def link_fingerprint(path):
    """The fingerprint of `path` itself, not of what a link there points to."""
    try:
        return fingerprint_of(os.lstat(path))
    except OSError:
        return (0, 0, 0)


def stat_file(path):
    """(fingerprint, problem) of an input file; problem says why it cannot be read, or is ''."""
    try:
        info = os.stat(path)
    except OSError as error:
        if error.errno == errno.ELOOP:
            problem = "a symbolic link that loops"
        elif os.path.islink(path):
            problem = "a broken symbolic link (what it points to does not exist)"
        else:
            problem = f"cannot be read: {error.strerror}"
        return link_fingerprint(path), problem
    for is_kind, kind in FILE_KINDS:
        if is_kind(info.st_mode):
            return fingerprint_of(info), f"not a regular file: {kind}"
    return fingerprint_of(info), ""


def folder_survey(target):
    """[(relative path, fingerprint, problem)] of the files a folder target reads (problem ''
    for a readable one) and [(relative path, fingerprint, reason)] of those it does not."""
    if hasattr(target, "survey"):
        read, unread = target.survey()
    else:
        read, unread = target.relative_paths(), []
    folder = target.folder
    return (
        [(relative, *stat_file(os.path.join(folder, relative))) for relative in read],
        [
            (relative, link_fingerprint(os.path.join(folder, relative)), reason)
            for relative, reason in unread
        ],
    )
