"""Checks on a manifest read from disk before any of its paths are used.

A manifest is data on disk that anyone can edit; a path in it that leaves the task's folder
would make the next run read or write outside it. A manifest that fails a check is treated as
missing: the task is incomplete and runs again.
"""


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
