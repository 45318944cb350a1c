"""`scaffold add task` on a generated project: new code and its test, nothing else touched."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from scaffold.add_task import module_name
from scaffold.cli import app
from scaffold.generate import new_project
from tests.conftest import TEMPLATE_DIR, bake_bundled_version

runner = CliRunner()
PACKAGE = "lab_images"
TASKS = f"src/{PACKAGE}/tasks.py"
LONGEST = "NormalizedGreenChannelStatisticsPerImage"  # 40 characters, the most a name may have


def invoke(*args):
    return runner.invoke(app, [str(arg) for arg in args], catch_exceptions=False)


def snapshot(folder):
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(Path(folder).rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def project(tmp_path):
    return new_project("Lab Images", output_dir=tmp_path).project_dir


def test_adds_a_task_and_its_test_and_touches_nothing_else(project):
    before = snapshot(project)

    result = invoke("add", "task", "GreenChannel", project, "--input", "ToNumpy")

    assert result.exit_code == 0, result.output
    after = snapshot(project)
    changed = {path for path in after if before.get(path) != after[path]}
    assert changed == {TASKS, "tests/test_green_channel.py"}
    tasks = after[TASKS].decode()
    assert tasks.startswith(before[TASKS].decode())  # appended, existing code untouched
    added = tasks[len(before[TASKS]) :]
    assert "@luisy.final\n@luisy.requires(ToNumpy)\nclass GreenChannel(DirectoryTask):" in added
    assert (
        "from lab_images.tasks import GreenChannel" in after["tests/test_green_channel.py"].decode()
    )


def test_default_input_is_what_the_final_tasks_read_and_the_output_says_so(project):
    first = invoke("add", "task", "GreenChannel", project)
    second = invoke("add", "task", "Blur", project, "--layer", "interim")

    assert first.exit_code == 0 and second.exit_code == 0, first.output + second.output
    tasks = (project / TASKS).read_text()
    assert "@luisy.final\n@luisy.requires(ToNumpy)\nclass GreenChannel(DirectoryTask):" in tasks
    assert "@luisy.interim\n@luisy.requires(ToNumpy)\nclass Blur(DirectoryTask):" in tasks
    reads = "  reads    ToNumpy, what RedChannel reads (another: --input TASK)"
    assert first.output.splitlines()[1] == reads
    assert second.output.splitlines()[1] == reads


def test_without_a_final_task_reading_a_task_the_default_is_the_last_task(project):
    text = (project / TASKS).read_text().replace("@luisy.final\n", "@luisy.interim\n")
    (project / TASKS).write_text(text)

    result = invoke("add", "task", "Blur", project)

    assert result.exit_code == 0, result.output
    tasks = (project / TASKS).read_text()
    assert "@luisy.requires(RedChannel)\nclass Blur(DirectoryTask):" in tasks
    reads = "  reads    RedChannel, the last task (another: --input TASK)"
    assert result.output.splitlines()[1] == reads


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["RedChannel"], "RedChannel already exists in " + TASKS),
        (["DirectoryTask"], "DirectoryTask already exists"),
        (["green"], "invalid task name 'green'"),
        (["Green-Channel"], "invalid task name"),
        (["None"], "invalid task name"),
        (["Exception"], "built-in Exception"),
        (["TestSet"], "pytest would collect"),
        (["EXT"], "tests/test_ext.py uses that name"),
        (["A" * 41], "at most 40 characters"),
        (["Blur", "--input", "Nope"], "unknown input task 'Nope'"),
        (["Blur", "--layer", "raw"], "'raw' is not one of"),
    ],
)
def test_bad_input_writes_nothing(project, args, message):
    before = snapshot(project)

    result = invoke("add", "task", args[0], project, *args[1:])

    assert result.exit_code == 2
    assert message in result.stderr
    assert snapshot(project) == before


def test_existing_test_file_is_not_overwritten(project):
    (project / "tests" / "test_blur.py").write_text("# mine\n")
    before = snapshot(project)

    result = invoke("add", "task", "Blur", project)

    assert result.exit_code == 2
    assert "tests/test_blur.py already exists; choose another task name" in result.stderr
    assert snapshot(project) == before


def test_refuses_a_folder_that_is_not_a_scaffold_project(tmp_path):
    result = invoke("add", "task", "Blur", tmp_path)

    assert result.exit_code == 2
    assert "not a scaffold project" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_template_version_without_add_task_says_to_update(tmp_path):
    project = bake_bundled_version("1.0.0", "Lab Images", tmp_path)
    before = snapshot(project)

    result = invoke("add", "task", "Blur", project)

    assert result.exit_code == 2
    assert "luisy-pipeline 1.0.0" in result.stderr and "scaffold update" in result.stderr
    assert snapshot(project) == before


# Tests of the generated project whose expectations depend on the tasks in tasks.py.
# The generated project's test that runs every directory task of tasks.py: it must see the
# added ones too (the project's tests once hard-coded the stock tasks and failed after `add`).
SEES_EVERY_TASK = ["tests/test_pipeline.py"]


@pytest.mark.slow
def test_added_tasks_pass_the_linter_and_their_tests_and_run_in_the_pipeline(project):
    assert invoke("add", "task", "GreenChannel", project, "--input", "ToNumpy").exit_code == 0
    assert invoke("add", "task", "Blur", project, "--layer", "interim").exit_code == 0
    assert invoke("add", "task", LONGEST, project, "--input", "Blur").exit_code == 0

    def run(*command):
        return subprocess.run(
            [sys.executable, "-m", *command], cwd=project, capture_output=True, text=True,
            timeout=1200,
        )  # fmt: skip

    for lint in (["ruff", "check", "--no-cache", "."], ["ruff", "format", "--check", "."]):
        result = run(*lint)
        assert result.returncode == 0, result.stdout + result.stderr
    install = run("pip", "install", "--no-deps", "--no-build-isolation", ".")
    assert install.returncode == 0, install.stderr
    try:
        # The added tasks' own tests, and the project's test that runs every task.
        tests = run("pytest", "-q", "-p", "no:cacheprovider",
                    "tests/test_green_channel.py", "tests/test_blur.py",
                    f"tests/test_{module_name(LONGEST)}.py", *SEES_EVERY_TASK)  # fmt: skip
        samples = run(PACKAGE, "samples")
        pipeline = run(PACKAGE, "run", "Blur")  # a name runs that task (and what it reads)
        final = project / "data" / PACKAGE / "final"
        finals_after_blur = sorted(path.name for path in final.glob("*.json"))
        everything = run(PACKAGE, "run")  # no name: every final task
    finally:
        run("pip", "uninstall", "-y", "lab-images")
    passed = f"{3 + len(SEES_EVERY_TASK)} passed"
    assert tests.returncode == 0 and passed in tests.stdout, tests.stdout + tests.stderr
    assert samples.returncode == 0, samples.stderr
    assert pipeline.returncode == 0, pipeline.stdout + pipeline.stderr
    outputs = sorted((project / "data" / PACKAGE / "interim" / "Blur").rglob("*.npy"))
    raw = sorted(p for p in (project / "data" / PACKAGE / "raw").rglob("*.png"))
    assert len(outputs) == len(raw) > 0
    assert finals_after_blur == []
    assert everything.returncode == 0, everything.stdout + everything.stderr
    for task in ("RedChannel", "GreenChannel", LONGEST):
        assert f"{task}: wrote {len(raw)} file(s)" in everything.stdout
        assert len(list((final / task).rglob("*.npy"))) == len(raw)


def test_missing_tasks_module_is_named(project):
    (project / TASKS).unlink()
    before = snapshot(project)

    result = invoke("add", "task", "Blur", project)

    assert result.exit_code == 2
    assert f"the project has no {TASKS} to add the task to" in result.stderr
    assert snapshot(project) == before


@pytest.mark.parametrize("broken", [b"def broken(:\n", b"\xff\xfe not utf-8\n"])
def test_unreadable_tasks_module_is_named(project, broken):
    with open(project / TASKS, "ab") as handle:
        handle.write(broken)
    before = snapshot(project)

    result = invoke("add", "task", "Blur", project)

    assert result.exit_code == 2
    assert f"cannot read {TASKS}" in result.stderr and "fix it first" in result.stderr
    assert snapshot(project) == before


def test_only_task_classes_are_inputs(project):
    with open(project / TASKS, "a") as handle:
        handle.write("\n\nclass Settings:\n    pass\n")

    default = invoke("add", "task", "Blur", project)
    settings = invoke("add", "task", "Sharpen", project, "--input", "Settings")

    assert default.exit_code == 0 and "reads    ToNumpy" in default.output
    assert settings.exit_code == 2 and "unknown input task 'Settings'" in settings.stderr


def test_moved_template_is_found_through_template_option(tmp_path):
    template = tmp_path / "team-template"
    shutil.copytree(TEMPLATE_DIR, template, ignore=shutil.ignore_patterns("__pycache__"))
    project = new_project("Lab Images", output_dir=tmp_path, template=str(template)).project_dir
    moved = template.rename(tmp_path / "moved-template")

    lost = invoke("add", "task", "Blur", project)
    found = invoke("add", "task", "Blur", project, "--template", moved)

    assert lost.exit_code == 2 and "cannot use template" in lost.stderr
    assert found.exit_code == 0, found.output
    assert "class Blur(DirectoryTask):" in (project / TASKS).read_text()
