"""luisy's hashing computed once per process gives exactly luisy's own hashes."""

import ast
from pathlib import Path

import luisy.code_inspection as code_inspection
import pytest

from {{ cookiecutter.package_name }} import luisy_compat, luisy_speedups
from {{ cookiecutter.package_name }}.tasks import ExportDirectory, RedChannel, ToNumpy

from conftest import PACKAGE

TASKS = [ExportDirectory, ToNumpy, RedChannel]


def luisy_without_speedups(monkeypatch):
    for name in ("walk_nodes", "get_varnames_delta"):
        monkeypatch.setattr(code_inspection, name, luisy_speedups._original[name])
    monkeypatch.setattr(
        code_inspection,
        "get_all_deps_with_versions",
        luisy_speedups._original["get_all_deps_with_versions"],
    )
    monkeypatch.setattr(
        code_inspection, "get_irregular_pypi_names", luisy_compat.get_irregular_pypi_names
    )


def test_hashes_are_luisys_own(monkeypatch):
    fast = code_inspection.create_hashes(TASKS)
    luisy_without_speedups(monkeypatch)
    assert code_inspection.create_hashes(TASKS) == fast


def code_nodes():
    """Every class, function and assigned value at the top of this project's modules."""
    for path in sorted(Path(luisy_speedups.__file__).parent.glob("*.py")):
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.ClassDef | ast.FunctionDef):
                yield node
            elif isinstance(node, ast.Assign):
                yield node.value


def test_names_used_by_each_node_are_luisys_own():
    original = luisy_speedups._original["get_varnames_delta"]
    nodes = list(code_nodes())
    assert len(nodes) > 20
    for node in nodes:
        assert list(luisy_speedups.get_varnames_delta(node)) == list(original(node))


def test_dependencies_match_pipdeptree_subprocess():
    distribution = PACKAGE.replace("_", "-")
    requirements = luisy_speedups.get_all_deps_with_versions(distribution)
    assert "luisy" in requirements
    subprocess_version = luisy_speedups._original["get_all_deps_with_versions"]
    for package in [distribution, *requirements]:
        assert luisy_speedups.get_all_deps_with_versions(package) == subprocess_version(package)


def test_missing_distribution_is_a_clear_error():
    with pytest.raises(RuntimeError, match="pip install -e"):
        luisy_speedups.get_all_deps_with_versions("no-such-distribution-here")


@pytest.mark.parametrize("task", TASKS)
def test_walks_are_luisys_own(task, monkeypatch):
    fast = luisy_speedups.walk_nodes(task.__name__, task.__module__)
    luisy_without_speedups(monkeypatch)
    original = code_inspection.walk_nodes(task.__name__, task.__module__)
    assert fast[0] == original[0]
    assert fast[1] == original[1]
    assert fast[2] == original[2]


def test_remembered_walks_are_copies():
    first = code_inspection.walk_nodes("RedChannel", f"{PACKAGE}.tasks")
    first[0].append("tampered")
    first[1].add("tampered")
    second = code_inspection.walk_nodes("RedChannel", f"{PACKAGE}.tasks")
    assert "tampered" not in second[0] and "tampered" not in second[1]


def test_forget_drops_what_was_remembered():
    code_inspection.walk_nodes("ToNumpy", f"{PACKAGE}.tasks")
    luisy_speedups.forget()
    assert luisy_speedups._walks == {}


def test_a_run_in_an_unchanged_environment_reads_no_distribution_metadata(workspace):
    distribution = PACKAGE.replace("_", "-")
    luisy_speedups.forget()
    first = luisy_speedups.get_all_deps_with_versions(distribution)
    assert (workspace.root / luisy_speedups.CACHE_FILE).exists()

    luisy_speedups.forget()  # as in a new process
    second = luisy_speedups.get_all_deps_with_versions(distribution)

    assert second == first
    assert luisy_speedups._installed_tree.cache_info().currsize == 0


def test_a_new_distribution_invalidates_the_cache(workspace, tmp_path, monkeypatch):
    distribution = PACKAGE.replace("_", "-")
    luisy_speedups.forget()
    luisy_speedups.get_all_deps_with_versions(distribution)
    site = tmp_path / "site"
    (site / "newcomer-1.0.dist-info").mkdir(parents=True)
    (site / "newcomer-1.0.dist-info" / "METADATA").write_text("Name: newcomer\nVersion: 1.0\n")
    monkeypatch.syspath_prepend(str(site))

    luisy_speedups.forget()
    luisy_speedups.get_all_deps_with_versions(distribution)

    assert luisy_speedups._installed_tree.cache_info().currsize == 1
    luisy_speedups.forget()
