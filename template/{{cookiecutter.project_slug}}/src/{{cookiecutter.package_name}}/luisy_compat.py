"""Fixes that let luisy 1.4.7 run on today's Python and dependencies.

luisy is archived upstream, so nothing here will be fixed there. Each fix names the breakage it
answers and has a test in tests/test_luisy_compat.py that fails without it. Breakages answered by
a dependency instead (grpcio, pipdeptree<4) are explained next to the pins in pyproject.toml.
`apply()` runs when this package is imported, before any task module uses luisy.
"""

import ast
import importlib.metadata
import logging
import os
import re
import sys

import luigi
import pandas as pd

logger = logging.getLogger(__name__)

# luisy and luigi log warnings that a local pipeline can do nothing about: five optional
# variables (Azure storage and the like) at import, optional luigi modules (postgres, S3), and a
# missing requirements.txt (hashing then reads the installed project's metadata, as intended).
# The filters must be in place before luisy is first imported.
_NOISE = re.compile(
    r"Environment Variable \w+ not set!"
    r"|Loading \w+ module without .*"
    r"|No requirements.txt found.*"
)


def _not_noise(record):
    return not _NOISE.fullmatch(record.getMessage())


for _logger_name in ("luigi-interface", "luigi-interface.luisy-interface", "luisy.code_inspection"):
    logging.getLogger(_logger_name).addFilter(_not_noise)

import luisy.code_inspection as code_inspection  # noqa: E402
import luisy.decorators as decorators  # noqa: E402
from luisy.targets import DirectoryTarget  # noqa: E402

_original = {
    "is_standard": code_inspection.is_standard,
    "get_irregular_pypi_names": code_inspection.get_irregular_pypi_names,
}


def is_standard(package_name):
    """Since Python 3.11 `os`, `io`, `abc` and `stat` are frozen modules: their origin is
    'frozen', so luisy's file-path test misses them and hashing fails on `import os`."""
    return package_name in sys.stdlib_module_names or _original["is_standard"](package_name)


def get_irregular_pypi_names():
    """luisy maps import names to distributions from top_level.txt, which meson-built wheels
    such as scikit-image lack; importlib.metadata knows that `skimage` is scikit-image.
    luisy also looks import names up as written (`PIL`) in a table of lower-case keys, so
    names with capitals are entered as written too."""
    names = _original["get_irregular_pypi_names"]()
    for module, distributions in importlib.metadata.packages_distributions().items():
        key = module.lower().replace("-", "_")
        distribution = distributions[0].lower().replace("-", "_")
        if key != distribution:
            names.setdefault(key, distribution)
        if module != key:
            names.setdefault(module, distribution)
    return names


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


class SortedDirectoryTarget(DirectoryTarget):
    """luisy's DirectoryTarget reads an unsorted, top-level-only listing and matches its regex
    anywhere in the name. This one walks every subfolder in sorted order, skips hidden files and
    folders, matches the regex against the whole path relative to the folder, and says which
    files it does not read and why."""

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
        reported as one entry each. Any character may appear in a name, a newline too.
        """
        read, unread = [], []
        for root, dirs, files in os.walk(self.path):
            base = os.path.relpath(root, self.path)

            def relative(name, base=base):
                return name if base == "." else f"{base}/{name}".replace(os.sep, "/")

            for name in list(dirs):
                if os.path.islink(os.path.join(root, name)):
                    unread.append((relative(name), "a symbolic link to a folder (not followed)"))
                    dirs.remove(name)
                elif name.startswith("."):
                    unread.append((relative(name), "a hidden folder (not read)"))
                    dirs.remove(name)
            for name in files:
                if name.startswith("."):
                    unread.append((relative(name), "a hidden file"))
                elif re.fullmatch(self.regex_pattern, relative(name), re.DOTALL):
                    read.append(relative(name))
                else:
                    unread.append((relative(name), "not a file type this task reads"))
        return sorted(read), sorted(unread)

    def read(self):
        for relative in self.relative_paths():
            content = self.read_file(os.path.join(self.path, relative))
            if content is not None:
                yield content


def make_directory_output(read_file_func, regex_pattern=None):
    """luisy's version assigns the reader onto its shared DirectoryTarget class, so the last
    decorated task's reader wins for all of them. This one gives every task its own target."""

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
                "regex_pattern": regex_pattern or ".*",
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
    code_inspection.get_irregular_pypi_names = get_irregular_pypi_names
    code_inspection.get_import_data = get_import_data
    code_inspection._remove_docstrings = _remove_docstrings
    decorators.make_directory_output = make_directory_output
