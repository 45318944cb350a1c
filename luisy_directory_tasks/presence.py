"""Whether every file a manifest lists is in its task's folder: asked on every run, answered
without listing folders of hundreds of thousands of files when none of them changed.

A commit records in the manifest each output folder's stamp (inode, mtime, ctime) and how many
of its files are in it, once it has seen them there (`folder_stamps`). A later run whose
folders all still have their recorded stamps knows the files are still there (`stamps_hold`):
adding, removing or renaming an entry changes its folder's mtime and ctime, and no call can set
a ctime back. A change in the same tick of the file system's clock as the recorded ctime would
not show (git's "racily clean" case), so a stamp is recorded only for a folder last changed at
least SETTLED_NS before it was taken; the commit waits that long if it must. A folder without a
stamp is listed on every run (`all_present`), and so is every folder when the counts do not
add up to the manifest's files (a manifest edited by hand).
"""

import os
import time
from itertools import groupby, repeat
from operator import itemgetter

from luisy_directory_tasks.errors import refuse_unlistable

# Longer than a tick of the clock that stamps files (1 to 10 milliseconds); a file system
# that keeps whole seconds only (no sub-second part) is never trusted (see _settled).
SETTLED_NS = 20 * 10**6


def by_folder(relative_paths):
    """{folder relative to the task's folder ('' for itself): [names in it]} of sorted paths
    (with '/'), without a call per path: sorted paths come in runs of one folder each."""
    parts = map(str.rpartition, relative_paths, repeat("/"))
    names = {}
    for parent, group in groupby(parts, itemgetter(0)):
        names.setdefault(parent, []).extend(map(itemgetter(2), group))
    return names


def all_present(folder, names):
    """True when each folder below `folder` holds its names ({relative folder: [names]}, see
    by_folder), from one listing each. A folder that cannot be listed raises
    UnlistableFolderError."""
    for parent, expected in names.items():
        try:
            there = os.listdir(os.path.join(folder, parent))
        except (FileNotFoundError, NotADirectoryError):
            return False
        except OSError as error:
            refuse_unlistable(error)
        if not set(there).issuperset(expected):
            return False
    return True


def stamp(path):
    """[inode, mtime, ctime] of a folder, None if it cannot be stat'ed."""
    try:
        info = os.stat(path)
    except OSError:
        return None
    return [info.st_ino, info.st_mtime_ns, info.st_ctime_ns]


def stamps_hold(folder, stamps, relative_paths):
    """True when every file of `relative_paths` is below `folder`: a folder whose stamp (see
    folder_stamps; from the manifest) is unchanged still holds its files, the others are
    listed, and all are listed when the stamps do not account for every file."""
    if sum(recorded[0] for recorded in stamps.values()) != len(relative_paths):
        return all_present(folder, by_folder(relative_paths))  # not the stamps of these files
    unverified = [
        parent
        for parent, recorded in stamps.items()
        if len(recorded) == 1 or stamp(os.path.join(folder, parent)) != recorded[1:]
    ]
    if not unverified:
        return True
    names = by_folder(relative_paths)
    return all_present(folder, {parent: names.get(parent, []) for parent in unverified})


def folder_stamps(folder, relative_paths, previous=None):
    """{relative folder: [files in it, inode, mtime, ctime], or [files in it] without a stamp}
    for the manifest of `relative_paths` (with '/'), in place below `folder`: a folder whose
    stamp is the one `previous` recorded keeps it (it was checked then and has not changed),
    the others are stamped and listed (after waiting, at most SETTLED_NS, until they have
    settled); one that does not hold its files or changes meanwhile gets no stamp."""
    previous = previous or {}
    names = by_folder(relative_paths)
    stamps = {parent: stamp(os.path.join(folder, parent)) for parent in names}
    changed = [p for p, now in stamps.items() if now is None or now != previous.get(p, [])[1:]]
    newest = max((stamps[p][2] for p in changed if stamps[p]), default=0)
    # A clock behind the file system's (a file server's) never keeps the lock longer.
    wait = min(SETTLED_NS, newest + SETTLED_NS - time.time_ns()) if changed else 0
    time.sleep(max(0, wait) / 10**9)
    for parent in changed:
        before = stamp(os.path.join(folder, parent))
        now = time.time_ns()
        listed = before is not None and all_present(folder, {parent: names[parent]})
        stamps[parent] = before if listed and _settled(before, now) else None
    return {parent: [len(names[parent]), *(stamps[parent] or [])] for parent in names}


def _settled(recorded, now):
    """True when a folder stamp taken at `now` (ns) can tell every later change: its ctime
    lies SETTLED_NS in the past and has a sub-second part (the file system keeps one)."""
    ctime = recorded[2]
    return ctime % 10**9 != 0 and ctime < now - SETTLED_NS
