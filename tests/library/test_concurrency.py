"""Runs at once and killed runs: one writer per task output, and no process left behind."""

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time

import pytest
from sample_pipeline.tasks import ToNumpy

from luisy_directory_tasks.locks import TaskLock

from conftest import (
    EXT,
    PACKAGE,
    PROJECT_ROOT,
    Workspace,
    build,
    gradient,
    layer_contents,
    luisy_command,
    needs_lossless,
    run_command,
    run_luisy,
    write_image,
)

pytestmark = needs_lossless
needs_proc = pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="needs /proc")
TASKS = {"ToNumpy": "interim", "RedChannel": "final"}


def task_folder(space, task):
    return space.project / TASKS[task] / task


def committed_files(space, task):
    """The files of a task's folder, without the marker of the run that wrote them."""
    return {k: v for k, v in space.outputs(task_folder(space, task)).items() if k != ".generation"}


def assert_consistent(space, reference):
    """Every manifest lists exactly the files on disk, which equal a clean run's, and no
    leftovers remain."""
    for task, layer in TASKS.items():
        manifest = json.loads((space.project / layer / f"{task}.json").read_text())
        listed = set(manifest["files"]["file"])
        assert set(committed_files(space, task)) == listed, task
        assert committed_files(space, task) == reference[task], task
        assert layer_contents(space.project / layer) == [task, f"{task}.json"]


@pytest.fixture(scope="module")
def images(tmp_path_factory):
    """A raw folder of 400 images and the outputs of a clean run over it."""
    clean = Workspace(tmp_path_factory.mktemp("clean") / "data")
    for index in range(400):
        image = gradient(height=48, width=64, seed=index)
        write_image(clean.raw / f"part{index % 4}" / f"img{index:04d}{EXT}", image)
    result = run_luisy(clean.root)
    assert result.returncode == 0, result.stdout + result.stderr
    return clean.raw, {task: committed_files(clean, task) for task in TASKS}


def start(space, task, workers, log):
    """Start the real luisy command on `task` in its own process group, output to `log`."""
    command = luisy_command(space.root, task, "--directory-tasks-workers", str(workers))
    with open(log, "w") as handle:
        return subprocess.Popen(
            command,
            cwd=PROJECT_ROOT,
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def wait_for(predicate, timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.002)
    return False


def staged_files(layer_folder):
    """How many files the staging folders in `layer_folder` hold now."""
    count = 0
    for path in layer_folder.glob(".*.staging-*"):
        count += sum(len(files) for _, _, files in os.walk(path))
    return count


@pytest.mark.parametrize(
    ("layer", "second_task"),
    [("interim", "ToNumpy"), ("interim", "RedChannel"), ("final", "RedChannel")],
)
def test_a_second_run_with_another_command_line_cannot_corrupt_the_first(
    tmp_path, images, layer, second_task
):
    """The first run is frozen (SIGSTOP) while it stages `layer`; the second starts and gets
    as far as it can; then the first goes on. Both must succeed, with a clean run's result."""
    raw, reference = images
    space = Workspace(tmp_path / "data")
    space.raw.rmdir()
    shutil.copytree(raw, space.raw)
    layer_folder = space.project / layer
    first_log, second_log = tmp_path / "first.log", tmp_path / "second.log"

    first = start(space, "RedChannel", 2, first_log)
    second = None
    try:
        assert wait_for(lambda: layer_folder.exists() and staged_files(layer_folder) > 20)
        os.killpg(first.pid, signal.SIGSTOP)
        second = start(space, second_task, 1, second_log)
        # Unlocked, the second run removes the first's staging folder as leftovers and goes
        # on; locked, it waits and says so.
        assert wait_for(
            lambda: "in use by another run" in second_log.read_text() or second.poll() is not None,
            timeout=180,
        ), second_log.read_text()
    finally:
        os.killpg(first.pid, signal.SIGCONT)
    codes = [first.wait(timeout=300), second.wait(timeout=300)]

    assert codes == [0, 0], first_log.read_text() + second_log.read_text()
    assert_consistent(space, reference)


@needs_proc
def test_workers_end_when_the_main_process_is_killed(tmp_path, images):
    raw, _ = images
    space = Workspace(tmp_path / "data")
    space.raw.rmdir()
    shutil.copytree(raw, space.raw)
    process = start(space, "ToNumpy", 2, tmp_path / "run.log")
    try:
        assert wait_for(lambda: staged_files(space.project / "interim") > 20)
        workers = [pid for pid in group_members(process.pid) if pid != process.pid]
        assert len(workers) >= 2, workers

        os.kill(process.pid, signal.SIGKILL)  # the main process only, as the OOM killer does
        process.wait()

        assert wait_for(lambda: not group_members(process.pid), timeout=10), group_members(
            process.pid
        )
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
    rerun = run_luisy(space.root, "ToNumpy")
    assert rerun.returncode == 0 and "in use by another run" not in rerun.stdout + rerun.stderr


def process_state(pid):
    """The state letter of process `pid` (R, S, T, ...) from /proc."""
    with open(f"/proc/{pid}/stat") as handle:
        return handle.read().rsplit(")", 1)[1].split()[0]


def group_members(group):
    """Ids of the live processes in process group `group` (from /proc)."""
    members = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z" and int(fields[2]) == group:  # state, ppid, pgrp
            members.append(int(entry))
    return members


def test_a_manifest_listing_a_missing_file_is_not_complete(workspace):
    for index in range(3):
        write_image(workspace.raw / f"img{index}{EXT}", gradient(seed=index))
    build(ToNumpy())
    assert ToNumpy().complete()

    os.remove(workspace.to_numpy / "img1.npy")

    assert not ToNumpy().output().exists() and not ToNumpy().complete()
    build(ToNumpy())
    assert (workspace.to_numpy / "img1.npy").exists() and ToNumpy().complete()


def start_run(space, log):
    """`python -m <package> run` in its own process group, output to `log`."""
    with open(log, "w") as handle:
        return subprocess.Popen(
            [sys.executable, "-m", PACKAGE, "run", "--working-dir", str(space.root)],
            cwd=PROJECT_ROOT,
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


@contextlib.contextmanager
def older_and_newer_runs(tmp_path, space):
    """Yield (older, newer, locks): run `older` listed the raw folder with c.png added, run
    `newer` with d.png as well; both wait for ToNumpy's lock, which the test holds with
    RedChannel's (`locks`, release them to let the runs go on). Every run is let go at the end."""
    for name in ("a", "b"):
        write_image(space.raw / f"{name}{EXT}", gradient(seed=len(name)))
    assert run_command("run", "--working-dir", space.root).returncode == 0
    locks = {task: TaskLock(str(task_folder(space, task))) for task in TASKS}
    for lock in locks.values():
        lock.acquire()
    runs = []
    try:
        for name in ("c", "d"):
            write_image(space.raw / f"{name}{EXT}", gradient(seed=ord(name)))
            log = tmp_path / f"{name}.log"
            runs.append((start_run(space, log), log))
            assert wait_for(lambda log=log: "in use by another run" in log.read_text())
        yield *runs, locks
    finally:
        for lock in locks.values():
            lock.release()
        for process, _ in runs:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGCONT)
            process.wait(timeout=300)


def stop(process):
    """SIGSTOP `process`'s group and wait until it is stopped (not merely signalled)."""
    os.killpg(process.pid, signal.SIGSTOP)
    assert wait_for(lambda: process_state(process.pid) == "T")


def assert_every_image_committed(space):
    for task, layer in TASKS.items():
        manifest = json.loads((space.project / layer / f"{task}.json").read_text())
        assert manifest["files"]["file"] == ["a.npy", "b.npy", "c.npy", "d.npy"], task
        assert sorted(committed_files(space, task)) == manifest["files"]["file"], task


@needs_proc
def test_an_older_run_that_commits_last_does_not_undo_a_newer_one(tmp_path, workspace):
    with older_and_newer_runs(tmp_path, workspace) as (older, newer, locks):
        stop(older[0])
        for lock in locks.values():
            lock.release()
        assert newer[0].wait(timeout=300) == 0, newer[1].read_text()
        os.killpg(older[0].pid, signal.SIGCONT)
        assert older[0].wait(timeout=300) == 0, older[1].read_text()

    assert "already written by another run meanwhile" in older[1].read_text()
    assert_every_image_committed(workspace)


@needs_proc
def test_a_run_whose_input_another_run_committed_again_since_succeeds(tmp_path, workspace):
    """The older run commits ToNumpy first; the newer commits it again before the older one
    ends. The older run did its work: it exits 0, though the folder is not as it listed it."""
    with older_and_newer_runs(tmp_path, workspace) as (older, newer, locks):
        stop(newer[0])
        locks["ToNumpy"].release()
        assert wait_for(lambda: "ToNumpy: wrote 1 file(s)" in older[1].read_text())
        os.killpg(newer[0].pid, signal.SIGCONT)
        assert wait_for(lambda: "ToNumpy: wrote 1 file(s)" in newer[1].read_text())
        locks["RedChannel"].release()
        codes = [older[0].wait(timeout=300), newer[0].wait(timeout=300)]

    assert codes == [0, 0], older[1].read_text() + newer[1].read_text()
    assert_every_image_committed(workspace)
