"""luisy's hashing computed once gives exactly luisy's own hashes."""

import ast
import importlib
import json
import sys
from pathlib import Path

import luisy.code_inspection as code_inspection
import numpy as np
import pytest
from sample_pipeline.tasks import ExportDirectory, RedChannel, ToNumpy

from luisy_directory_tasks.luisy_fixes import (
    compat,
    environment_cache,
    speedups,
    stored_walks,
)

from conftest import PACKAGE

TASKS = [ExportDirectory, ToNumpy, RedChannel]


def luisy_without_speedups(monkeypatch):
    for name in ("walk_nodes", "get_varnames_delta"):
        monkeypatch.setattr(code_inspection, name, speedups._original[name])
    monkeypatch.setattr(
        code_inspection,
        "get_all_deps_with_versions",
        speedups._original["get_all_deps_with_versions"],
    )
    monkeypatch.setattr(
        code_inspection,
        "get_irregular_pypi_names",
        speedups._original["get_irregular_pypi_names"],
    )
    monkeypatch.setattr(
        compat,
        "distribution_import_names",
        speedups._original["distribution_import_names"],
    )


def test_hashes_are_luisys_own(monkeypatch):
    fast = code_inspection.create_hashes(TASKS)
    luisy_without_speedups(monkeypatch)
    assert code_inspection.create_hashes(TASKS) == fast


def code_nodes():
    """Every class, function and assigned value at the top of this project's modules."""
    for path in sorted(Path(speedups.__file__).parents[1].rglob("*.py")):
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.ClassDef | ast.FunctionDef):
                yield node
            elif isinstance(node, ast.Assign):
                yield node.value


def test_names_used_by_each_node_are_luisys_own():
    original = speedups._original["get_varnames_delta"]
    nodes = list(code_nodes())
    assert len(nodes) > 20
    for node in nodes:
        assert list(speedups.get_varnames_delta(node)) == list(original(node))


def test_dependencies_match_pipdeptree_subprocess(monkeypatch):
    # pipdeptree 3 inspects an activated venv, if any, rather than the interpreter running it.
    if sys.prefix != sys.base_prefix:
        monkeypatch.setenv("VIRTUAL_ENV", sys.prefix)
    else:
        monkeypatch.delenv("VIRTUAL_ENV", raising=False)
    monkeypatch.delenv("CONDA_PREFIX", raising=False)
    distribution = PACKAGE.replace("_", "-")
    requirements = speedups.get_all_deps_with_versions(distribution)
    assert "luisy" in requirements
    subprocess_version = speedups._original["get_all_deps_with_versions"]
    for package in [distribution, *requirements]:
        assert speedups.get_all_deps_with_versions(package) == subprocess_version(package)


def test_a_distribution_that_is_not_installed_has_no_dependencies():
    """luisy's documented answer (its own call fails with pipdeptree 3)."""
    assert speedups.get_all_deps_with_versions("no-such-distribution-here") == {}
    assert code_inspection.get_all_deps("no-such-distribution-here") == set()


@pytest.mark.parametrize("task", TASKS)
def test_walks_are_luisys_own(task, monkeypatch):
    fast = speedups.walk_nodes(task.__name__, task.__module__)
    luisy_without_speedups(monkeypatch)
    original = code_inspection.walk_nodes(task.__name__, task.__module__)
    assert fast[0] == original[0]
    assert fast[1] == original[1]
    assert fast[2] == original[2]


def test_walk_steps_go_through_luisys_walk_nodes(monkeypatch):
    """What replaces luisy's walk_nodes (a test's mock, a later fix) sees every step."""
    steps = []

    def recording_walk(name, module, parent="", parent_module=""):
        steps.append((name, parent))
        return speedups.walk_nodes(name, module, parent, parent_module)

    monkeypatch.setattr(code_inspection, "walk_nodes", recording_walk)
    speedups.walk_nodes("RedChannel", f"{PACKAGE}.tasks")
    assert ("ToNumpy", "RedChannel") in steps


def test_remembered_walks_follow_a_replaced_luisy_function(monkeypatch):
    before = speedups.walk_nodes("RedChannel", f"{PACKAGE}.tasks")
    assert len(before[0]) > 1
    monkeypatch.setattr(code_inspection, "get_varnames_delta", lambda node: np.array([]))
    assert len(speedups.walk_nodes("RedChannel", f"{PACKAGE}.tasks")[0]) == 1
    monkeypatch.undo()
    assert speedups.walk_nodes("RedChannel", f"{PACKAGE}.tasks") == before


def test_remembered_walks_follow_a_changed_source_file(tmp_path, monkeypatch):
    module = tmp_path / "changing_module_here.py"
    module.write_text("def task():\n    return 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    first = speedups.walk_nodes("task", "changing_module_here")[0]
    module.write_text("def task():\n    return 1 + 2\n")
    importlib.invalidate_caches()
    second = speedups.walk_nodes("task", "changing_module_here")[0]
    sys.modules.pop("changing_module_here")
    assert first != second


def test_remembered_walks_are_copies():
    first = code_inspection.walk_nodes("RedChannel", f"{PACKAGE}.tasks")
    first[0].append("tampered")
    first[1].add("tampered")
    second = code_inspection.walk_nodes("RedChannel", f"{PACKAGE}.tasks")
    assert "tampered" not in second[0] and "tampered" not in second[1]


def test_forget_drops_what_was_remembered():
    code_inspection.walk_nodes("ToNumpy", f"{PACKAGE}.tasks")
    speedups.forget()
    assert speedups._walks == {}


def test_a_run_in_an_unchanged_environment_reads_no_distribution_metadata(workspace, monkeypatch):
    distribution = PACKAGE.replace("_", "-")
    speedups.forget()
    first = speedups.get_all_deps_with_versions(distribution)
    assert (workspace.root / environment_cache.CACHE_FILE).exists()

    speedups.forget()  # as in a new process
    monkeypatch.setattr(speedups, "_dependencies", not_to_be_called)
    second = speedups.get_all_deps_with_versions(distribution)

    assert second == first


def not_to_be_called(*args):
    raise AssertionError("read the installed distributions")


def test_a_new_distribution_is_seen_at_once(workspace, tmp_path, monkeypatch):
    """Remembered values are checked against the installed distributions on every use."""
    assert speedups.get_all_deps_with_versions("newcomer") == {}
    site = tmp_path / "site"
    (site / "newcomer-1.0.dist-info").mkdir(parents=True)
    (site / "newcomer-1.0.dist-info" / "METADATA").write_text(
        "Name: newcomer\nVersion: 1.0\nRequires-Dist: numpy>=1.0,<9\n"
    )
    monkeypatch.syspath_prepend(str(site))

    assert speedups.get_all_deps_with_versions("newcomer") == {"numpy": "numpy>=1.0,<9"}
    monkeypatch.undo()
    assert speedups.get_all_deps_with_versions("newcomer") == {}


class FakeDistributions:
    """What luisy's get_irregular_pypi_names reads, for one distribution."""

    def __init__(self, include_egg):
        self.include_egg = include_egg

    def get_distributions(self):
        return [type("Distribution", (), {"name": "Py-Thing", "modules": ["thing"]})]


def test_pypi_names_follow_what_luisy_reads_them_with(monkeypatch):
    code_inspection.get_irregular_pypi_names()
    monkeypatch.setattr(code_inspection, "DistributionPath", FakeDistributions)
    assert code_inspection.get_irregular_pypi_names() == {"thing": "py_thing"}
    assert code_inspection.make_pypi_mapper()("thing") == "py_thing"


def test_copy_tree_is_a_deep_copy():
    import copy

    tree = ast.parse(Path(speedups.__file__).read_text())
    copied = speedups.copy_tree(tree)

    assert ast.dump(copied, include_attributes=True) == ast.dump(
        copy.deepcopy(tree), include_attributes=True
    )
    copied.body[0].value.value = "changed"  # the module docstring
    assert tree.body[0].value.value != "changed"


def test_a_new_process_hashes_an_unchanged_task_without_walking_its_code(workspace, monkeypatch):
    speedups.forget()
    first = code_inspection.walk_nodes("RedChannel", f"{PACKAGE}.tasks")
    stored = json.loads((workspace.root / environment_cache.CACHE_FILE).read_text())
    assert f"{PACKAGE}.tasks:RedChannel" in stored["walks"]

    speedups.forget()  # as in a new process
    monkeypatch.setattr(speedups, "_walk", not_to_be_walked)

    assert code_inspection.walk_nodes("RedChannel", f"{PACKAGE}.tasks") == first


def not_to_be_walked(*args):
    raise AssertionError("walked the code again")


@pytest.fixture
def stored_module(workspace, tmp_path, monkeypatch):
    """A module of its own, `stored_module_here.py`, whose `task` returns 1."""
    module = tmp_path / "stored_module_here.py"
    module.write_text("def task():\n    return 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    speedups.forget()  # nothing of earlier tests' working dirs
    yield module
    sys.modules.pop("stored_module_here", None)


def edit_in_place(module):
    """Change what `task` returns without changing the file's size."""
    module.write_text("def task():\n    return 2\n")
    importlib.invalidate_caches()


def test_a_stored_walk_is_not_used_once_a_source_it_read_changed(stored_module):
    first = speedups.walk_nodes("task", "stored_module_here")[0]
    speedups.forget()  # as in a new process
    edit_in_place(stored_module)

    second = speedups.walk_nodes("task", "stored_module_here")[0]

    assert first != second
    assert second == speedups._original["walk_nodes"]("task", "stored_module_here")[0]


def test_a_walk_read_from_the_file_follows_an_edit_in_the_same_process(stored_module):
    first = speedups.walk_nodes("task", "stored_module_here")[0]
    speedups.forget()
    assert speedups.walk_nodes("task", "stored_module_here")[0] == first  # from the file
    edit_in_place(stored_module)

    second = speedups.walk_nodes("task", "stored_module_here")[0]

    assert second != first
    assert second == speedups._original["walk_nodes"]("task", "stored_module_here")[0]


def test_a_walk_whose_source_changed_while_hashing_ran_is_not_stored(stored_module):
    importlib.import_module("stored_module_here")
    as_read = stored_walks.file_stamp("stored_module_here")
    walk = (["hash"], set(), [], ["stored_module_here"])
    edit_in_place(stored_module)  # after the walk read the file, before it is stored

    stored_walks.save("stored_module_here:task", walk, {"stored_module_here": as_read}, ())

    assert environment_cache.stored(stored_walks.KIND, "stored_module_here:task") is None


@pytest.mark.parametrize(
    "entry",
    [None, 7, {"sources": {}, "walk": [["forged"], [], []]}, {"sources": [], "walk": 1}],
)
def test_a_damaged_stored_walk_is_walked_again(workspace, entry):
    speedups.forget()
    expected = code_inspection.walk_nodes("ToNumpy", f"{PACKAGE}.tasks")
    path = workspace.root / environment_cache.CACHE_FILE
    stored = json.loads(path.read_text())
    stored["walks"][f"{PACKAGE}.tasks:ToNumpy"] = entry
    path.write_text(json.dumps(stored))
    speedups.forget()

    assert code_inspection.walk_nodes("ToNumpy", f"{PACKAGE}.tasks") == expected


def test_walks_with_a_replaced_luisy_function_are_not_stored(workspace, monkeypatch):
    speedups.forget()
    monkeypatch.setattr(code_inspection, "get_varnames_delta", lambda node: np.array([]))

    assert len(code_inspection.walk_nodes("RedChannel", f"{PACKAGE}.tasks")[0]) == 1

    path = workspace.root / environment_cache.CACHE_FILE
    stored = json.loads(path.read_text()) if path.exists() else {}
    assert f"{PACKAGE}.tasks:RedChannel" not in stored.get("walks", {})
