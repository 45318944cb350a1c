"""What a task finds in an input folder: the files it reads, their versions, and the rest.

A file's version is its fingerprint (size, mtime_ns, ctime_ns), from one stat. A file that
cannot be read at all (a named pipe, a broken or looping link) is listed with the reason, so
it is reported like a bad file instead of hanging or crashing the run.
"""

import errno
import os
import re
import stat
from itertools import repeat
from operator import attrgetter, itemgetter
from typing import NamedTuple

from luisy_directory_tasks.builds import looked_up
from luisy_directory_tasks.errors import (
    VANISHED,
    IdCollisionError,
)
from luisy_directory_tasks.manifests import (
    FileEntries,
    ManifestTarget,
    collector_paused,
    remembered,
)
from luisy_directory_tasks.number_columns import (
    extended,
    joined,
    number_column,
    rows,
    transposed,
)


class InputFile(NamedTuple):
    """One file of a task's input folder, with the stat numbers that identify its version (a
    named tuple: one is made per file and run, and tuples are the quickest to make)."""

    file_id: str
    relative_path: str
    path: str
    fingerprint: tuple
    problem: str = ""  # why the file cannot be read (not a regular file, a broken link), if so


def file_id(relative_path):
    """The id of a file: its path relative to the input folder without its last extension
    (as os.path.splitext cuts it: not a name's leading dots; in string methods, since it runs
    for every file of every run)."""
    start = relative_path.rfind("/") + 1
    dot = relative_path.rfind(".")
    if dot > start and relative_path[start:dot].lstrip("."):
        return relative_path[:dot]
    return relative_path


FILE_KINDS = (
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISDIR, "a folder"),
)


FINGERPRINT_FIELDS = ("st_size", "st_mtime_ns", "st_ctime_ns")


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
        elif error.errno == errno.ENOENT:
            problem = VANISHED
        else:
            problem = f"cannot be read: {error.strerror}"
        return link_fingerprint(path), problem
    if stat.S_ISREG(info.st_mode):  # nearly every file: one test instead of five
        return fingerprint_of(info), ""
    for is_kind, kind in FILE_KINDS:
        if is_kind(info.st_mode):
            return fingerprint_of(info), f"not a regular file: {kind}"
    return fingerprint_of(info), ""


class Survey(NamedTuple):
    """What one look at an input folder found: the files a task reads, as columns (`paths`
    sorted, their fingerprints as `numbers`, one column per position, and `problems`,
    {position: why that file cannot be read}), and `unread`, [(relative path, fingerprint,
    reason)] of the files it does not read."""

    paths: list
    numbers: list
    problems: dict
    unread: list

    def read(self):
        """[(relative path, fingerprint, problem)] of the files read (problem '' if none)."""
        problems = [""] * len(self.paths)
        for position, problem in self.problems.items():
            problems[position] = problem
        return list(zip(self.paths, rows(self.numbers, len(self.paths)), problems, strict=True))


def folder_survey(target, again=False):
    """The Survey of a folder target; once per build (builds.py) for the same target class,
    folder and file pattern, unless `again`."""
    key = ("survey", type(target), target.folder, repr(getattr(target, "regex_pattern", None)))
    return looked_up(key, lambda: _folder_survey(target), again)


def _folder_survey(target):
    if hasattr(target, "survey"):
        read, unread = target.survey()
    else:
        read, unread = target.relative_paths(), []
    prefix = os.path.join(target.folder, "")  # the paths are relative: joined by adding
    numbers, problems = stat_files(prefix, read)
    unread = [
        (relative, link_fingerprint(prefix + relative), reason) for relative, reason in unread
    ]
    return Survey(read, numbers, problems, unread)


STAT_CHUNK = 4096  # files stat'ed per call of map(): a chunk's stat results are held at once


def stat_files(prefix, relative_paths):
    """(fingerprints as columns, {position: problem}) of the files `prefix + relative path`,
    as stat_file finds them: one stat each, and for a chunk of regular files (nearly always)
    no Python code per file at all."""
    numbers = [number_column([]) for _ in range(3)]
    problems = {}
    for start in range(0, len(relative_paths), STAT_CHUNK):
        chunk = relative_paths[start : start + STAT_CHUNK]
        try:
            infos = list(map(os.stat, map(prefix.__add__, chunk)))
        except OSError:
            infos = None
        if infos is not None and all(map(stat.S_ISREG, map(attrgetter("st_mode"), infos))):
            found = [list(map(attrgetter(name), infos)) for name in FINGERPRINT_FIELDS]
        else:  # something other than a regular file in this chunk: file by file
            fingerprints = []
            for position, relative in enumerate(chunk, start):
                fingerprint, problem = stat_file(prefix + relative)
                fingerprints.append(fingerprint)
                if problem:
                    problems[position] = problem
            found = list(zip(*fingerprints, strict=True))
        numbers = [extended(column, more) for column, more in zip(numbers, found, strict=True)]
    return numbers, problems


def survey_input(target, again=False):
    """What a task finds in its input: [(relative path, fingerprint, problem)] of the files it
    reads (problem '' for a readable one) and [(relative path, fingerprint, reason)] of those
    it does not read, both sorted.

    One listing and one stat per file for a folder (once per build, unless `again`); the
    manifest alone for a directory task.
    """
    with collector_paused():
        if isinstance(target, ManifestTarget):
            columns = FileEntries.of(target.load()["files"]).columns
            return list(zip(columns["file"], columns["fingerprint"], repeat(""))), []
        survey = folder_survey(target, again)
        return survey.read(), survey.unread


class Listing(NamedTuple):
    """Every file of an input, read or not, as columns: `paths` and their fingerprints as
    `numbers` (one column per position)."""

    paths: list
    numbers: list

    def as_dict(self):
        """{relative path: fingerprint}."""
        with collector_paused():
            return dict(zip(self.paths, rows(self.numbers, len(self.paths)), strict=True))


_found = {}  # found_files, per survey or manifest's files


def found_files(target, again=False):
    """The Listing of every file of an input, as survey_input finds them; made once for each
    look at a folder (see folder_survey) and each version of a manifest, since a run asks
    several times. For a directory task's input, its manifest's own columns."""
    if isinstance(target, ManifestTarget):
        source = FileEntries.of(target.load()["files"])  # one object per manifest version

        def make():
            return Listing(source.strings["file"], source.numbers["fingerprint"])
    else:
        source = folder_survey(target, again)  # the same Survey for one look at the folder

        def make():
            return listing_of(source.paths, source.numbers, source.unread)

    return remembered(_found, (source,), make)


def listing_of(paths, numbers, more=()):
    """The Listing of files `paths` with fingerprint columns `numbers` and `more`, [(relative
    path, fingerprint, ...)]."""
    if not more:
        return Listing(paths, numbers)
    added = list(zip(*(row[:2] for row in more), strict=True))
    if not paths:
        return Listing(list(added[0]), transposed(added[1], "fingerprint"))
    numbers = [
        joined(column, number_column(values))
        for column, values in zip(numbers, zip(*added[1], strict=True), strict=True)
    ]
    return Listing(paths + list(added[0]), numbers)


def refuse_output_collisions(ids, relatives, folder, suffix=".npy"):
    """Raise IdCollisionError when one file's output would be a folder of another's output
    (`a.png` is written as `a.npy`, `a.npy/b.png` as `a.npy/b.npy`); `ids` and `relatives`:
    the files' ids and relative paths."""
    parents = set(map(itemgetter(0), map(str.rpartition, ids, repeat("/")))) - {""}
    folders = set()  # every folder some output is written in: few, however many files
    for parent in parents:
        while parent and parent not in folders:
            folders.add(parent)
            parent = parent.rpartition("/")[0]
    clashes = {folder for folder in folders if folder.endswith(suffix)}
    clashes &= {file_id + suffix for file_id in ids} if clashes else set()
    pairs = list(zip(ids, relatives, strict=True)) if clashes else []
    for clash in sorted(clashes):
        first = next(path for key, path in pairs if key + suffix == clash)
        other = next(path for key, path in pairs if key.startswith(clash + "/"))
        raise IdCollisionError(
            f"{first} and {other} in {folder}"
            f" collide: the first is written as the file {clash!r}, the second needs a"
            " folder of that name; rename or remove one of them"
        )


class Inputs:
    """The files a task reads from its input, as columns: `paths` (relative, sorted), `ids`,
    their fingerprints as `numbers` (one column per position) and `problems` ({position: why
    that file cannot be read}); `unread`: InputFiles of the files it does not read. An
    InputFile is made only for the files asked for: a rerun over hundreds of thousands of
    files processes a few."""

    def __init__(self, folder, paths, ids, numbers, problems, unread):
        self.folder = folder
        self.paths, self.ids, self.numbers, self.problems = paths, ids, numbers, problems
        self.unread = unread

    def __len__(self):
        return len(self.paths)

    def files(self, positions=None):
        """InputFiles of the files at `positions` (ascending; all if None)."""
        if positions is None:
            positions = range(len(self.paths))
        prefix = os.path.join(self.folder, "")
        paths = [self.paths[position] for position in positions]
        return [
            InputFile(
                self.ids[position],
                relative,
                prefix + relative,
                tuple(column[position] for column in self.numbers),
                self.problems.get(position, ""),
            )
            for position, relative in zip(positions, paths, strict=True)
        ]


def input_files(target, again=False, suffix=".npy"):
    """(files to read, files not read) of an input target as InputFiles in sorted order,
    refusing two files whose outputs (named with `suffix`) collide; `again`: from a new look
    at the folder."""
    inputs = input_columns(target, again, suffix)
    return inputs.files(), inputs.unread


def input_columns(target, again=False, suffix=".npy"):
    """input_files as Inputs (columns)."""
    with collector_paused():
        if isinstance(target, ManifestTarget):
            files = FileEntries.of(target.load()["files"])
            paths, numbers, problems, unread = (
                files.strings["file"], files.numbers["fingerprint"], {}, [],
            )  # fmt: skip
        else:
            survey = folder_survey(target, again)
            paths, numbers, problems, unread = survey
        prefix = os.path.join(target.folder, "")
        ids = file_ids(paths)
        if len(set(ids)) != len(ids):
            seen = {}
            for key, relative in zip(ids, paths, strict=True):
                if key in seen:
                    raise IdCollisionError(
                        f"{seen[key]} and {relative} in {target.folder} would both be written"
                        f" as {key!r}; rename or remove one of them"
                    )
                seen[key] = relative
        refuse_output_collisions(ids, paths, target.folder, suffix)
        not_read = [
            InputFile(file_id(relative), relative, prefix + relative, mark, why)
            for relative, mark, why in unread
        ]
        return Inputs(target.folder, paths, ids, numbers, problems, not_read)


def file_ids(relative_paths):
    """file_id of each path, for the usual names (an extension, a stem that is not only dots)
    without a call per path."""
    parts = list(map(str.rpartition, relative_paths, repeat(".")))
    heads = list(map(itemgetter(0), parts))
    extensions = "\0".join(map(itemgetter(2), parts))
    # A head whose last part is empty or only dots: no extension, or a name such as "..png".
    unusual = re.compile(r"[\0/]\.*\0").search("\0" + "\0".join(heads) + "\0")
    if "/" in extensions or unusual:
        return list(map(file_id, relative_paths))
    return heads
