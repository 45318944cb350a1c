"""Compute once per process what luisy's hashing recomputes for every task and requirement.

Before any file is touched, luisy hashes every task: it walks the code each task uses (parsing
modules again for every name it meets), scans all installed distributions once per task, and
starts a `pipdeptree` subprocess for every requirement. All of that depends only on the code and
the installed distributions, which do not change during a run, so each piece is computed once
per process and reused. The hashes stay exactly the ones luisy computes (see the tests).
"""

import contextlib
import functools
import io
import json

import luisy.code_inspection as code_inspection

_original = {
    "walk_nodes": code_inspection.walk_nodes,
    "get_all_deps_with_versions": code_inspection.get_all_deps_with_versions,
    "get_irregular_pypi_names": code_inspection.get_irregular_pypi_names,
}
_walks = {}


def walk_nodes(variable_name, module_name, parent="", parent_module=""):
    """luisy's walk over the code a name uses, remembered for the rest of the process."""
    key = (variable_name, module_name, parent, parent_module)
    if key not in _walks:
        _walks[key] = _original["walk_nodes"](variable_name, module_name, parent, parent_module)
    hashes, imported_packages, visualization_data = _walks[key]
    return list(hashes), set(imported_packages), list(visualization_data)


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
    _installed_tree.cache_clear()
    _json_tree.cache_clear()
    _irregular_pypi_names.cache_clear()


def apply():
    """Install the once-per-process versions into luisy (after luisy_compat.apply())."""
    if code_inspection.get_irregular_pypi_names is not get_irregular_pypi_names:
        _original["get_irregular_pypi_names"] = code_inspection.get_irregular_pypi_names
    code_inspection.walk_nodes = walk_nodes
    code_inspection.get_all_deps_with_versions = get_all_deps_with_versions
    code_inspection.get_irregular_pypi_names = get_irregular_pypi_names
