"""`python -m <package>`: its help, and what it says and leaves when run from the wrong folder."""

import re
import subprocess
import sys
from pathlib import Path

import pytest
import sample_pipeline

from conftest import EXT, PACKAGE, PROJECT_ROOT, gradient, run_command, run_luisy, write_image

PACKAGE_FOLDER = Path(sample_pipeline.__file__).resolve().parent
INSTALLED_FROM_HERE = PACKAGE_FOLDER.parents[1] == PROJECT_ROOT


def test_help_names_the_package_and_its_commands():
    result = run_command("--help")

    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"usage: python -m {PACKAGE} [-h] COMMAND ...")
    for command in ("samples", "run", "sheet"):
        assert f"\n    {command} " in result.stdout
    assert "<package>" not in result.stdout and "args." not in result.stdout


def test_run_help_says_where_further_options_go_and_names_them():
    result = run_command("run", "--help")

    assert result.returncode == 0, result.stderr
    assert "[TASK ...]" in result.stdout
    assert "further options go to luisy and luigi" in result.stdout
    for option in (
        "--directory-tasks-workers N",
        "--directory-tasks-lenient",
        "--dry-run",
        "--directory-tasks-executor spark",
        "--directory-tasks-spark-master URL",
    ):
        assert option in result.stdout
    assert "--verbose" in result.stdout and "--traceback" in result.stdout


def test_help_loads_neither_luisy_nor_luigi():
    """What makes help quick: luisy brings pandas, matplotlib and luigi (seconds)."""
    code = (
        "import sys\n"
        f"from {PACKAGE}.__main__ import main\n"
        "for argv in (['--help'], ['run', '--help'], ['sheet', '--help']):\n"
        "    try:\n        main(argv)\n    except SystemExit:\n        pass\n"
        "heavy = {'luisy', 'luigi', 'pandas', 'numpy', 'skimage'}\n"
        "print(sorted(heavy & {name.split('.')[0] for name in sys.modules}))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)

    assert result.stdout.splitlines()[-1] == "[]", result.stdout + result.stderr


def test_luisy_gets_the_fixes_when_it_is_imported_after_the_package():
    code = (
        f"import {PACKAGE}, sys\n"
        "assert 'luisy' not in sys.modules\n"
        "import luisy.code_inspection as c\n"
        "from luisy_directory_tasks.luisy_fixes import compat\n"
        "print(c.is_standard is compat.is_standard,"
        " c.produce_node_hash is compat.produce_node_hash)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)

    assert result.stdout.splitlines()[-1] == "True True", result.stdout + result.stderr


needs_project_folder = pytest.mark.skipif(
    not INSTALLED_FROM_HERE, reason="the package is not installed from this folder (pip -e)"
)


@needs_project_folder
@pytest.mark.parametrize(("command", "missing"), [("run", "images"), ("sheet", "results")])
def test_from_the_wrong_folder_the_hint_says_where_to_go_and_nothing_is_created(
    tmp_path, command, missing
):
    result = run_command(command, cwd=tmp_path)

    # run: the input is not there (1, as for an empty raw folder); sheet: nothing to show (2)
    assert result.returncode == (1 if command == "run" else 2)
    layer = "raw" if command == "run" else "final"
    ran = "; nothing ran" if command == "run" else ""
    assert result.stderr.splitlines() == [
        f"Error: no {missing} in {tmp_path / 'data' / PACKAGE / layer}; this is not the"
        f" project's folder: run `cd {PROJECT_ROOT}` first{ran}"
    ]
    assert list(tmp_path.iterdir()) == []


@needs_project_folder
def test_samples_from_the_wrong_folder_say_where_to_go_and_write_nothing(tmp_path):
    result = run_command("samples", cwd=tmp_path)

    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"Error: not adding samples to {tmp_path / 'data' / PACKAGE / 'raw'}; this is not the"
        f" project's folder: run `cd {PROJECT_ROOT}` first"
    ]
    assert list(tmp_path.iterdir()) == []


def test_samples_go_wherever_an_explicit_working_dir_says(tmp_path):
    result = run_command("samples", "--working-dir", tmp_path / "elsewhere", cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    assert any((tmp_path / "elsewhere" / PACKAGE / "raw").iterdir())


def test_sheet_before_a_run_creates_no_folders(tmp_path):
    raw = tmp_path / PACKAGE / "raw"
    raw.mkdir(parents=True)
    (raw / "a.png").write_bytes(b"")

    result = run_command("sheet", "--working-dir", tmp_path)

    assert result.returncode == 2
    final = tmp_path / PACKAGE / "final"
    assert result.stderr.splitlines() == [
        f"Error: no results in {final}: run `python -m {PACKAGE} run` first"
    ]
    assert sorted(path.name for path in (tmp_path / PACKAGE).iterdir()) == ["raw"]


def test_run_without_images_points_to_samples_with_the_same_working_dir(tmp_path):
    result = run_command("run", "--working-dir", tmp_path)

    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"Error: no images in {tmp_path / PACKAGE / 'raw'}. Put your images there (subfolders"
        f" are fine), or run `python -m {PACKAGE} samples --working-dir {tmp_path}` for sample"
        " images; nothing ran"
    ]
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("option", "says", "code"),
    [
        (["--no-such-option"], "unknown option(s) for run: --no-such-option", 2),
        (["--directory-tasks-workers", "many"], "--directory-tasks-workers 'many': invalid", 1),
        (["--directory-tasks-executor=dask"], "--directory-tasks-executor 'dask': ", 1),
    ],
)
def test_an_option_run_does_not_take_is_one_line_naming_it(workspace, option, says, code):
    """An unknown option is a usage error (2); a value the setting refuses stops the run (1)."""
    (workspace.raw / "a.png").write_bytes(b"")  # run looks for options once raw holds a file

    result = run_command("run", "--working-dir", workspace.root, *option)

    assert result.returncode == code, result.stdout + result.stderr
    assert result.stderr.startswith(f"Error: {says}"), result.stderr
    assert result.stderr.count("\n") == 1 and "__main__.py" not in result.stderr
    assert f"python -m {PACKAGE} run --help" in result.stderr


def test_luisys_own_timestamps_show_their_milliseconds_once(workspace):
    """luisy's logging format repeats the milliseconds; the bare luisy command's lines from
    the moment this package is imported, and `sheet`'s, show them once."""
    write_image(workspace.raw / f"a{EXT}", gradient())
    luisy_run = run_luisy(workspace.root)
    sheet = run_command("sheet", "--working-dir", workspace.root)

    assert luisy_run.returncode == 0 and sheet.returncode == 0, luisy_run.stdout + sheet.stderr
    summary = [line for line in luisy_run.stdout.splitlines() if "ToNumpy: wrote 1" in line]
    assert re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} I ", summary[0]), summary
    doubled = re.compile(r":\d\d,\d{3},\d{3} ")
    assert not doubled.search(sheet.stdout + sheet.stderr), sheet.stdout + sheet.stderr
