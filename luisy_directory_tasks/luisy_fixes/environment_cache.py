"""What hashing computed, kept between runs in a small JSON file in luisy's working dir with
the key of the environment it was computed in (JSON, so reading it never runs code). A file
that is missing, damaged or from another environment is ignored and written anew; a working
dir that cannot be written to does without it."""

import contextlib
import hashlib
import json
import os
import sys

CACHE_FILE = ".luisy-environment-cache.json"

_values = {}  # what this process holds: the file's content for the current environment


def environment_key():
    """What the installed distributions are: this environment (its prefix, not the name the
    interpreter was started by: `python` and a script's `python3` are one environment) and
    Python version, and every *.dist-info and *.egg-info on sys.path with the modification
    times of it and its metadata."""
    found = []
    for folder in sys.path:
        try:
            names = sorted(os.listdir(folder or "."))
        except OSError:
            continue
        for name in names:
            if name.endswith((".dist-info", ".egg-info")):
                path = os.path.join(folder or ".", name)
                times = [_mtime(path), _mtime(os.path.join(path, "METADATA"))]
                found.append([folder, name, *times, _mtime(os.path.join(path, "PKG-INFO"))])
    described = json.dumps([sys.prefix, sys.version, found])
    return hashlib.sha256(described.encode()).hexdigest()


def _mtime(path):
    try:
        return os.stat(path).st_mtime_ns
    except OSError:
        return None


def _cache_path():
    """Where the cache lives: luisy's working dir, if one is set."""
    from luisy import Config

    working_dir = Config().get_param("working_dir")
    return os.path.join(working_dir, CACHE_FILE) if working_dir else None


def _entries(kind):
    """The stored values of `kind` for the installed distributions as they are now."""
    key = environment_key()
    if _values.get("key") != key:
        _values.clear()
        _values.update(_read_cache(key))
    if not isinstance(_values.get(kind), dict):  # missing, or a damaged file
        _values[kind] = {}
    return _values[kind]


def remembered(kind, name, compute):
    """`compute()`, read from the cache file when it was stored for the same environment."""
    values = _entries(kind)
    if name not in values:
        values[name] = compute()
        _write_cache(_values)
    return values[name]


def stored(kind, name):
    """The value stored under `name` for this environment, or None."""
    return _entries(kind).get(name)


def store(kind, name, value):
    """Keep `value` under `name` for this environment, in this process and in the file."""
    _entries(kind)[name] = value
    _write_cache(_values)


def forget():
    """Drop what this process holds (the file stays)."""
    _values.clear()


def _read_cache(key):
    path = _cache_path()
    try:
        with open(path, encoding="utf-8") as handle:
            cached = json.load(handle)
    except (TypeError, OSError, ValueError):
        return {"key": key}
    return cached if isinstance(cached, dict) and cached.get("key") == key else {"key": key}


def _write_cache(values):
    path = _cache_path()
    if path is None:
        return
    partial = f"{path}.{os.getpid()}.tmp"
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(partial, "w", encoding="utf-8") as handle:
            json.dump(values, handle)
        os.replace(partial, path)
    except OSError:  # the cache only saves time; a read-only working dir does without it
        with contextlib.suppress(OSError):
            os.remove(partial)
