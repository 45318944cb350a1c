"""One test per luisy breakage that this project answers; each fails without its fix."""

import ast
import importlib.metadata
import subprocess
import sys

import luisy.code_inspection as code_inspection
import luisy.decorators as decorators
import pytest
from luisy import ExternalTask, raw
from luisy.targets import DirectoryTarget

from luisy_directory_tasks.luisy_fixes import compat, speedups

from conftest import PACKAGE, PROJECT_ROOT


def test_luisy_command_line_imports():
    """pyspark 4 needs grpcio for the module luisy's command line imports (pin: grpcio)."""
    result = subprocess.run(
        [sys.executable, "-c", "import luisy.cli"], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr


def test_pipdeptree_accepts_luisys_package_option():
    """luisy calls `pipdeptree --package`; pipdeptree 4 rejects it (pin: pipdeptree<4)."""
    distribution = PACKAGE.replace("_", "-")
    dependencies = code_inspection.get_all_deps_with_versions(distribution)
    assert "luisy" in dependencies


@pytest.mark.parametrize("module", ["os", "io", "abc", "stat", "sys", "json"])
def test_frozen_standard_modules_are_standard(module):
    assert code_inspection.is_standard(module)


def test_original_is_standard_misses_frozen_modules():
    """Shows the breakage the fix answers, on Python 3.11 and later."""
    assert not compat._original["is_standard"]("os")


def test_skimage_maps_to_scikit_image():
    mapper = code_inspection.make_pypi_mapper()
    assert mapper("skimage") == "scikit_image"


def test_original_mapper_misses_skimage():
    """Shows the breakage the fix answers: scikit-image's wheel has no top_level.txt."""
    assert compat._original["make_pypi_mapper"]()("skimage") == "skimage"


def test_luisys_pypi_map_answers_first(monkeypatch):
    """The mapper asks importlib.metadata only about names luisy's own map does not know."""
    monkeypatch.setattr(code_inspection, "get_irregular_pypi_names", lambda: {"skimage": "mine"})
    mapper = code_inspection.make_pypi_mapper()
    assert mapper("skimage") == "mine"
    assert mapper("no_such_module_here") == "no_such_module_here"


def test_luisys_pypi_map_is_luisys_own():
    """The fix lives in the mapper; luisy's map keeps what luisy returns."""
    luisys_own = speedups._original["get_irregular_pypi_names"]
    assert luisys_own.__module__ == "luisy.code_inspection"
    assert code_inspection.get_irregular_pypi_names() == luisys_own()


# What luisy's hashing gives this source on Python 3.11 (luisy's own produce_node_hash there).
HASHED_SOURCE = """class Loader(Base, metaclass=Meta):
    "Doc."
    size: int = 3

    def read(self, path, *rest, mode="r", **options) -> bytes:
        with open(path, mode) as handle:
            return handle.read()[: self.size]


def total(values, start=0):
    return sum(v for v in values if v is not None) + start
"""
HASH_ON_PYTHON_3_11 = "fb50772ff72ab75e736f9f5faadf5559"


def test_hashes_do_not_change_with_the_python_version():
    """ast.dump writes more fields on 3.12 and fewer on 3.13, which changed every hash."""
    assert code_inspection.produce_node_hash(ast.parse(HASHED_SOURCE)) == HASH_ON_PYTHON_3_11


@pytest.mark.skipif(sys.version_info < (3, 12), reason="ast.dump's text changed in Python 3.12")
def test_original_hashes_change_with_the_python_version():
    """Shows the breakage the fix answers."""
    node = ast.parse(HASHED_SOURCE)
    assert compat._original["produce_node_hash"](node) != HASH_ON_PYTHON_3_11


@pytest.mark.skipif(sys.version_info[:2] != (3, 11), reason="Python 3.11's ast.dump is the model")
def test_dump_is_python_3_11s_for_this_projects_code():
    for path in sorted(PROJECT_ROOT.glob("src/*/*.py")) + sorted(PROJECT_ROOT.glob("tests/*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            expected = ast.dump(node, annotate_fields=False)
            assert compat.dump_as_python_3_11(node) == expected, path


def test_requirements_parser_imports():
    """luisy's requirements-parser imports pkg_resources: gone from setuptools 81 and not in
    Python 3.12+ venvs (pin: setuptools<81)."""
    result = subprocess.run(
        [sys.executable, "-c", "import requirements"], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr


def test_pkg_resources_deprecation_is_silenced():
    code = f"import {PACKAGE}, requirements"
    result = subprocess.run(
        [sys.executable, "-W", "default", "-c", code], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert "pkg_resources" not in result.stderr


def test_an_import_name_with_capitals_maps_to_its_distribution():
    """luisy looks `PIL` up as written in a table of lower-case names; images.py imports it."""
    assert code_inspection.make_pypi_mapper()("PIL") == "pillow"
    assert "PIL" not in speedups._original["get_irregular_pypi_names"]()


@pytest.mark.filterwarnings("ignore:ast.Str is deprecated:DeprecationWarning")  # 3.12, 3.13
def test_docstrings_are_removed_without_ast_str(monkeypatch):
    tree = ast.parse('class A:\n    """Doc."""\n    x = 1\n')
    monkeypatch.delattr(ast, "Str", raising=False)  # as on Python 3.14

    code_inspection._remove_docstrings(tree)

    assert isinstance(tree.body[0].body[0], ast.Assign)


def test_import_table_keeps_plain_names_next_to_aliases():
    tree = ast.parse("import numpy as np\nimport os\nfrom luisy import Task\n")
    imports = code_inspection.get_import_data(tree)
    assert list(imports["used_name"]) == ["np", "os", "Task"]


def test_import_table_has_luisys_rows_in_luisys_order():
    source = (
        "import a.b as c, d\nfrom e.f import g\n"
        "def h():\n    import i\n    from j import k as m\nimport n\n"
    )
    visitor = code_inspection.ImportReturner()
    visitor.visit(ast.parse(source))
    imports = code_inspection.get_import_data(ast.parse(source))
    assert list(imports["module"]) == [row["module"] for row in visitor.import_data]
    assert list(imports["varname"]) == [row["varname"] for row in visitor.import_data]
    assert list(imports["used_name"]) == ["c", "d", "g", "i", "m", "n"]
    assert list(imports["package"]) == ["a", "d", "e", "i", "j", "n"]


def test_two_directory_tasks_read_with_their_own_reader(tmp_path):
    (tmp_path / "f.txt").write_text("content")
    shared_reader = DirectoryTarget.read_file

    @compat.make_directory_output(lambda path: ("first", path))
    @raw
    class First(ExternalTask):
        def get_folder_name(self):
            return ""

    @compat.make_directory_output(lambda path: ("second", path))
    @raw
    class Second(ExternalTask):
        def get_folder_name(self):
            return ""

    first = First.target_cls(path=str(tmp_path))
    second = Second.target_cls(path=str(tmp_path))
    assert [label for label, _ in first.read()] == ["first"]
    assert [label for label, _ in second.read()] == ["second"]
    assert DirectoryTarget.read_file is shared_reader


def test_luisys_directory_output_is_left_as_it_is():
    """Code that calls luisy's decorator gets luisy's (flat, name-matched) target."""
    assert decorators.make_directory_output.__module__ == "luisy.decorators"


def test_luisy_style_pattern_reads_matching_files_at_any_depth(tmp_path):
    """As in luisy, the pattern is searched in each file name: '.csv' reads every CSV file."""
    for name in ("b.csv", "sub/a.csv", "sub/deeper/c.CSV.csv", "notes.txt", ".hidden.csv"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x")

    @compat.make_directory_output(lambda path: path, regex_pattern=".csv")
    @raw
    class Tables(ExternalTask):
        def get_folder_name(self):
            return ""

    target = Tables.target_cls(path=str(tmp_path))
    assert target.relative_paths() == ["b.csv", "sub/a.csv", "sub/deeper/c.CSV.csv"]


def test_hashing_works_for_the_pipeline_tasks():
    """All fixes together: luisy hashes every task of this project."""
    from sample_pipeline.tasks import ExportDirectory, RedChannel, ToNumpy

    hashes = code_inspection.create_hashes([ExportDirectory, ToNumpy, RedChannel])
    assert len(set(hashes)) == 3


def test_fixes_are_installed_when_the_package_is_imported():
    code = f"import {PACKAGE}, luisy.code_inspection as c; print(c.is_standard('os'))"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=PROJECT_ROOT
    )
    assert result.stdout.strip().endswith("True"), result.stderr


def test_project_is_installed():
    """luisy's hashing reads the installed project's requirements."""
    assert importlib.metadata.distribution(PACKAGE.replace("_", "-"))
