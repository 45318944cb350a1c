"""The library's public API, its cost at import, its version, and how luisy hashes it."""

import subprocess
import sys

import luisy.code_inspection as code_inspection
import pytest
from sample_pipeline.tasks import RedChannel

import luisy_directory_tasks
import scaffold
from luisy_directory_tasks.luisy_fixes import compat

from conftest import PACKAGE


def test_every_public_name_resolves():
    assert luisy_directory_tasks.__all__ == sorted(luisy_directory_tasks.__all__)
    for name in luisy_directory_tasks.__all__:
        assert getattr(luisy_directory_tasks, name) is not None, name
    assert "DirectoryTask" in dir(luisy_directory_tasks)


def test_an_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="NoSuchThing"):
        luisy_directory_tasks.NoSuchThing  # noqa: B018


def test_importing_the_library_loads_neither_luisy_nor_numpy():
    code = (
        "import sys, luisy_directory_tasks\n"
        "print(sorted({'luisy', 'luigi', 'numpy', 'pandas'} & set(sys.modules)))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)

    assert result.stdout.splitlines()[-1] == "[]", result.stdout + result.stderr


def test_the_library_is_versioned_with_the_tool():
    assert luisy_directory_tasks.__version__ == scaffold.__version__


def test_luisy_hashes_the_library_by_the_projects_requirement_not_its_source():
    """So a release within the pinned range changes no hash: nothing is recomputed."""
    compat.apply()
    hashes, imported, visited = code_inspection.walk_nodes("RedChannel", f"{PACKAGE}.tasks")

    assert "luisy_directory_tasks" in imported
    assert not [node for node in visited if node["module"].startswith("luisy_directory_tasks")]
    requirements = code_inspection.get_all_deps_with_versions(PACKAGE)
    assert requirements["luisy_scaffold"].startswith("luisy_scaffold~=")
    mapper = code_inspection.make_pypi_mapper()
    assert mapper("luisy_directory_tasks") == "luisy_scaffold"
    assert len(code_inspection.create_hashes([RedChannel])) == 1
