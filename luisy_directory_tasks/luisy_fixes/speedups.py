"""Compute once what luisy's hashing recomputes for every task and requirement.

Before any file is touched, luisy hashes every task: it walks the code each task uses (parsing
each module and its imports again for every name it meets, with pandas tables per name), scans
all installed distributions once per task, and starts a `pipdeptree` subprocess for every
requirement. All of that depends only on the code, on luisy's functions and on the installed
distributions, so each piece is computed once and reused while those stay the same:

- parsed modules and walks are dropped when a walk starts from a task (as luisy's
  `create_hashes` starts one per task) and a parsed module's file, or one of the luisy functions
  a walk calls, was changed or replaced (a test's mock, say) since they were computed;
- what comes from the installed distributions is keyed on their metadata files, checked on
  every use, and kept in a small cache file in luisy's working dir (environment_cache.py), so
  a run in an unchanged environment reads none of them;
- walks from tasks are kept in that file too, with the stamps of the source files they read
  (stored_walks.py), so a run whose code did not change parses none of it.

The hashes stay exactly luisy's (see the tests), and the walk calls luisy's module attributes
(`code_inspection.walk_nodes` for its steps), so what luisy's tests patch is what runs.
"""

import ast
import functools
import importlib
import importlib.metadata
import inspect
import sys

import luisy.code_inspection as code_inspection
import numpy as np
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from luisy_directory_tasks.luisy_fixes import (
    compat,
    environment_cache,
    stored_walks,
)

_original = {
    "walk_nodes": code_inspection.walk_nodes,
    "get_varnames_delta": code_inspection.get_varnames_delta,
    "get_all_deps_with_versions": code_inspection.get_all_deps_with_versions,
    "get_irregular_pypi_names": code_inspection.get_irregular_pypi_names,
    "distribution_import_names": compat.distribution_import_names,
}
# What luisy's get_irregular_pypi_names reads the installed distributions with.
_DISTRIBUTION_PATH = code_inspection.DistributionPath
# The luisy functions a walk calls: walks and parsed modules are kept while these stay the same.
_WALK_USES = (
    "walk_nodes",
    "get_node",
    "get_import_data",
    "get_varnames_delta",
    "produce_node_hash",
    "_remove_docstrings",
    "is_standard",
    "is_builtin",
    "VariablesReturner",
)
_walks = {}
_requested_extras = {}  # environment key -> requested_extras()
_parsed = {}  # module name -> (stamp of its source file, syntax tree, import rows)
_walked_with = []  # the _WALK_USES functions the remembered walks were computed with
_installed = []  # the _WALK_USES functions once apply() installed this module's
# The modules whose code makes the hashes besides the code hashed: a stored walk needs them
# unchanged too.
_HASHING_MODULES = (__name__, compat.__name__, code_inspection.__name__)
# Name kinds that define a name inside a node (luisy's list).
_DEFINING = ("Store", "arg", "FunctionDef", "ClassDef", "ExceptHandler")


def _stamp(module):
    """What identifies the source a module was parsed from: the module object and its file's
    path, size, modification and change time (None without a file)."""
    return (id(module), stored_walks.path_stamp(getattr(module, "__file__", None)))


def _parsed_module(module_name):
    """A module's syntax tree and import table, parsed once (luisy parses them per name)."""
    module = importlib.import_module(module_name)
    stamp = _stamp(module)  # before the source is read: a later edit shows as a change
    if module_name not in _parsed or _parsed[module_name][0] != stamp:
        tree = ast.parse(inspect.getsource(module))
        imports = code_inspection.get_import_data(tree)
        columns = [imports[name] for name in ("module", "varname", "used_name", "package")]
        _parsed[module_name] = (stamp, tree, list(zip(*columns, strict=True)))
    return _parsed[module_name][1:]


def _drop_stale_walks():
    """Forget walks and parsed modules if a luisy function a walk calls was replaced or a
    parsed module's source changed since they were computed."""
    uses = [getattr(code_inspection, name, None) for name in _WALK_USES]
    changed = len(_walked_with) != len(uses) or any(
        now is not then for now, then in zip(uses, _walked_with, strict=True)
    )
    if (
        changed
        or any(_stamp(sys.modules.get(name)) != stamp for name, (stamp, _, _) in _parsed.items())
        or not stored_walks.loaded_unchanged()
    ):
        forget_code()
    _walked_with[:] = uses


def walk_nodes(variable_name, module_name, parent="", parent_module=""):
    """luisy's walk over the code a name uses, with every module parsed once and every walk
    remembered; it returns what luisy's `walk_nodes` returns."""
    if not parent:  # a walk from a task, not a step of one
        _drop_stale_walks()
    key = (variable_name, module_name, parent, parent_module)
    if key not in _walks:
        if parent:
            _walks[key] = _walk(variable_name, module_name, parent, parent_module)
        else:
            _walks[key] = _task_walk(variable_name, module_name)
    hashes, imported_packages, visualization_data, _ = _walks[key]
    return list(hashes), set(imported_packages), list(visualization_data)


def _task_walk(variable_name, module_name):
    """A walk from a task, stored between runs (stored_walks.py) while the luisy functions a
    walk calls are the ones installed here (not a test's mock)."""
    installed = [getattr(code_inspection, name, None) for name in _WALK_USES] == _installed
    name, hashing = f"{module_name}:{variable_name}", _HASHING_MODULES
    walk = stored_walks.load(name, hashing) if installed else None
    if walk is None:
        walk = _walk(variable_name, module_name, "", "")
        if installed:
            stored_walks.save(name, walk, _sources_as_parsed(walk[3]), hashing)
    return walk


def _sources_as_parsed(modules):
    """{module: its file's stamp when it was parsed} for the modules a walk read; None for a
    module not parsed in this process."""
    return {module: _parsed[module][0][1] if module in _parsed else None for module in modules}


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
    node = copy_tree(tree if is_module else code_inspection.get_node(variable_name, tree))
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
    modules = {module_name}  # whose source the walk read
    for name, name_module in next_level:
        if not name.startswith("__") and name != variable_name:
            hashes_c, imports_c, visualization_c = code_inspection.walk_nodes(
                name, name_module, parent=variable_name, parent_module=module_name
            )
            hashes = hashes + hashes_c
            imported_packages.update(imports_c)
            visualization_data = visualization_data + visualization_c
            step = _walks.get((name, name_module, variable_name, module_name))
            modules.update(step[3] if step else ())
    return hashes, imported_packages, visualization_data, sorted(modules)


def copy_tree(node):
    """A deep copy of a syntax tree, as copy.deepcopy makes it, several times faster: nodes
    and lists are copied, their leaves (names, constants, positions) are immutable."""
    if isinstance(node, list):
        return [copy_tree(item) for item in node]
    if not isinstance(node, ast.AST):
        return node
    copied = node.__class__.__new__(node.__class__)
    copied.__dict__.update({name: copy_tree(value) for name, value in node.__dict__.items()})
    return copied


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


def get_all_deps_with_versions(package):
    """luisy's {dependency: requirement} of an installed distribution (what it reads from
    `pipdeptree --package <package> --json-tree`), without a subprocess, remembered while the
    installed distributions stay the same. {} for a distribution that is not installed, as
    luisy documents (pipdeptree 3 prints nothing there, so luisy's own call fails). Read from
    this interpreter's environment, as luisy means to (`sys.executable -m pipdeptree`);
    pipdeptree 3 would read another venv instead if one is activated."""
    package = package.replace("_", "-")
    compute = functools.partial(_dependencies, package)
    return dict(environment_cache.remembered("dependencies", package, compute))


def _dependencies(package):
    """The distribution's requirements that apply here, named as installed, with pipdeptree's
    version text (specifiers sorted in reverse, '' for none)."""
    try:
        distribution = importlib.metadata.distribution(canonicalize_name(package))
    except (importlib.metadata.PackageNotFoundError, ValueError):
        return {}
    extras = requested_extras().get(canonicalize_name(package), set())
    requirements = _applying(distribution, extras)
    harmonize = code_inspection._harmonize_package_name
    dependencies = {}
    for requirement in sorted(requirements, key=lambda r: canonicalize_name(r.name)):
        name = harmonize(_installed_name(requirement.name))
        specifiers = sorted((str(s) for s in requirement.specifier), reverse=True)
        dependencies[name] = name + ",".join(specifiers)
    return dependencies


def _applying(distribution, extras):
    """The requirements of `distribution` that apply here with its `extras` requested."""
    applying = []
    for line in distribution.requires or []:
        try:
            requirement = Requirement(line)
        except InvalidRequirement:
            continue  # pipdeptree skips these too, with a warning
        marker = requirement.marker
        if marker is None or any(marker.evaluate({"extra": e}) for e in ("", *extras)):
            applying.append(requirement)
    return applying


def requested_extras():
    """{distribution: extras some installed distribution requires it with}, followed through
    the requirements those extras add: pipdeptree 3 shows them as dependencies (its default,
    `--extras explicit`), so a project that requires `lib[extra]` may import what the extra
    brings. Computed once per state of the installed distributions."""
    key = environment_cache.environment_key()
    if key not in _requested_extras:
        _requested_extras.clear()
        _requested_extras[key] = _requested_extras_now()
    return _requested_extras[key]


def _requested_extras_now():
    distributions = {}
    for distribution in importlib.metadata.distributions():
        distributions.setdefault(canonicalize_name(distribution.metadata["Name"]), distribution)
    requested = {}
    pending = [(name, frozenset()) for name in distributions]
    while pending:
        name, extras = pending.pop()
        for requirement in _applying(distributions[name], extras):
            wanted = canonicalize_name(requirement.name)
            new = set(requirement.extras) - requested.get(wanted, set())
            if new:
                requested.setdefault(wanted, set()).update(new)
                if wanted in distributions:
                    pending.append((wanted, frozenset(requested[wanted])))
    return requested


def _installed_name(name):
    """A requirement's name as its installed distribution spells it (pipdeptree does this)."""
    try:
        return importlib.metadata.distribution(canonicalize_name(name)).metadata["Name"]
    except importlib.metadata.PackageNotFoundError:
        return name


def get_irregular_pypi_names():
    """luisy's import-name -> distribution map, remembered while the installed distributions
    (and what luisy reads them with) stay the same."""
    if code_inspection.DistributionPath is not _DISTRIBUTION_PATH:
        return _original["get_irregular_pypi_names"]()
    # Entry names differ from the ones earlier versions of this file wrote (merged maps).
    compute = _original["get_irregular_pypi_names"]
    return dict(environment_cache.remembered("pypi_names", "luisys-own", compute))


def distribution_import_names():
    """compat's map from importlib.metadata, remembered the same way."""
    compute = _original["distribution_import_names"]
    return dict(environment_cache.remembered("import_names", "with-capitals", compute))


def forget_code():
    """Drop the remembered walks and parsed modules."""
    _walks.clear()
    _parsed.clear()
    stored_walks.forget_loaded()


def forget():
    """Drop everything remembered in this process (the cache file stays)."""
    forget_code()
    environment_cache.forget()


def apply():
    """Install the remembering versions into luisy and compat (after
    compat.apply())."""
    code_inspection.walk_nodes = walk_nodes
    code_inspection.get_varnames_delta = get_varnames_delta
    code_inspection.get_all_deps_with_versions = get_all_deps_with_versions
    code_inspection.get_irregular_pypi_names = get_irregular_pypi_names
    compat.distribution_import_names = distribution_import_names
    _installed[:] = [getattr(code_inspection, name, None) for name in _WALK_USES]
