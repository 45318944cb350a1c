"""Walks from tasks kept between runs: a new process hashes its tasks without parsing their code
again while none of the source files a walk read has changed.

A stored walk sits in the environment cache (environment_cache.py: same interpreter and
installed distributions) with the path, size, modification and change time of every module it
read and of the modules hashing itself runs (this package's fixes, luisy's code inspection).
It is used only when all of them are the same files, unchanged, and it is checked to have the
shape of a walk: the file is data anyone who can write the working dir can edit.
"""

import importlib.util
import os
import sys

from luisy_directory_tasks.luisy_fixes import environment_cache

KIND = "walks"

_loaded = {}  # module -> stamp: the sources of the walks this process read from the file


def path_stamp(path):
    """[path, size, mtime_ns, ctime_ns] of a file, or None."""
    try:
        info = os.stat(path)
    except (OSError, TypeError):
        return None
    return [path, info.st_size, info.st_mtime_ns, info.st_ctime_ns]


def file_stamp(module_name):
    """The path_stamp of a module's source file, or None. A module the walk imported need not
    be imported yet (one a task imports when it runs): it is looked up."""
    module = sys.modules.get(module_name)
    if module is not None:
        return path_stamp(getattr(module, "__file__", None))
    try:
        return path_stamp(importlib.util.find_spec(module_name).origin)
    except (ImportError, AttributeError, ValueError):
        return None


def load(name, hashing_modules):
    """The walk stored under `name` as (hashes, imported packages, visualization data, module
    names), if every source it read and `hashing_modules` are unchanged; else None."""
    entry = environment_cache.stored(KIND, name)
    try:
        sources, (hashes, packages, visualization) = entry["sources"], entry["walk"]
        unchanged = set(hashing_modules) <= sources.keys() and all(
            stamp == file_stamp(module) for module, stamp in sources.items()
        )
    except (TypeError, KeyError, ValueError, AttributeError):
        return None
    if not unchanged or not _is_walk(hashes, packages, visualization):
        return None
    _loaded.update(sources)
    return list(hashes), set(packages), list(visualization), list(sources)


def loaded_unchanged():
    """True while every source of the walks read from the file is as it was then."""
    return all(stamp == file_stamp(module) for module, stamp in _loaded.items())


def forget_loaded():
    """Forget which walks came from the file (their walks are forgotten too)."""
    _loaded.clear()


def save(name, walk, sources, hashing_modules):
    """Store `walk` (as `load` returns it) under `name` with `sources`, {module: its stamp
    when the walk read it}, and the stamps of `hashing_modules`; nothing if a source changed
    since it was read (it was edited while hashing ran) or has no file."""
    sources = {**sources, **{module: file_stamp(module) for module in hashing_modules}}
    if any(stamp is None or stamp != file_stamp(module) for module, stamp in sources.items()):
        return
    hashes, packages, visualization, _ = walk
    stored = [hashes, sorted(packages), visualization]
    environment_cache.store(KIND, name, {"sources": dict(sorted(sources.items())), "walk": stored})


def _is_walk(hashes, packages, visualization):
    def strings(values):
        return type(values) is list and all(type(value) is str for value in values)

    return (
        strings(hashes)
        and strings(packages)
        and type(visualization) is list
        and all(type(row) is dict and strings(list(row.values())) for row in visualization)
    )
