"""Checks on a manifest read from disk before any of its paths is used.

A manifest is data on disk that anyone can edit; a path in it that leaves the task's folder
would make the next run read or write outside it. A manifest that fails these checks is
treated as missing: the task is incomplete and runs again. Every run reads the manifests, so
the checks go over whole lists at once.
"""

import operator
from itertools import islice, repeat


class ManifestError(ValueError):
    """A manifest is malformed or names a path outside its task's folder."""


def is_safe_relative(path):
    """True for a plain relative path with '/' separators that stays inside its folder."""
    if not isinstance(path, str) or not path or "\0" in path or path.startswith("/"):
        return False
    return all(part not in ("", ".", "..") for part in path.split("/"))


def check_paths(paths, what, where):
    """Raise ManifestError unless every one of `paths` is_safe_relative (checked together: a
    manifest of many thousand entries is read on every run)."""
    if set(map(type, paths)) <= {str}:  # nearly always: joined without a call per path
        joined = "\0".join(paths)
    else:
        joined = "\0".join(path if type(path) is str else "\0" for path in paths)
    # With every path between slashes, a part that is empty, "." or ".." shows as one of these.
    slashed = "/" + joined.replace("\0", "/") + "/"
    unsafe = "//" in slashed or "/./" in slashed or "/../" in slashed
    if paths and (joined.count("\0") != len(paths) - 1 or unsafe):
        bad = next(path for path in paths if not is_safe_relative(path))
        raise ManifestError(f"{where}: unsafe or missing {what} path {bad!r}")


def _is_fingerprint(value):
    return type(value) is list and all(type(number) is int for number in value)


def check_entries(entries, where):
    if not all(type(entry) is dict for entry in entries):
        bad = next(entry for entry in entries if type(entry) is not dict)
        raise ManifestError(f"{where}: an entry must be an object, got {bad!r}")
    check_paths([entry.get("source") for entry in entries], "source", where)
    for entry in entries:
        if not _is_fingerprint(entry.get("source_fingerprint")):
            raise ManifestError(
                f"{where}: a fingerprint must be a list of integers, got"
                f" {entry.get('source_fingerprint')!r}"
            )


def check_folder_stamps(stamps, where):
    """Raise ManifestError unless `stamps` maps folders inside the task's folder ('' for
    itself) to [files in it, inode, mtime, ctime] or [files in it] (presence.py)."""
    if not isinstance(stamps, dict):
        raise ManifestError(f"{where}: 'folders' must be an object")
    for folder, recorded in stamps.items():
        if folder != "" and not is_safe_relative(folder):
            raise ManifestError(f"{where}: unsafe folder path {folder!r}")
        if not (_is_fingerprint(recorded) and len(recorded) in (1, 4) and recorded[0] >= 0):
            raise ManifestError(
                f"{where}: a folder's record must be [files, inode, mtime, ctime] or [files],"
                f" got {recorded!r}"
            )


def check_manifest(manifest, path, suffix=".npy"):
    """Raise ManifestError unless `manifest` (read from `path`) is well formed and every path
    in it is relative and inside the task's folder."""
    if not isinstance(manifest, dict):
        raise ManifestError(f"{path}: not a JSON object")
    for key in ("files", "skipped", "ignored"):
        if not isinstance(manifest.get(key), list):
            raise ManifestError(f"{path}: {key!r} must be a list")
    if not isinstance(manifest.get("generation"), str):
        raise ManifestError(f"{path}: 'generation' must be a string")
    check_folder_stamps(manifest.get("folders", {}), path)
    check_entries(manifest["skipped"] + manifest["ignored"], path)
    files = manifest["files"]
    check_entries(files, path)
    if not all(type(entry.get("id")) is str for entry in files):
        raise ManifestError(f"{path}: every file entry needs an id")
    check_files(
        [entry.get("file") for entry in files],
        [entry.get("fingerprint") for entry in files],
        path,
        suffix,
    )


def check_files(written, fingerprints, path, suffix=".npy"):
    check_paths(written, "output", path)
    if not all(map(str.endswith, written, repeat(suffix))):
        bad = next(file for file in written if not file.endswith(suffix))
        raise ManifestError(f"{path}: unsafe or missing output path {bad!r}")
    # Written in sorted order, so that "strictly increasing" (one comparison each) proves
    # there are no two of one name; else a set tells.
    increasing = all(map(operator.lt, written, islice(written, 1, None)))
    if not increasing and len(set(written)) != len(written):
        seen = set()
        twice = next(file for file in written if file in seen or seen.add(file))
        raise ManifestError(f"{path}: {twice!r} is listed twice")
    if not all(map(_is_fingerprint, fingerprints)):
        bad = next(value for value in fingerprints if not _is_fingerprint(value))
        raise ManifestError(f"{path}: a fingerprint must be a list of integers, got {bad!r}")
