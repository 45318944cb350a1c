"""Compute once per process what luisy's hashing recomputes for every task and requirement.

Before any file is touched, luisy hashes every task: it walks the code each task uses (parsing
each module and its imports again for every name it meets, with pandas tables per name), scans
all installed distributions once per task, and starts a `pipdeptree` subprocess for every
requirement. All of that depends only on the code and
the installed distributions, which do not change during a run, so each piece is computed once
per process and reused. The hashes stay exactly the ones luisy computes (see the tests).
"""

import ast
import contextlib
import copy
import functools
import importlib
import inspect
import io
import json

import luisy.code_inspection as code_inspection
import numpy as np

_original = {
    "walk_nodes": code_inspection.walk_nodes,
    "get_varnames_delta": code_inspection.get_varnames_delta,
    "get_all_deps_with_versions": code_inspection.get_all_deps_with_versions,
    "get_irregular_pypi_names": code_inspection.get_irregular_pypi_names,
}
_walks = {}
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
    """luisy's {dependency: requirement} of an installed distribution, without a subprocess."""
    package = package.replace("_", "-")
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


@functools.cache
def _irregular_pypi_names():
    return _original["get_irregular_pypi_names"]()


def get_irregular_pypi_names():
    """The import-name -> distribution map, built from one scan per process."""
    return dict(_irregular_pypi_names())


def forget():
    """Drop everything remembered, e.g. after code or installed packages changed."""
    _walks.clear()
    _parsed_module.cache_clear()
    _installed_tree.cache_clear()
    _json_tree.cache_clear()
    _irregular_pypi_names.cache_clear()


def apply():
    """Install the once-per-process versions into luisy (after luisy_compat.apply())."""
    if code_inspection.get_irregular_pypi_names is not get_irregular_pypi_names:
        _original["get_irregular_pypi_names"] = code_inspection.get_irregular_pypi_names
    code_inspection.walk_nodes = walk_nodes
    code_inspection.get_varnames_delta = get_varnames_delta
    code_inspection.get_all_deps_with_versions = get_all_deps_with_versions
    code_inspection.get_irregular_pypi_names = get_irregular_pypi_names
