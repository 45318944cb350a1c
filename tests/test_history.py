"""The bundled templates' released versions, archived inside the package."""

import shutil

import pytest

from scaffold.errors import ScaffoldError
from scaffold.history import archive_path, archive_template, archived_files, template_files
from scaffold.templates import read_template_info
from tests.conftest import CURVES_TEMPLATE_DIR, TEMPLATE_DIR


@pytest.mark.parametrize("template", [TEMPLATE_DIR, CURVES_TEMPLATE_DIR], ids=["images", "curves"])
def test_bundled_template_matches_the_archive_of_its_version(template):
    """Fails when the template changed without a new _template_version: projects made
    before the change could no longer be compared with, or updated from, their version.
    After raising the version, archive it with `python -m scaffold.history`."""
    info = read_template_info(template)

    assert archived_files(info.name, info.version) == template_files(template)


def test_a_released_version_cannot_be_archived_again_with_other_content(tmp_path):
    info = read_template_info(TEMPLATE_DIR)
    # Otherwise the test would archive the changed copy into the package as that version.
    assert archive_path(info.name, info.version).exists(), "archive the bundled template first"
    changed = tmp_path / "template"
    shutil.copytree(TEMPLATE_DIR, changed, ignore=shutil.ignore_patterns("__pycache__"))
    (changed / "hooks" / "pre_gen_project.py").write_text("# changed\n")

    with pytest.raises(ScaffoldError, match="_template_version"):
        archive_template(changed)


def test_unknown_version_says_what_this_scaffold_has():
    with pytest.raises(ScaffoldError, match=r"does not have template luisy-pipeline 0\.0\.1"):
        archived_files("luisy-pipeline", "0.0.1")


def test_versions_are_plain_names_not_paths():
    with pytest.raises(ScaffoldError, match="plain name"):
        archived_files("luisy-pipeline", "../../etc/x")
