"""`python -m <package> run` as a user runs it: what it prints, its exit codes, what it leaves."""

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PIL import Image
from sample_pipeline import tasks
from sample_pipeline.images import HOW_TO_READ_MORE, IMAGE_EXTENSIONS

import luisy_directory_tasks
from luisy_directory_tasks.commands.run import project_tasks

from conftest import (
    EXT,
    PACKAGE,
    PROJECT_ROOT,
    Workspace,
    directory_task_names,
    gradient,
    layer_contents,
    needs_lossless,
    run_command,
    write_image,
)

pytestmark = needs_lossless
TIMESTAMP = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}"
# Formats no project reads by default, written as real files.
UNREAD = {".gif": "GIF", ".ico": "ICO"}


@pytest.fixture
def space(tmp_path):
    return Workspace(tmp_path / "data")


def add_images(space, count=2):
    for index in range(count):
        write_image(space.raw / f"img{index}{EXT}", gradient(seed=index))


def add_unread(space):
    """Two GIFs, one ICO and a text file: files of types this project does not read."""
    for name in ("a.gif", "deep/b.gif", "c.ico"):
        path = space.raw / name
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(gradient(height=16, width=16)).save(path, UNREAD[path.suffix])
    (space.raw / "notes.txt").write_text("not an image")


def run_in(space, *args):
    return run_command("run", "--working-dir", space.root, *args)


def log_lines(text):
    """Lines of the log without their timestamps."""
    return [re.sub(f"^{TIMESTAMP} ", "", line) for line in text.splitlines()]


def test_a_run_shows_task_summaries_and_luigis_summary_only(space):
    add_images(space)

    result = run_in(space)

    assert result.returncode == 0, result.stdout + result.stderr
    lines = log_lines(result.stdout)
    ran = directory_task_names()  # ToNumpy, RedChannel and any task added since
    task_logger = "I luisy_directory_tasks.task "
    summaries = [line.removeprefix(task_logger) for line in lines[: len(ran)]]
    assert summaries[0] == "ToNumpy: wrote 2 file(s), kept 0 unchanged"
    assert sorted(summaries) == sorted(f"{name}: wrote 2 file(s), kept 0 unchanged" for name in ran)
    following = lines[len(ran) : len(ran) + 2]
    assert following == ["I luigi-interface ", "===== Luigi Execution Summary ====="]
    assert all(re.match(TIMESTAMP + " ", line) for line in result.stdout.splitlines()[: len(ran)])
    assert result.stderr == ""
    for noise in ("Hey you", "Pipeline Mode", "hashes", "will be executed", "\x1b["):
        assert noise not in result.stdout


def test_a_rerun_after_images_were_removed_says_how_many_outputs_went(space):
    add_images(space, count=3)
    assert run_in(space).returncode == 0
    (space.raw / f"img0{EXT}").unlink()

    result = run_in(space)

    assert result.returncode == 0, result.stdout + result.stderr
    assert (
        "ToNumpy: wrote 0 file(s), kept 2 unchanged, removed 1 output(s) of input files gone"
        in result.stdout
    )


def test_verbose_shows_luisys_output_without_colour_codes_into_a_file(space):
    add_images(space)

    result = run_in(space, "--verbose")

    assert result.returncode == 0, result.stderr
    assert "You are in Pipeline Mode!" in result.stdout
    assert "The following tasks will be executed:" in result.stdout
    assert "\x1b[" not in result.stdout
    assert not re.search(r",\d{3},\d{3} ", result.stdout)  # one milliseconds field


def test_every_run_says_which_files_it_did_not_read_and_how_to_read_them(space):
    add_images(space)
    add_unread(space)
    manifest = space.project / "interim" / "ToNumpy.json"
    expected = (
        "W luisy_directory_tasks ToNumpy did not read 4 file(s): 2 .gif, 1 .ico, 1 .txt;"
        " to read them,"
        f' {HOW_TO_READ_MORE} (in {space.raw}; listed under "ignored" in {manifest})'
    )

    first, second = run_in(space), run_in(space)

    for result in (first, second):  # the second run runs nothing and still says it
        assert result.returncode == 0, result.stderr
        assert log_lines(result.stdout).count(expected) == 1
    assert "ran successfully" not in second.stdout
    ignored = json.loads(manifest.read_text())["ignored"]
    assert [(entry["source"], entry["reason"]) for entry in ignored] == [
        ("a.gif", "not a file type this task reads"),
        ("c.ico", "not a file type this task reads"),
        ("deep/b.gif", "not a file type this task reads"),
        ("notes.txt", "not a file type this task reads"),
    ]


def test_an_input_of_only_unread_files_says_so(space):
    add_unread(space)

    result = run_in(space)

    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"Error: {space.raw} holds no file this task reads, only files it does not read:"
        f" 4 file(s): 2 .gif, 1 .ico, 1 .txt; to read them, {HOW_TO_READ_MORE}"
    ]
    assert "Traceback" not in result.stdout
    assert layer_contents(space.project / "interim") == []  # the task's lock file only


def test_bad_files_end_the_run_with_their_message_alone(space):
    add_images(space)
    (space.raw / f"broken{EXT}").write_bytes(b"not an image")

    result = run_in(space)

    assert result.returncode == 1
    assert "Traceback" not in result.stdout + result.stderr
    assert result.stderr.splitlines()[0] == (
        "Error: 1 input file(s) could not be processed; nothing was written. Fix or remove"
        " them, or run with --directory-tasks-lenient to skip them:"
    )
    assert result.stderr.splitlines()[1].startswith(f"  broken{EXT}: ")
    assert len(result.stderr.splitlines()) == 2
    assert "This progress looks :( because there were failed tasks" in result.stdout


def test_an_id_collision_ends_with_its_message_and_traceback_shows_the_stack(space):
    add_images(space)
    other = next((e for e in (".png", ".tif", ".bmp") if e != EXT and e in IMAGE_EXTENSIONS), "")
    if not other:
        pytest.skip("one lossless image format configured: no two files share an id")
    write_image(space.raw / f"img0{other}", gradient())

    plain, detailed = run_in(space), run_in(space, "--traceback")

    assert plain.returncode == detailed.returncode == 1
    message = (
        f"Error: img0{EXT} and img0{other} in {space.raw}/ would both be written as 'img0';"
        " rename or remove one of them"
    )
    if other < EXT:
        message = message.replace(f"img0{EXT} and img0{other}", f"img0{other} and img0{EXT}")
    assert plain.stderr.splitlines() == [message]
    assert "Traceback" not in plain.stdout
    assert "Traceback (most recent call last)" in detailed.stdout
    assert "IdCollisionError" in detailed.stdout


def test_run_without_a_name_runs_every_final_task_and_a_name_runs_that_one(space):
    add_images(space)

    only = run_in(space, "ToNumpy")
    everything = run_in(space)
    unknown = run_in(space, "Nope")

    assert only.returncode == 0, only.stderr
    assert "ToNumpy: wrote 2 file(s)" in only.stdout and "RedChannel" not in only.stdout
    assert everything.returncode == 0, everything.stderr
    assert "RedChannel: wrote 2 file(s)" in everything.stdout
    assert (space.project / "final" / "RedChannel.json").exists()
    assert unknown.returncode == 2
    tasks = ", ".join(project_tasks(PACKAGE))  # ExportDirectory, ToNumpy, RedChannel, ...
    assert tasks.startswith("ExportDirectory, ToNumpy, RedChannel")
    assert unknown.stderr.splitlines() == [
        f"Error: unknown task 'Nope'; this project's tasks are: {tasks}"
    ]


@pytest.mark.parametrize(
    "options",
    [
        ["--directory-tasks-workers", "2"],
        ["--directory-tasks-workers=2"],
        ["RedChannel", "--directory-tasks-workers", "1", "--directory-tasks-lenient"],
        ["--directory-tasks-max-pixels", "100000000", "RedChannel"],
        ["--workers", "2"],
    ],
)
def test_documented_option_forms_work_as_written(space, options):
    add_images(space)

    result = run_in(space, *options)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "RedChannel: wrote 2 file(s)" in result.stdout


LIBRARY_README = Path(luisy_directory_tasks.__file__).with_name("README.md")


def readme_run_options():
    """The options of every `python -m <package> run ...` line in the project's README and
    the library's, as written."""
    library = (LIBRARY_README.read_text(encoding="utf-8")).replace("<package>", PACKAGE)
    text = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8") + library
    text = text.replace("\\\n", " ")
    lines = re.findall(rf"^python -m {PACKAGE} run\b([^#\n]*)", text, flags=re.MULTILINE)
    return [
        pytest.param(options, marks=pytest.mark.spark) if "spark" in options else options
        for options in sorted({line.strip() for line in lines})
    ]


@pytest.mark.parametrize("options", readme_run_options())
def test_every_run_line_of_the_readme_works_as_written(tmp_path, options):
    space = Workspace(tmp_path / "data")
    add_images(space)
    if "<" in options:
        pytest.skip(f"holds a placeholder to fill in: {options}")
    named = [word for word in options.split() if word[:1].isupper()]
    if any(not hasattr(tasks, name) for name in named):
        pytest.skip(f"names a task this project does not have: {options}")

    result = run_command("run", *options.split(), cwd=tmp_path)  # data/ is the default

    assert result.returncode == 0, result.stdout + result.stderr
    assert "Error" not in result.stderr
    if "spark" in options:  # Spark's own start-up lines go to its log, not among the run's
        for noise in ("log4j", "WARN", "FutureWarning"):
            assert noise not in result.stdout + result.stderr
        assert "log4j" in (tmp_path / "data" / "logs" / "spark.log").read_text()


def test_dry_run_shows_what_would_run_and_runs_nothing(space):
    add_images(space)

    result = run_in(space, "--dry-run")

    assert result.returncode == 0, result.stderr
    assert "The following tasks will be executed:" in result.stdout
    assert "This is just a dry-run." in result.stdout
    assert layer_contents(space.project) == ["raw"]


def test_ctrl_c_prints_one_line_leaves_nothing_partial_and_exits_130(space):
    image = space.raw / f"seed{EXT}"
    write_image(image, gradient(height=256, width=256))
    for index in range(1500):  # hard links: many files to read, little disk
        os.link(image, space.raw / f"img{index:04d}{EXT}")
    process = subprocess.Popen(
        [sys.executable, "-m", PACKAGE, "run", "--working-dir", str(space.root)]
        + ["--directory-tasks-workers", "2"],
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, as a terminal's foreground job
        # Ctrl-C as a terminal delivers it, even when this test runs in a background job
        # (which ignores SIGINT, and a child keeps that).
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    interim = space.project / "interim"
    deadline = time.monotonic() + 120
    # Interrupted once ToNumpy's workers have written their first files, mid-way.
    while not (interim.exists() and any(interim.glob(".ToNumpy.staging-*/*.npy"))):
        assert time.monotonic() < deadline and process.poll() is None
        time.sleep(0.01)

    os.killpg(process.pid, signal.SIGINT)  # Ctrl-C: the whole foreground group
    stdout, stderr = process.communicate(timeout=120)

    assert process.returncode == 130, stdout + stderr
    assert stderr.splitlines() == [
        "Interrupted: nothing of the unfinished task was committed; earlier results are as"
        " they were."
    ]
    assert "Traceback" not in stdout
    assert layer_contents(interim) == []  # no staging folder, no manifest, no output folder
    assert not (space.project / "final").exists()
    with pytest.raises(ProcessLookupError):  # no worker left behind
        os.killpg(process.pid, 0)
    again = run_in(space)
    assert again.returncode == 0, again.stderr
    assert len(list((interim / "ToNumpy").glob("*.npy"))) == 1501
