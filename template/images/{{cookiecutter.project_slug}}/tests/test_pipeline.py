"""The pipeline as a user runs it: sample images, then `run`, then `run` again."""

import inspect
import os

import numpy as np
from luisy_directory_tasks import DirectoryTask

from {{ cookiecutter.package_name }} import tasks

from conftest import PACKAGE, run_command


def directory_tasks():
    """Every directory task of tasks.py (more after `scaffold add task`)."""
    classes = [cls for _, cls in inspect.getmembers(tasks, inspect.isclass)]
    return [cls() for cls in classes if issubclass(cls, DirectoryTask) and cls is not DirectoryTask]


def outputs(data):
    """{path: modification time} of every file the tasks wrote."""
    written = {}
    for layer in ("interim", "final"):
        for folder, _, names in os.walk(data / PACKAGE / layer):
            for name in names:
                path = os.path.join(folder, name)
                written[path] = os.stat(path).st_mtime_ns
    return written


def test_every_task_transforms_every_sample_and_a_rerun_changes_nothing(workspace):
    data = workspace.root
    assert run_command("samples", "--working-dir", data).returncode == 0
    raw = [name for _, _, names in os.walk(workspace.raw) for name in names]

    first = run_command("run", "--working-dir", data)

    assert first.returncode == 0, first.stdout + first.stderr
    for task in directory_tasks():
        source, target = task.input(), task.output()
        entries = target.load()["files"]
        assert len(entries) == len(raw) > 0, task
        for entry in entries:
            _, data_in = source.read_file(os.path.join(source.folder, entry["source"]))
            written = np.load(os.path.join(target.folder, entry["file"]), allow_pickle=False)
            np.testing.assert_array_equal(written, task.transform(data_in))
    before = outputs(data)

    second = run_command("run", "--working-dir", data)

    assert second.returncode == 0, second.stdout + second.stderr
    assert "ran successfully" not in second.stdout
    assert outputs(data) == before
