"""A directory task's manifest: the JSON file that lists what the task committed.

A manifest is data on disk that anyone can edit; a path in it that leaves the task's folder
would make the next run read or write outside it. A manifest that fails `check_manifest` is
treated as missing: the task is incomplete and runs again.
"""

import functools
import json
import os
import shutil

from luisy.targets import LocalTarget

from {{ cookiecutter.package_name }}.directory_tasks.files import files_below, load_array, write_text_atomically
from {{ cookiecutter.package_name }}.directory_tasks.locks import TaskLock

MANIFEST_VERSION = 1
GENERATION_FILE = ".generation"


class ManifestError(ValueError):
    """A manifest is malformed or names a path outside its task's folder."""


def is_safe_relative(path):
    """True for a plain relative path with '/' separators that stays inside its folder."""
    if not isinstance(path, str) or not path or "\0" in path or path.startswith("/"):
        return False
    return all(part not in ("", ".", "..") for part in path.split("/"))


def _check_fingerprint(value, where):
    if not isinstance(value, list) or not all(
        isinstance(number, int) and not isinstance(number, bool) for number in value
    ):
        raise ManifestError(f"{where}: a fingerprint must be a list of integers, got {value!r}")


def _check_source(entry, where):
    if not isinstance(entry, dict):
        raise ManifestError(f"{where}: an entry must be an object, got {entry!r}")
    if not is_safe_relative(entry.get("source")):
        raise ManifestError(f"{where}: unsafe or missing source path {entry.get('source')!r}")
    _check_fingerprint(entry.get("source_fingerprint"), where)


def check_manifest(manifest, path):
    """Raise ManifestError unless `manifest` (read from `path`) is well formed and every path
    in it is relative and inside the task's folder."""
    if not isinstance(manifest, dict):
        raise ManifestError(f"{path}: not a JSON object")
    for key in ("files", "skipped", "ignored"):
        if not isinstance(manifest.get(key), list):
            raise ManifestError(f"{path}: {key!r} must be a list")
    if not isinstance(manifest.get("generation"), str):
        raise ManifestError(f"{path}: 'generation' must be a string")
    written = set()
    for entry in manifest["files"]:
        _check_source(entry, path)
        file = entry.get("file")
        if not is_safe_relative(file) or not file.endswith(".npy"):
            raise ManifestError(f"{path}: unsafe or missing output path {file!r}")
        if file in written:
            raise ManifestError(f"{path}: {file!r} is listed twice")
        written.add(file)
        if not isinstance(entry.get("id"), str):
            raise ManifestError(f"{path}: entry {file!r} has no id")
        _check_fingerprint(entry.get("fingerprint"), path)
    for entry in manifest["skipped"] + manifest["ignored"]:
        _check_source(entry, path)


@functools.lru_cache(maxsize=64)
def read_manifest(path, mtime_ns, size):
    """A manifest file's content, checked (ManifestError, a ValueError, if it is unsafe); the
    cache key makes a rewritten file be read again."""
    with open(path, encoding="utf-8") as handle:
        try:
            manifest = json.load(handle)
        except RecursionError:  # nested deeper than JSON a task writes: not ours
            raise ValueError(f"{path} is nested too deeply to be a manifest") from None
    check_manifest(manifest, path)
    return manifest


def manifest_text(manifest):
    """JSON with one line per file entry: quick to write for thousands of files, and a person
    can still read and diff it."""
    lines = []
    for key, value in sorted(manifest.items()):
        name = json.dumps(key)
        if isinstance(value, list) and value:
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

    @property
    def folder(self):
        """The folder beside the manifest that holds the committed files."""
        return os.path.splitext(self.path)[0]

    def load(self):
        """The manifest as a dict (read once per version of the file; do not modify it)."""
        stat = os.stat(self.path)
        return read_manifest(self.path, stat.st_mtime_ns, stat.st_size)

    def exists(self):
        """True when the manifest and its folder belong to the same committed run and every
        file the manifest lists is there."""
        generation = read_generation(self.folder)
        try:
            manifest = self.load()
        except (OSError, ValueError):
            return False
        if generation is None or manifest.get("generation") != generation:
            return False
        listed = {entry["file"] for entry in manifest["files"]}
        return listed <= files_below(self.folder)

    def relative_paths(self):
        """Paths, relative to the folder, of the committed files in sorted order."""
        return [entry["file"] for entry in self.load()["files"]]

    def read(self):
        """The committed files' paths, in sorted order."""
        return [os.path.join(self.folder, relative) for relative in self.relative_paths()]

    def read_file(self, path):
        """One committed file as (path, array)."""
        return path, load_array(path)

    def write(self, manifest):
        write_text_atomically(self.path, manifest_text(manifest))

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


def recorded_sources(manifest):
    """{source path: fingerprint} of every input file a manifest accounts for."""
    recorded = {entry["source"]: entry["source_fingerprint"] for entry in manifest["files"]}
    for entry in manifest["skipped"] + manifest["ignored"]:
        recorded[entry["source"]] = entry["source_fingerprint"]
    return {source: tuple(fingerprint) for source, fingerprint in recorded.items()}
