"""Fixes that let luisy 1.4.7 run on today's Python and dependencies.

luisy is archived upstream, so nothing here will be fixed there. Each fix names the breakage it
answers and has a test in tests/test_luisy_compat.py that fails without it. Breakages answered by
a dependency instead (grpcio, pipdeptree<4, setuptools<81) are explained next to the pins in
pyproject.toml. `apply()` runs as soon as luisy is imported in a process that imported this
package (see luisy_fixes/__init__.py).

The fixes keep luisy's contract: luisy's own test suite (its 1.4.7 release) passes with them
installed. Code that calls luisy's public functions gets luisy's behaviour, except where luisy
breaks on today's Python and libraries. The one place where this project wants more than luisy
gives (folders of input files) is this project's own `make_directory_output`, used by its tasks;
luisy's decorator of that name is left as it is.
"""

import ast
import hashlib
import importlib.metadata
import logging
import os
import re
import sys
from operator import attrgetter

import luigi
import luisy.code_inspection as code_inspection
import pandas as pd
from luisy.targets import DirectoryTarget

from luisy_directory_tasks.errors import refuse_unlistable

logger = logging.getLogger(__name__)

_original = {
    "is_standard": code_inspection.is_standard,
    "make_pypi_mapper": code_inspection.make_pypi_mapper,
    "produce_node_hash": code_inspection.produce_node_hash,
}

# This library and the distribution it comes in, in luisy's spelling.
LIBRARY = __package__.split(".")[0]
LIBRARY_DISTRIBUTION = "luisy_scaffold"


def is_standard(package_name):
    """Since Python 3.11 `os`, `io`, `abc` and `stat` are frozen modules: their origin is
    'frozen', so luisy's file-path test misses them and hashing fails on `import os`."""
    return package_name in sys.stdlib_module_names or _original["is_standard"](package_name)


def distribution_import_names():
    """{import name: distribution} where they differ, from importlib.metadata, in luisy's
    spelling (lower case, '_' for '-'). luisy looks import names up as written (`PIL`), so
    names with capitals are entered as written too."""
    names = {}
    for module, distributions in importlib.metadata.packages_distributions().items():
        key = module.lower().replace("-", "_")
        distribution = distributions[0].lower().replace("-", "_")
        if key != distribution:
            names.setdefault(key, distribution)
        if module != key:
            names.setdefault(module, distribution)
    # An editable install of this library names none of its modules in its metadata.
    names.setdefault(LIBRARY, LIBRARY_DISTRIBUTION)
    return names


def make_pypi_mapper():
    """luisy maps import names to distributions with `get_irregular_pypi_names()`, which reads
    top_level.txt; meson-built wheels such as scikit-image have none, so `skimage` stays
    unmapped. This mapper answers as luisy's does for every name luisy's map knows, and asks
    importlib.metadata only about the others. `get_irregular_pypi_names` itself is luisy's."""
    special_pypi = code_inspection.get_irregular_pypi_names()
    more = []

    def package_name_to_pypi(package):
        if package in special_pypi:
            return special_pypi[package]
        if not more:
            more.append(distribution_import_names())
        return more[0].get(package, package)

    return package_name_to_pypi


def _imports(module_tree):
    """The module's imports in luisy's order (depth-first, in source order) as table rows."""
    rows = []
    stack = [module_tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Import | ast.ImportFrom):
            module = node.module if isinstance(node, ast.ImportFrom) else None
            for alias in node.names:
                if alias.name == "*":
                    raise Exception("Star import not supported by luisy hash creation!")
                rows.append((module or alias.name, alias.name, alias.asname))
        stack.extend(reversed(list(ast.iter_child_nodes(node))))
    return rows


def get_import_data(module_tree):
    """pandas 3 stores a missing alias as NaN, not None, so luisy's `asname is None` test gives
    every plain import the name NaN as soon as a module has one aliased import. The same table,
    with the names worked out before pandas sees them."""
    rows = _imports(module_tree)
    if not rows:
        return pd.DataFrame(columns=["module", "varname", "asname", "used_name", "package"])
    return pd.DataFrame(
        {
            "module": [module for module, _, _ in rows],
            "varname": [name for _, name, _ in rows],
            "asname": [alias for _, _, alias in rows],
            "used_name": [alias or name for _, name, alias in rows],
            "package": [module.split(".")[0] for module, _, _ in rows],
        }
    )


def _remove_docstrings(node):
    """Python 3.14 removed `ast.Str`, which luisy uses to find docstrings. Same result, with
    `ast.Constant`, on every version."""
    if isinstance(node, ast.FunctionDef | ast.ClassDef | ast.Module):
        first = node.body[0] if node.body else None
        if (
            isinstance(first, ast.Expr)
            and isinstance(first.value, ast.Constant)
            and isinstance(first.value.value, str)
        ):
            node.body = node.body[1:]
    if isinstance(getattr(node, "body", None), list):
        for child in node.body:
            _remove_docstrings(child)


def produce_node_hash(node):
    """luisy hashes `ast.dump(node, annotate_fields=False)`, whose text changed with Python 3.12
    (a `type_params` field on functions and classes) and 3.13 (empty fields left out), so
    every task's hash, and luisy's own expected hashes, changed with the interpreter. This hashes
    the text Python 3.11 gives, on every version: unchanged code keeps its hash."""
    code_inspection._remove_docstrings(node)
    return hashlib.md5(dump_as_python_3_11(node).encode()).hexdigest()


def dump_as_python_3_11(node):
    """`ast.dump(node, annotate_fields=False)` as Python 3.11 writes it."""
    if isinstance(node, list):
        return "[" + ", ".join(dump_as_python_3_11(item) for item in node) + "]"
    if not isinstance(node, ast.AST):
        return repr(node)
    parts = []
    named = False  # once a field is left out, the ones after it are written with their names
    for name in node._fields:
        try:
            value = getattr(node, name)
        except AttributeError:
            named = True
            continue
        if name == "type_params" and not value:
            continue  # added in Python 3.12; code that runs on 3.11 has no type parameters
        if value is None and getattr(type(node), name, ...) is None:
            named = True  # an optional field that is not set
            continue
        text = dump_as_python_3_11(value)
        parts.append(f"{name}={text}" if named else text)
    return f"{type(node).__name__}({', '.join(parts)})"


class SortedDirectoryTarget(DirectoryTarget):
    """The input folder of one of this project's tasks (see `make_directory_output` here).

    Like luisy's DirectoryTarget, it reads the files whose name matches `regex_pattern` with
    `re.search` (so luisy's `'.csv'` works as in luisy). Unlike it, on purpose and for this
    project's tasks only: files in subfolders are read too (their names matched the same way),
    in sorted order (luisy: the order of `os.listdir`), hidden files and folders and links to
    folders are skipped, it says which files it does not read and why, and a missing folder
    says where the files should go."""

    unread_hint = ""  # how to have files of other types read, for messages

    @property
    def folder(self):
        """The folder whose files this target reads."""
        return self.path

    def exists(self):
        if super().exists():
            return True
        logger.warning(
            "Input folder %s does not exist: create it and put your files there", self.path
        )
        return False

    def relative_paths(self):
        """Sorted relative paths (with '/') of the files this target reads."""
        return self.survey()[0]

    def survey(self):
        """(sorted paths this target reads, sorted [(path, why it is not read)] of the rest).

        Symbolic links to folders are not followed (they can loop); hidden folders are
        reported as one entry each. Any character may appear in a name, a newline too. A
        folder that cannot be listed raises UnlistableFolderError: skipping it, as os.walk
        does, would make its files look deleted.
        """
        read, unread = [], []
        is_valid = self.is_valid_file
        luisys = type(self).is_valid_file is DirectoryTarget.is_valid_file  # its re.search
        if luisys and isinstance(self.regex_pattern, str):
            is_valid = re.compile(self.regex_pattern).search  # compiled once, not per file
        for base, dirs, files in _walk(self.path):
            for name in dirs:
                if os.path.islink(os.path.join(self.path, base + name)):
                    unread.append((base + name, "a symbolic link to a folder (not followed)"))
                elif name.startswith("."):
                    unread.append((base + name, "a hidden folder (not read)"))
            matched = list(filter(is_valid, files))
            if len(matched) == len(files) and "\0." not in "\0" + "\0".join(files):
                read += map(base.__add__, files)  # nearly always: no call per file
                continue
            for name in files:
                if name[0] == ".":
                    unread.append((base + name, "a hidden file"))
                elif is_valid(name):
                    read.append(base + name)
                else:
                    unread.append((base + name, "not a file type this task reads"))
        read.sort()
        unread.sort()
        return read, unread

    def read(self):
        for relative in self.relative_paths():
            content = self.read_file(os.path.join(self.path, relative))
            if content is not None:
                yield content


def _walk(top):
    """(relative folder with a trailing '/' or '', its subfolders, its other entries) for
    `top` and every folder below it that is not hidden and not a link, like os.walk with
    refuse_unlistable as onerror; with no Python code per file of a folder without
    subfolders."""
    pending = [""]
    while pending:
        base = pending.pop()
        try:
            with os.scandir(os.path.join(top, base)) as listing:
                entries = list(listing)
        except OSError as error:
            refuse_unlistable(error)  # a folder removed meanwhile is simply gone
            continue
        try:
            folders = [entry for entry in entries if entry.is_dir()]
        except OSError:  # os.walk counts an entry it cannot stat as a file
            folders = [entry for entry in entries if _is_folder(entry)]
        dirs = [entry.name for entry in folders]
        if folders:
            folders = set(map(id, folders))
            files = [entry.name for entry in entries if id(entry) not in folders]
        else:
            files = list(map(attrgetter("name"), entries))
        yield base, dirs, files
        pending += [
            base + name + "/"
            for name in dirs
            if not name.startswith(".") and not os.path.islink(os.path.join(top, base, name))
        ]


def _is_folder(entry):
    try:
        return entry.is_dir()
    except OSError:
        return False


def make_directory_output(read_file_func, regex_pattern=None, unread_hint=""):
    """This project's version of luisy's decorator for an ExternalTask that reads a folder.
    `unread_hint` tells a person how to have files of other types read.

    luisy's `make_directory_output` assigns the reader onto its one shared DirectoryTarget
    class, so with two decorated tasks the last one's reader is used for both. This one gives
    every task its own target class (a SortedDirectoryTarget). luisy's own decorator is not
    replaced: code that calls it keeps luisy's behaviour."""

    def directory_output(cls):
        if not issubclass(cls, luigi.ExternalTask):
            raise ValueError("This decorator only works on ExternalTasks")
        if not hasattr(cls, "get_folder_name"):
            raise ValueError("A directory output needs a get_folder_name() method on the task")

        def read_file(self, file):
            return read_file_func(file)

        def get_outfile(self):
            return os.path.join(self.get_outdir(), self.get_folder_name())

        cls.target_cls = type(
            "target_cls",
            (SortedDirectoryTarget,),
            {
                "read_file": read_file,
                "regex_pattern": regex_pattern or "",
                "unread_hint": unread_hint,
                # Importable as <module>.<Task>.target_cls, so targets can go to worker processes.
                "__module__": cls.__module__,
                "__qualname__": f"{cls.__qualname__}.target_cls",
            },
        )
        cls.get_outfile = get_outfile
        return cls

    return directory_output


def apply():
    """Install every fix into luisy; safe to call more than once."""
    code_inspection.is_standard = is_standard
    code_inspection.make_pypi_mapper = make_pypi_mapper
    code_inspection.get_import_data = get_import_data
    code_inspection._remove_docstrings = _remove_docstrings
    code_inspection.produce_node_hash = produce_node_hash
