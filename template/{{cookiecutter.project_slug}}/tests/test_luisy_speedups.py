"""luisy's hashing computed once per process gives exactly luisy's own hashes."""

import luisy.code_inspection as code_inspection
import pytest

from {{ cookiecutter.package_name }} import luisy_compat, luisy_speedups
from {{ cookiecutter.package_name }}.tasks import ExportDirectory, RedChannel, ToNumpy

from conftest import PACKAGE

TASKS = [ExportDirectory, ToNumpy, RedChannel]


def luisy_without_speedups(monkeypatch):
    monkeypatch.setattr(code_inspection, "walk_nodes", luisy_speedups._original["walk_nodes"])
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
