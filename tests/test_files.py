"""Atomic writes inside a project: all files replaced, or none."""

import pytest

from scaffold.errors import GenerationFailed
from scaffold.files import project_path, replace_files


def test_a_failed_write_leaves_every_target_as_it_was(tmp_path):
    first = tmp_path / "first.txt"
    first.write_text("old\n")
    (tmp_path / "blocker").write_text("a file where a folder is needed\n")

    with pytest.raises(OSError):
        replace_files(
            [(first, b"new\n", first), (tmp_path / "blocker" / "second.txt", b"new\n", None)]
        )

    assert first.read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["blocker", "first.txt"]


def test_replaced_files_keep_the_mode_of_their_source(tmp_path):
    script = tmp_path / "run.sh"
    script.write_text("#!/bin/sh\n")
    script.chmod(0o755)

    replace_files([(script, b"#!/bin/sh\necho hi\n", script)])

    assert script.read_text() == "#!/bin/sh\necho hi\n"
    assert script.stat().st_mode & 0o777 == 0o755


def test_paths_may_not_leave_the_project(tmp_path):
    with pytest.raises(GenerationFailed, match="outside the project"):
        project_path(tmp_path, "../elsewhere.txt")
