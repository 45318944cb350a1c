"""What `scaffold update` says about luisy's next run: which changes alter the hashes."""

from scaffold.merge import REMOVE, Change
from scaffold.rehash import recompute_reasons, uses_luisy

TASKS = "src/pipe/tasks.py"
CODE = b'"""Tasks."""\n\n\ndef transform(x):\n    """Double."""\n    return 2 * x\n'
PYPROJECT = b'[project]\nname = "pipe"\ndependencies = ["luisy-scaffold[pipeline]~=1.0", "numpy"]\n'


def test_a_docstring_or_comment_changes_no_hash():
    edited = CODE.replace(b'"""Double."""', b'"""Twice x."""  # a comment')

    assert recompute_reasons({TASKS: CODE}, [Change("update", TASKS, edited)]) == []


def test_changed_added_and_removed_code_changes_hashes():
    changes = [
        Change("update", TASKS, CODE.replace(b"2 * x", b"3 * x")),
        Change("add", "src/pipe/more.py", b"X = 1\n"),
        Change(REMOVE, "src/pipe/old.py"),
    ]
    yours = {TASKS: CODE, "src/pipe/old.py": b"Y = 2\n"}

    assert recompute_reasons(yours, changes) == [TASKS, "src/pipe/more.py", "src/pipe/old.py"]


def test_the_command_line_and_other_files_change_no_hash():
    changes = [
        Change("update", "src/pipe/__main__.py", b"import sys\n"),
        Change("update", "README.md", b"# new\n"),
        Change("update", "tests/test_x.py", b"X = 2\n"),
    ]

    assert recompute_reasons({}, changes) == []


def test_a_new_requirement_changes_hashes_and_a_reformatted_file_does_not():
    reformatted = PYPROJECT.replace(b'["luisy', b'[\n    "luisy').replace(b'"]', b'",\n]')
    newer = PYPROJECT.replace(b"~=1.0", b"~=1.1")

    assert (
        recompute_reasons(
            {"pyproject.toml": PYPROJECT}, [Change("update", "pyproject.toml", reformatted)]
        )
        == []
    )
    assert recompute_reasons(
        {"pyproject.toml": PYPROJECT}, [Change("update", "pyproject.toml", newer)]
    ) == ["the dependencies in pyproject.toml"]


def test_only_projects_that_depend_on_luisy_are_luisy_projects():
    assert uses_luisy({"pyproject.toml": PYPROJECT})
    assert uses_luisy({"pyproject.toml": b'[project]\ndependencies = ["luisy==1.4.7"]\n'})
    assert not uses_luisy({"pyproject.toml": b'[project]\ndependencies = ["luisyish"]\n'})
    assert not uses_luisy({"pyproject.toml": b"not toml ["})
    assert not uses_luisy({})
