"""A directory task's manifest: the JSON file that lists what the task committed.

On disk, the files are stored as columns, one JSON list per field (`files.source`, `files.file`,
and each fingerprint as one list per number): every run reads the manifest, which lists up to
hundreds of thousands of files, and lists of strings and integers parse several times faster
than an object per file. In memory, `files` is a list of entries (dicts with id, file, source,
source_fingerprint, fingerprint).

A manifest is data on disk that anyone can edit: it is checked (manifest_checks.py) before any
of its paths is used, and one that fails is treated as missing.
"""

import contextlib
import gc
import json
import os
import shutil
from collections.abc import Sequence
from itertools import repeat
from operator import itemgetter

from luisy.targets import LocalTarget

from luisy_directory_tasks.builds import looked_up
from luisy_directory_tasks.files import (
    NUMPY_FILES,
    check_suffix,
    files_below,
    write_text_atomically,
)
from luisy_directory_tasks.locks import TaskLock
from luisy_directory_tasks.manifest_checks import (
    ManifestError,
    check_files,
    check_manifest,
    check_paths,
)

MANIFEST_VERSION = 2
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


class FileEntries(Sequence):
    """A manifest's files: a sequence of entries (dicts with id, file, source,
    source_fingerprint, fingerprint), kept as the columns it is stored in. The entries are made
    on first use only: a run that finds nothing changed needs the columns alone, and one dict
    per file of a folder of hundreds of thousands costs seconds and hundreds of megabytes."""

    def __init__(self, columns, suffix=".npy", entries=None):
        self.columns = columns  # file, source: lists of str; the fingerprints: lists of tuples
        self.suffix = suffix
        self._entries = entries

    @classmethod
    def of(cls, files, suffix=".npy"):
        """`files` as FileEntries: itself if it is one, else a list of entries, kept."""
        if isinstance(files, cls):
            return files
        columns = {
            "file": [entry["file"] for entry in files],
            "source": [entry["source"] for entry in files],
            "fingerprint": [tuple(entry["fingerprint"]) for entry in files],
            "source_fingerprint": [tuple(entry["source_fingerprint"]) for entry in files],
        }
        return cls(columns, suffix, entries=files)

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
        return len(self.columns["file"])

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
        """FileEntries of the entries at `positions` (ascending), in that order."""
        pick = [[column[position] for position in positions] for column in self.columns.values()]
        return FileEntries(dict(zip(self.columns, pick, strict=True)), self.suffix)

    def merged(self, entries):
        """FileEntries of these and `entries` (dicts), sorted by id, as a manifest lists
        them; made from the columns, with no entry made for these."""
        added = FileEntries.of(entries, self.suffix).columns
        columns = {name: column + added[name] for name, column in self.columns.items()}
        ids = list(map(str.removesuffix, columns["file"], repeat(self.suffix)))
        order = sorted(range(len(ids)), key=ids.__getitem__)
        if order != list(range(len(ids))):
            columns = {name: [column[i] for i in order] for name, column in columns.items()}
        return FileEntries(columns, self.suffix)

    def fingerprints(self):
        """{file: fingerprint} of the committed output files."""
        with collector_paused():
            return dict(zip(self.columns["file"], self.columns["fingerprint"], strict=True))

    def source_fingerprints(self):
        """{source: source fingerprint} of the input files these outputs were made from."""
        with collector_paused():
            columns = self.columns
            return dict(zip(columns["source"], columns["source_fingerprint"], strict=True))


def _transpose(rows, field):
    """Lists of numbers (one per entry) as one list per position."""
    lengths = set(map(len, rows))
    if len(lengths) > 1:
        raise ValueError(f"the {field}s of one manifest must have one length")
    return [list(map(itemgetter(index), rows)) for index in range(max(lengths, default=0))]


def to_columns(entries):
    """A manifest's file entries as it stores them: one list per field."""
    columns = FileEntries.of(entries).columns
    return {
        "file": columns["file"],
        "fingerprint": _transpose(columns["fingerprint"], "fingerprint"),
        "source": columns["source"],
        "source_fingerprint": _transpose(columns["source_fingerprint"], "source_fingerprint"),
    }


def _rows(columns, count, field, path):
    """The numbers stored as one list per position, as one tuple per file."""
    valid = type(columns) is list and (columns or not count)
    valid = valid and all(
        type(column) is list and len(column) == count and set(map(type, column)) <= {int}
        for column in columns
    )
    if not valid:
        raise ManifestError(f"{path}: files.{field} must be lists of {count} integers")
    return list(zip(*columns, strict=True)) if count else []


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
    with collector_paused():
        rows = {
            field: _rows(columns[field], len(files), field, path)
            for field in ("fingerprint", "source_fingerprint")
        }
    manifest["files"] = FileEntries({"file": files, "source": sources, **rows}, suffix)
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
        file the manifest lists is there."""
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
        with collector_paused():
            listed = FileEntries.of(manifest["files"]).columns["file"]
            return files_below(self.folder).issuperset(listed)

    def relative_paths(self):
        """Paths, relative to the folder, of the committed files in sorted order."""
        return list(FileEntries.of(self.load()["files"]).columns["file"])

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
        manifest["files"] = FileEntries.of(manifest["files"], suffix)  # the same entries
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
    """True when `manifest` accounts for exactly the input files `found` ({path: fingerprint}),
    compared once for the same two objects (neither may be modified)."""
    return remembered(_compared, (manifest, found), lambda: recorded_sources(manifest) == found)


def _recorded_sources(manifest):
    recorded = FileEntries.of(manifest["files"]).source_fingerprints()
    for entry in manifest["skipped"] + manifest["ignored"]:
        recorded[entry["source"]] = tuple(entry["source_fingerprint"])
    return recorded
