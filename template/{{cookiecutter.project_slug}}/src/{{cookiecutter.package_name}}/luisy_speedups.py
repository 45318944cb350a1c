"""Compute once what luisy's hashing recomputes for every task and requirement.

Before any file is touched, luisy hashes every task: it walks the code each task uses (parsing
each module and its imports again for every name it meets, with pandas tables per name), scans
all installed distributions once per task, and starts a `pipdeptree` subprocess for every
requirement. All of that depends only on the code and
the installed distributions, which do not change during a run, so each piece is computed once
per process and reused. What comes from the installed distributions is also kept in a small
cache file in luisy's working dir, keyed on the distributions' metadata files, so a run in an
unchanged environment reads none of them. The hashes stay exactly luisy's (see the tests).
"""

import ast
import contextlib
import copy
import functools
import hashlib
import importlib
import inspect
import io
import json
import os
import sys

import luisy.code_inspection as code_inspection
import numpy as np

_original = {
    "walk_nodes": code_inspection.walk_nodes,
    "get_varnames_delta": code_inspection.get_varnames_delta,
    "get_all_deps_with_versions": code_inspection.get_all_deps_with_versions,
    "get_irregular_pypi_names": code_inspection.get_irregular_pypi_names,
}
_walks = {}
# In luisy's working dir: what hashing read from the installed distributions, with the key of
# the environment it was read from. JSON, so reading it never runs code.
CACHE_FILE = ".luisy-environment-cache.json"
# Name kinds that define a name inside a node (luisy's list).
_DEFINING = ("Store", "arg", "FunctionDef", "ClassDef", "ExceptHandler")


@functools.cache
def _parsed_module(module_name):
    """A module's syntax tree and import table, parsed once (luisy parses them per name)."""
    module = importlib.import_module(module_name)
    tree = ast.parse(inspect.getsource(module))
    imports = code_inspection.get_import_data(tree)
    columns = [imports[name] for name in ("module", "varname", "used_name", "package")]
    rows = list(zip(*columns, strict=True))
    return tree, rows


def walk_nodes(variable_name, module_name, parent="", parent_module=""):
    """luisy's walk over the code a name uses, with every module parsed once per process and
    every walk remembered; it returns what luisy's `walk_nodes` returns."""
    key = (variable_name, module_name, parent, parent_module)
    if key not in _walks:
        _walks[key] = _walk(variable_name, module_name, parent, parent_module)
    hashes, imported_packages, visualization_data = _walks[key]
    return list(hashes), set(imported_packages), list(visualization_data)


def _walk(variable_name, module_name, parent, parent_module):
    module = importlib.import_module(module_name)
    if not hasattr(module, variable_name):
        raise AttributeError(
            f"Module '{module_name}' does not contain any variable named '{variable_name}'!"
        )
    is_module = type(getattr(module, variable_name)).__name__ == "module"
    if is_module:
        module_name = f"{module_name}.{variable_name}"
    tree, imports = _parsed_module(module_name)
    # Hashing removes docstrings in place, so it works on a copy of the cached tree.
    node = copy.deepcopy(tree if is_module else code_inspection.get_node(variable_name, tree))
    visualization_data = [
        {
            "name": variable_name,
            "parent": parent,
            "module": module_name,
            "parent_module": parent_module,
            "type": type(node).__name__,
        }
    ]
    hashes = [code_inspection.produce_node_hash(node)]
    var_names = list(code_inspection.get_varnames_delta(node))
    used = set(var_names)
    relevant = [
        row for row in imports if row[2] in used and not code_inspection.is_standard(row[3])
    ]
    package = module_name.split(".")[0]
    imported_packages = {row[3] for row in relevant} - {package}
    imported_names = {row[2] for row in imports}
    next_level = [(name, module_name) for name in var_names if name not in imported_names]
    next_level += [(row[1], row[0]) for row in relevant if row[3] == package]
    for name, name_module in next_level:
        if not name.startswith("__") and name != variable_name:
            hashes_c, imports_c, visualization_c = walk_nodes(
                name, name_module, parent=variable_name, parent_module=module_name
            )
            hashes = hashes + hashes_c
            imported_packages.update(imports_c)
            visualization_data = visualization_data + visualization_c
    return hashes, imported_packages, visualization_data


def get_varnames_delta(node):
    """Names a node uses but does not define, in sorted order, builtins left out: what luisy
    computes with a pandas group-by and merge per node, in plain Python."""
    visitor = code_inspection.VariablesReturner()
    visitor.visit(node)
    names = visitor.variable_names
    if not names:
        return np.array([])
    loaded = sorted({name["id"] for name in names if name["kind"] == "Load"})
    defined = {name["id"] for name in names if name["kind"] in _DEFINING}
    outside = [
        name
        for name in loaded
        if name not in defined and name != "self" and not code_inspection.is_builtin(name)
    ]
    return np.array(outside, dtype=object)


@functools.cache
def _installed_tree():
    """pipdeptree's dependency tree of this environment, discovered the way its CLI does."""
    from pipdeptree.__main__ import build_tree
    from pipdeptree._cli import get_options

    return build_tree(get_options(["--warn", "silence", "--json-tree"]))


@functools.cache
def _json_tree(distribution):
    """What `python -m pipdeptree --packages <distribution> --json-tree` prints."""
    from pipdeptree._render.json_tree import render_json_tree

    tree = _installed_tree().filter_nodes([distribution], None)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        render_json_tree(tree)
    return printed.getvalue()


def get_all_deps_with_versions(package):
    """luisy's {dependency: requirement} of an installed distribution, without a subprocess,
    remembered across runs while the installed distributions stay the same."""
    package = package.replace("_", "-")
    return dict(_remembered("dependencies", package, lambda: _dependencies(package)))


def _dependencies(package):
    try:
        tree = json.loads(_json_tree(package))
    except Exception as error:  # pipdeptree's filter raises when the package is missing
        raise RuntimeError(
            f"luisy's hashing needs the distribution {package!r} installed: run"
            " `python -m pip install -e .` in the project"
        ) from error
    if not tree:
        return {}
    harmonize = code_inspection._harmonize_package_name
    return {
        harmonize(dependency["package_name"]): harmonize(dependency["package_name"])
        + dependency["required_version"].replace("Any", "")
        for dependency in tree[0].get("dependencies", [])
    }


def get_irregular_pypi_names():
    """The import-name -> distribution map, remembered across runs while the installed
    distributions stay the same."""
    # The entry's name changes with the computation, so a cache written before is not used.
    return dict(_remembered("pypi_names", "with-capitals", _original["get_irregular_pypi_names"]))


def _environment_key():
    """What the installed distributions are: the interpreter pipdeptree would inspect, and every
    *.dist-info and *.egg-info on sys.path with the modification times of it and its metadata."""
    from pipdeptree.__main__ import _resolve_python

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
    described = json.dumps([sys.executable, _resolve_python(None), found])
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


_remembered_values = {}


def _remembered(kind, name, compute):
    """`compute()`, read from the cache file when it was stored for the same environment."""
    if not _remembered_values:
        _remembered_values.update(_read_cache())
    values = _remembered_values.setdefault(kind, {})
    if name not in values:
        values[name] = compute()
        _write_cache(_remembered_values)
    return values[name]


def _read_cache():
    key = _environment_key()
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
        pass


def forget():
    """Drop everything remembered, e.g. after code or installed packages changed."""
    _walks.clear()
    _parsed_module.cache_clear()
    _installed_tree.cache_clear()
    _json_tree.cache_clear()
    _remembered_values.clear()


def apply():
    """Install the once-per-process versions into luisy (after luisy_compat.apply())."""
    if code_inspection.get_irregular_pypi_names is not get_irregular_pypi_names:
        _original["get_irregular_pypi_names"] = code_inspection.get_irregular_pypi_names
    code_inspection.walk_nodes = walk_nodes
    code_inspection.get_varnames_delta = get_varnames_delta
    code_inspection.get_all_deps_with_versions = get_all_deps_with_versions
    code_inspection.get_irregular_pypi_names = get_irregular_pypi_names
