"""The per-file three-way merge, on its own."""

from scaffold.merge import (
    CONFLICT,
    KEEP_YOURS,
    MERGE,
    UPDATE,
    Rendering,
    merge_text,
    plan_update,
)


def rendering(files):
    return Rendering(files, {path: path for path in files})


def test_changes_on_different_lines_merge():
    merged, conflicted = merge_text("a\nb\nc\nd\n", "A\nb\nc\nd\n", "a\nb\nc\nD\n", "t")

    assert (merged, conflicted) == ("A\nb\nc\nD\n", False)


def test_same_line_changes_get_markers_on_their_own_lines_without_final_newlines():
    merged, conflicted = merge_text("a\nb", "a\nB", "a\nC", "template x 2")

    assert conflicted
    assert merged == "a\n<<<<<<< yours\nB\n=======\nC\n>>>>>>> template x 2\n"


def test_a_file_without_final_newline_keeps_it_that_way():
    merged, conflicted = merge_text("a\nb\nc", "A\nb\nc", "a\nb\nC", "t")

    assert (merged, conflicted) == ("A\nb\nC", False)


def test_binary_files_changed_on_both_sides_keep_yours():
    base, theirs = (
        rendering({"logo.png": b"\x89PNG\x00a"}),
        rendering({"logo.png": b"\x89PNG\xffb"}),
    )

    (change,) = plan_update(base, theirs, {"logo.png": b"\x89PNG\xfec"}, "template x 2")

    assert (change.action, change.path, change.content) == (KEEP_YOURS, "logo.png", None)
    assert "binary" in change.note


def test_a_file_both_sides_added_differently_is_a_conflict():
    (change,) = plan_update(
        rendering({}), rendering({"new.txt": b"theirs\n"}), {"new.txt": b"mine\n"}, "t"
    )

    assert change.action == CONFLICT and b"<<<<<<< yours\nmine\n" in change.content


def test_merge_action_reported_for_clean_merges():
    base = rendering({"f": b"1\n2\n3\n4\n"})
    theirs = rendering({"f": b"1\n2\n3\nfour\n"})

    (change,) = plan_update(base, theirs, {"f": b"one\n2\n3\n4\n"}, "t")

    assert (change.action, change.content) == (MERGE, b"one\n2\n3\nfour\n")


def test_files_pair_by_rendered_path_when_a_path_variable_is_renamed():
    """v1 names a folder {{cookiecutter.project_slug}}, v2 {{cookiecutter.import_name}}: both
    render to src/pipe/. The files are the same project files, never removed and re-added."""
    base = Rendering(
        {"src/pipe/a.py": b"a = 1\n", "src/pipe/b.py": b"b = 1\n"},
        {"src/{{s}}/a.py": "src/pipe/a.py", "src/{{s}}/b.py": "src/pipe/b.py"},
    )
    theirs = Rendering(
        {"src/pipe/a.py": b"a = 2\n", "src/pipe/b.py": b"b = 1\n"},
        {"src/{{i}}/a.py": "src/pipe/a.py", "src/{{i}}/b.py": "src/pipe/b.py"},
    )
    yours = {"src/pipe/a.py": b"a = 1\n", "src/pipe/b.py": b"b = 1  # mine\n"}

    changes = plan_update(base, theirs, yours, "t")

    assert [(c.action, c.path, c.content) for c in changes] == [
        (UPDATE, "src/pipe/a.py", b"a = 2\n")
    ]
