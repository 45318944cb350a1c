"""A directory task's manifest: the JSON file that lists what the task committed.

On disk, the files are stored as columns: one JSON list of strings for `files.file` and
`files.source`, and each fingerprint as one column of numbers per position, in base64
(number_columns.py; version 2 stored them as lists of integers, which are still read). Every run
reads the manifest, which lists up to hundreds of thousands of files, and columns parse many
times faster than an object per file. In memory, `files` is a sequence of entries (dicts with
id, file, source, source_fingerprint, fingerprint) kept as those columns (FileEntries).

A manifest is data on disk that anyone can edit: it is checked (manifest_checks.py) before any
of its paths is used, and one that fails is treated as missing.
"""

import bisect
import contextlib
import gc
import json
import operator
import os
import shutil
from collections.abc import Sequence
from itertools import islice, repeat

import numpy as np
from luisy.targets import LocalTarget

from luisy_directory_tasks.builds import looked_up
from luisy_directory_tasks.files import (
    NUMPY_FILES,
    check_suffix,
    write_text_atomically,
)
from luisy_directory_tasks.locks import TaskLock
from luisy_directory_tasks.manifest_checks import (
    ManifestError,
    check_files,
    check_manifest,
    check_paths,
)
from luisy_directory_tasks.number_columns import (
    decoded,
    encoded,
    joined,
    picked,
    rows,
    same_columns,
    transposed,
)
from luisy_directory_tasks.presence import all_present, by_folder, folder_stamps, stamps_hold

MANIFEST_VERSION = 3
GENERATION_FILE = ".generation"


# path -> (version, manifest): the manifests this process read or wrote last, so that each
# version is parsed and checked at most once. A version is (inode, mtime, size): every commit
# replaces the file with a new one.
_known = {}


def _version(path):
    info = os.stat(path)
    return (info.st_ino, info.st_mtime_ns, info.st_size)


def read_manifest(path, suffix=".npy"):
    """A manifest file's content, checked (ManifestError, a ValueError, if it is unsafe); its
    output files end with `suffix`."""
    return read_manifest_and_version(path, suffix)[1]


def read_manifest_and_version(path, suffix=".npy"):
    """(version, content) of a manifest file, read and checked once per version."""
    version = _version(path)
    known = _known.get((path, suffix))
    if known and known[0] == version:
        return known
    with open(path, encoding="utf-8") as handle:
        try:
            manifest = json.load(handle)
        except RecursionError:  # nested deeper than JSON a task writes: not ours
            raise ValueError(f"{path} is nested too deeply to be a manifest") from None
    files = from_columns(manifest, path, suffix)["files"]  # checks the files as columns
    check_manifest({**manifest, "files": []}, path, suffix)  # and the rest
    manifest["files"] = files
    if len(_known) >= 64:
        _known.clear()
    _known[path, suffix] = (version, manifest)
    return _known[path, suffix]


FILE_FIELDS = ("file", "fingerprint", "source", "source_fingerprint")
STRING_FIELDS = ("file", "source")
NUMBER_FIELDS = ("fingerprint", "source_fingerprint")


class FileEntries(Sequence):
    """A manifest's files: a sequence of entries (dicts with id, file, source,
    source_fingerprint, fingerprint), kept as the columns it is stored in. The entries are made
    on first use only: a run that finds nothing changed needs the columns alone, and one dict
    per file of a folder of hundreds of thousands costs seconds and hundreds of megabytes.

    `strings`: {file, source: lists of str}; `numbers`: {fingerprint, source_fingerprint: one
    column per position (number_columns.py)}."""

    def __init__(self, strings, numbers, suffix=".npy", entries=None):
        self.strings = strings
        self.numbers = numbers
        self.suffix = suffix
        self._entries = entries
        self._columns = None

    @classmethod
    def of(cls, files, suffix=".npy"):
        """`files` as FileEntries: itself if it is one, else a list of entries, kept."""
        if isinstance(files, cls):
            return files
        strings = {field: [entry[field] for entry in files] for field in STRING_FIELDS}
        numbers = {
            field: transposed([entry[field] for entry in files], field) for field in NUMBER_FIELDS
        }
        return cls(strings, numbers, suffix, entries=files)

    @property
    def columns(self):
        """{file, source: lists of str; fingerprint, source_fingerprint: lists of tuples},
        made once."""
        if self._columns is None:
            with collector_paused():
                count = len(self)
                self._columns = {
                    **self.strings,
                    **{field: rows(self.numbers[field], count) for field in NUMBER_FIELDS},
                }
        return self._columns

    def entries(self):
        """The entries, made once."""
        if self._entries is None:
            columns, suffix = self.columns, self.suffix
            with collector_paused():
                self._entries = [
                    {
                        "id": file.removesuffix(suffix),
                        "file": file,
                        "source": source,
                        "source_fingerprint": list(source_fingerprint),
                        "fingerprint": list(fingerprint),
                    }
                    for file, source, source_fingerprint, fingerprint in zip(
                        columns["file"],
                        columns["source"],
                        columns["source_fingerprint"],
                        columns["fingerprint"],
                        strict=True,
                    )
                ]
        return self._entries

    def __len__(self):
        return len(self.strings["file"])

    def __getitem__(self, index):
        return self.entries()[index]

    def __iter__(self):
        return iter(self.entries())

    def __eq__(self, other):
        return isinstance(other, Sequence) and self.entries() == list(other)

    def __add__(self, other):
        return self.entries() + list(other)

    def __radd__(self, other):
        return list(other) + self.entries()

    def __repr__(self):
        return repr(self.entries())

    def subset(self, positions):
        """FileEntries of the entries at `positions` (ascending; a list or a numpy array), in
        that order."""
        at = np.asarray(positions, dtype=np.intp)
        listed = at.tolist()
        strings = {name: list(map(column.__getitem__, listed))
                   for name, column in self.strings.items()}  # fmt: skip
        numbers = {name: [picked(column, at) for column in columns]
                   for name, columns in self.numbers.items()}  # fmt: skip
        return FileEntries(strings, numbers, self.suffix)

    def merged(self, entries):
        """FileEntries of these and `entries` (dicts), sorted by id, as a manifest lists
        them; made from the columns, with no entry made for these."""
        suffix = self.suffix
        by_id = sorted(entries, key=lambda entry: entry["file"].removesuffix(suffix))
        added = FileEntries.of(by_id, suffix)
        strings = {name: column + added.strings[name] for name, column in self.strings.items()}
        if not len(added):
            numbers = self.numbers
        elif not len(self):
            numbers = added.numbers
        else:
            numbers = {name: [joined(*pair) for pair in zip(columns, added.numbers[name],
                                                            strict=True)]
                       for name, columns in self.numbers.items()}  # fmt: skip
        order = self._merge_order(added)
        if order is not None:
            at = np.asarray(order, dtype=np.intp)
            strings = {name: list(map(column.__getitem__, at.tolist()))
                       for name, column in strings.items()}  # fmt: skip
            numbers = {name: [picked(column, at) for column in columns]
                       for name, columns in numbers.items()}  # fmt: skip
        return FileEntries(strings, numbers, self.suffix)

    def _merge_order(self, added):
        """Positions of these followed by `added`, in the order of their ids; None when that
        is the order they are in. Both sorted (nearly always): the few added are put in
        place without sorting all."""
        suffix = self.suffix
        ids = list(map(str.removesuffix, self.strings["file"], repeat(suffix)))
        more = list(map(str.removesuffix, added.strings["file"], repeat(suffix)))
        if not (is_sorted(ids) and is_sorted(more)):
            everything = ids + more
            return sorted(range(len(everything)), key=everything.__getitem__)
        at = [bisect.bisect_right(ids, key) for key in more]
        if all(position == len(ids) for position in at):
            return None
        return np.insert(np.arange(len(ids)), at, np.arange(len(ids), len(ids) + len(more)))

    def source_fingerprints(self):
        """{source: source fingerprint} of the input files these outputs were made from."""
        with collector_paused():
            columns = self.columns
            return dict(zip(columns["source"], columns["source_fingerprint"], strict=True))


def is_sorted(values):
    """True when `values` are in ascending order (one comparison each, none in Python)."""
    return all(map(operator.le, values, islice(values, 1, None)))


def to_columns(entries):
    """A manifest's file entries as it stores them: one list per field, each fingerprint as
    one encoded column per position."""
    files = FileEntries.of(entries)
    return {
        "file": files.strings["file"],
        "fingerprint": list(map(encoded, files.numbers["fingerprint"])),
        "source": files.strings["source"],
        "source_fingerprint": list(map(encoded, files.numbers["source_fingerprint"])),
    }


def _numbers(stored, count, field, path):
    """The columns of a fingerprint field as a manifest stores them, decoded."""
    if type(stored) is not list or (count and not stored):
        raise ManifestError(f"{path}: files.{field} must be a list of columns of {count} numbers")
    try:
        return [decoded(column, count) for column in stored]
    except ValueError as error:
        raise ManifestError(f"{path}: files.{field}: {error}") from None


def from_columns(manifest, path, suffix=".npy"):
    """A manifest read from `path` with its files as FileEntries, checked as check_manifest
    checks them (ManifestError); check_manifest checks the rest."""
    columns = manifest.get("files") if isinstance(manifest, dict) else None
    if not isinstance(columns, dict) or sorted(columns) != list(FILE_FIELDS):
        raise ManifestError(f"{path}: 'files' must hold the lists {', '.join(FILE_FIELDS)}")
    files, sources = columns["file"], columns["source"]
    if type(files) is not list or type(sources) is not list or len(files) != len(sources):
        raise ManifestError(f"{path}: files.file and files.source must be lists of one length")
    check_files(files, [], path, suffix)
    check_paths(sources, "source", path)
    numbers = {field: _numbers(columns[field], len(files), field, path) for field in NUMBER_FIELDS}
    strings = {"file": files, "source": sources}
    manifest["files"] = FileEntries(strings, numbers, suffix)
    return manifest


@contextlib.contextmanager
def collector_paused():
    """Keep Python's cycle collector off while many small objects are made, one or a few per
    file: none of them is in a cycle, and each collection it starts meanwhile walks every
    object of the process (luisy, pandas, matplotlib), which for many thousand files took
    longer than the work."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def manifest_text(manifest):
    """JSON with one line per field of the files (see above) and per entry of the other lists:
    quick to write and read for many thousand files; a person can still read it."""
    lines = []
    for key, value in sorted(manifest.items()):
        name = json.dumps(key)
        if key == "files":
            columns = to_columns(value)
            fields = ",\n".join(f"  {json.dumps(k)}: {json.dumps(v)}" for k, v in columns.items())
            lines.append(name + ": {\n" + fields + "\n }")
        elif isinstance(value, list) and value:
            items = ",\n".join(f"  {json.dumps(item, sort_keys=True)}" for item in value)
            lines.append(f"{name}: [\n{items}\n ]")
        else:
            lines.append(f"{name}: {json.dumps(value, sort_keys=True)}")
    return "{\n " + ",\n ".join(lines) + "\n}\n"


def read_generation(folder):
    """The marker of the run that committed `folder`, or None."""
    try:
        with open(os.path.join(folder, GENERATION_FILE), encoding="utf-8") as handle:
            return handle.read().strip()
    except OSError:
        return None


class ManifestTarget(LocalTarget):
    """The output of a directory task: a JSON manifest plus the folder of files it lists."""

    file_ending = "json"

    def __init__(self, path=None, output_format=NUMPY_FILES, **kwargs):
        super().__init__(path, **kwargs)
        check_suffix(output_format.suffix)
        self.output_format = output_format

    @property
    def folder(self):
        """The folder beside the manifest that holds the committed files."""
        return os.path.splitext(self.path)[0]

    def load(self):
        """The manifest as a dict (read once per version of the file; do not modify it)."""
        return read_manifest(self.path, self.output_format.suffix)

    def exists(self):
        """True when the manifest and its folder belong to the same committed run and every
        file the manifest lists is there (seen from the folders' stamps, see presence.py)."""
        generation = read_generation(self.folder)
        try:
            version, manifest = read_manifest_and_version(self.path, self.output_format.suffix)
        except (OSError, ValueError):
            return False
        if generation is None or manifest.get("generation") != generation:
            return False
        # Once per build and committed version (builds.py): a commit writes a new manifest.
        key = ("listed files there", self.path, version, generation)
        return looked_up(key, lambda: self._listed_files_there(manifest))

    def _listed_files_there(self, manifest):
        files = FileEntries.of(manifest["files"]).strings["file"]
        with collector_paused():
            if isinstance(manifest.get("folders"), dict):  # stamps (checked on reading)
                return stamps_hold(self.folder, manifest["folders"], files)
            return all_present(self.folder, by_folder(files))

    def relative_paths(self):
        """Paths, relative to the folder, of the committed files in sorted order."""
        return list(FileEntries.of(self.load()["files"]).strings["file"])

    def read(self):
        """The committed files' paths, in sorted order."""
        return [os.path.join(self.folder, relative) for relative in self.relative_paths()]

    def read_file(self, path):
        """One committed file as (path, data), read with the task's output format."""
        return path, self.output_format.read(path)

    def write(self, manifest):
        """Write `manifest` so that readers see the earlier one or this one, never a part; it
        is not parsed again in this process (hold the task's lock, and call it only once the
        files it lists are in place). Its files become FileEntries holding the same entries."""
        suffix = self.output_format.suffix
        manifest["files"] = files = FileEntries.of(manifest["files"], suffix)  # the same entries
        earlier = _known.get((self.path, suffix))  # the manifest this commit replaces, if read
        earlier_stamps = earlier[1].get("folders") if earlier else None
        manifest["folders"] = folder_stamps(self.folder, files.strings["file"], earlier_stamps)
        write_text_atomically(self.path, manifest_text(manifest))
        version = _version(self.path)
        _known[self.path, suffix] = (version, manifest)
        # The commit that writes a manifest has just put its files in place: the rest of this
        # build (builds.py) need not walk the folder to see them there.
        key = ("listed files there", self.path, version, manifest.get("generation"))
        looked_up(key, lambda: True, again=True)

    def remove(self):
        """Remove the manifest first (the task is then incomplete), then its folder; waits
        while another run writes or reads them."""
        with TaskLock(self.folder):
            if os.path.exists(self.path):
                os.remove(self.path)
            shutil.rmtree(self.folder, ignore_errors=True)


def source_record(item, **details):
    """A manifest record of an input file that produced no output."""
    return {
        "source": item.relative_path,
        "source_fingerprint": list(item.fingerprint),
        **details,
    }


def remembered(cache, objects, make, size=8):
    """`make()`, kept in `cache` for these very `objects` (a tuple; none may be modified):
    answers asked several times per run about the same large manifests and listings. The
    entry holds the objects, so that their ids stay theirs while it is kept."""
    key = tuple(map(id, objects))
    known = cache.get(key)
    if known and all(a is b for a, b in zip(known[0], objects, strict=True)):
        return known[1]
    if len(cache) >= size:
        cache.clear()
    cache[key] = (objects, make())
    return cache[key][1]


_recorded = {}  # recorded_sources, per manifest
_compared = {}  # records_exactly, per manifest and listing


def recorded_sources(manifest):
    """{source path: fingerprint} of every input file a manifest accounts for (do not modify
    it)."""
    return remembered(_recorded, (manifest,), lambda: _recorded_sources(manifest))


def records_exactly(manifest, found):
    """True when `manifest` accounts for exactly the input files `found` (a Listing, see
    inputs.py), compared once for the same two objects (neither may be modified)."""
    return remembered(_compared, (manifest, found), lambda: _records_exactly(manifest, found))


def _records_exactly(manifest, found):
    files = FileEntries.of(manifest["files"])
    if not manifest["skipped"] and not manifest["ignored"]:
        # Nearly always: the same paths in the same order, compared as whole columns. Paths
        # are unique on both sides, so a different count means a different set.
        sources = files.strings["source"]
        if len(sources) != len(found.paths):
            return False
        if sources == found.paths and same_columns(
            files.numbers["source_fingerprint"], found.numbers
        ):
            return True
    return recorded_sources(manifest) == found.as_dict()


def _recorded_sources(manifest):
    recorded = FileEntries.of(manifest["files"]).source_fingerprints()
    for entry in manifest["skipped"] + manifest["ignored"]:
        recorded[entry["source"]] = tuple(entry["source_fingerprint"])
    return recorded
