"""Directory tasks on a real Spark standalone cluster give what the process pool gives, and
survive what a cluster goes through: dying Python workers and executors, a killed driver."""

import copy
import os
import shutil
import signal
import subprocess
import sys
import time

import pytest

from luisy_directory_tasks.manifests import read_manifest

from conftest import (
    EXT,
    PROJECT_ROOT,
    Workspace,
    gradient,
    layer_contents,
    luisy_command,
    needs_lossless,
    run_luisy,
    write_image,
)
from spark_cluster import (
    LOOPBACK,
    descendants,
    java_missing,
    listening_addresses,
    loopback_environment,
)

pytestmark = [pytest.mark.spark, needs_lossless]

LAYERS = {"ToNumpy": "interim", "RedChannel": "final"}


def add_images(raw, count=30, start=0):
    for index in range(start, start + count):
        write_image(raw / f"batch{index % 3}" / f"img{index:03d}{EXT}", gradient(seed=index))


def on_spark(cluster, working_dir, task="RedChannel", *extra):
    """Run the luisy command on `task` of the project on `cluster`, to the end."""
    return subprocess.run(
        luisy_command(working_dir, task, *cluster.options(*extra)),
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        env=cluster.environment(),
        timeout=600,
    )


# The misbehaving tasks of spark_tasks.py run with luigi alone: luisy's hashing would want the
# project itself in a requirements file, as an import of that module.
BUILD = """
import importlib
import sys
import luigi
from luisy import Config
Config().set_param("working_dir", sys.argv[1])
config = luigi.configuration.get_config()
config.set("directory_tasks", "executor", "spark")
config.set("directory_tasks", "spark_master", sys.argv[3])
task = getattr(importlib.import_module(sys.argv[4]), sys.argv[2])()
sys.exit(0 if luigi.build([task], local_scheduler=True) else 1)
"""


def start_build(cluster, working_dir, task, module="spark_tasks", env=None):
    """Start `task` of `module` on `cluster` in another process; output in .stdout."""
    return subprocess.Popen(
        [sys.executable, "-c", BUILD, str(working_dir), task, cluster.master_url, module],
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env or cluster.environment(),
    )


def build(cluster, working_dir, task, module="spark_tasks", env=None):
    """Run `task` of `module` on `cluster` to the end; return (exit code, output)."""
    process = start_build(cluster, working_dir, task, module, env)
    output, _ = process.communicate(timeout=600)
    return process.returncode, output


def committed(space, task):
    """A task's committed files, without the marker of the run that wrote them."""
    folder = space.project / LAYERS.get(task, "interim") / task
    return {name: data for name, data in space.outputs(folder).items() if name != ".generation"}


def snapshot(space):
    """Files and manifests of both tasks, without what differs between two runs over the same
    input: the generation id and the modification times of the outputs (RedChannel's sources
    are ToNumpy's outputs)."""
    result = {}
    for task, layer in LAYERS.items():
        manifest = copy.deepcopy(read_manifest(str(space.project / layer / f"{task}.json")))
        manifest.pop("generation")
        manifest.pop("folders")  # stamps of the folders this run wrote
        for entry in manifest["files"]:
            entry["fingerprint"] = entry["fingerprint"][:1]  # the size
            if task == "RedChannel":
                entry["source_fingerprint"] = entry["source_fingerprint"][:1]
        result[task] = (committed(space, task), manifest)
    return result


def clean_run(space, *extra):
    """Remove both tasks' outputs and run the pipeline with the process pool."""
    for task, layer in LAYERS.items():
        shutil.rmtree(space.project / layer / task, ignore_errors=True)
        (space.project / layer / f"{task}.json").unlink(missing_ok=True)
    result = run_luisy(space.root, "RedChannel", *extra)
    assert result.returncode == 0, result.stdout + result.stderr
    return snapshot(space)


def succeeded(result):
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-8000:]
    return result.stdout + result.stderr


def test_same_outputs_and_manifests_as_processes_also_after_changes(tmp_path, spark_cluster):
    space = Workspace(tmp_path / "data")
    add_images(space.raw)

    succeeded(on_spark(spark_cluster, space.root))
    on_spark_first = snapshot(space)
    assert on_spark_first == clean_run(space)
    assert len(on_spark_first["RedChannel"][0]) == 30

    add_images(space.raw, count=2, start=30)
    write_image(space.raw / "batch1" / f"img004{EXT}", gradient(seed=99))
    (space.raw / "batch2" / f"img005{EXT}").unlink()
    untouched = space.to_numpy / "batch0" / "img000.npy"
    before = untouched.stat().st_mtime_ns
    output = succeeded(on_spark(spark_cluster, space.root))

    assert "ToNumpy: wrote 3 file(s), kept 28 unchanged" in output
    assert untouched.stat().st_mtime_ns == before
    assert not (space.to_numpy / "batch2" / "img005.npy").exists()
    assert snapshot(space) == clean_run(space)
    for layer in LAYERS.values():
        assert [name for name in layer_contents(space.project / layer) if name[0] == "."] == []


def test_the_cluster_and_its_drivers_listen_on_loopback_only(tmp_path, spark_cluster):
    space = Workspace(tmp_path / "data")
    add_images(space.raw, count=24)
    process = start_slow_run(spark_cluster, space)  # a driver and its executors at work
    try:
        driver = [process.pid, *descendants(process.pid)]
        addresses = listening_addresses([*spark_cluster.pids(), *driver])
    finally:
        process.kill()
        process.wait()
        process.stdout.close()

    assert addresses == {LOOPBACK}


def test_bad_files_strict_then_lenient_as_with_processes(tmp_path, spark_cluster):
    space = Workspace(tmp_path / "data")
    add_images(space.raw, count=6)
    (space.raw / f"broken{EXT}").write_bytes(b"not an image")
    (space.raw / "batch1" / f"empty{EXT}").write_bytes(b"")

    strict = on_spark(spark_cluster, space.root, "ToNumpy")
    output = strict.stdout + strict.stderr
    assert strict.returncode != 0
    assert "2 input file(s) could not be processed" in output
    assert f"broken{EXT}" in output and f"batch1/empty{EXT}: the file is empty" in output
    assert not (space.project / "interim" / "ToNumpy.json").exists()

    succeeded(on_spark(spark_cluster, space.root, "RedChannel", "--directory-tasks-lenient"))
    on_spark_lenient = snapshot(space)
    skipped = [entry["source"] for entry in on_spark_lenient["ToNumpy"][1]["skipped"]]
    assert skipped == [f"batch1/empty{EXT}", f"broken{EXT}"]
    assert on_spark_lenient == clean_run(space, "--directory-tasks-lenient")


def test_memory_error_on_an_executor_is_the_same_clear_error(tmp_path, spark_cluster):
    space = Workspace(tmp_path / "data")
    for index in range(8):
        image = gradient(seed=index)
        image[0, 0, 0] = 0 if index == 5 else 1
        write_image(space.raw / f"img{index}{EXT}", image)

    code, output = build(spark_cluster, space.root, "Hungry")

    assert code != 0
    assert f"OutOfMemoryError: out of memory while processing {space.raw / f'img5{EXT}'}" in output
    assert "spark.executor.memory" in output and "--directory-tasks-workers" not in output
    assert "Py4J" not in output and "org.apache.spark" not in output
    assert not (space.project / "interim" / "Hungry.json").exists()


def test_executors_that_cannot_import_the_code_say_what_to_do(tmp_path, spark_cluster):
    space = Workspace(tmp_path / "data")
    add_images(space.raw, count=4)
    # A task in a module only the driver can import, as when the wheel is not on the cluster.
    (tmp_path / "driver_only.py").write_text(
        "from spark_tasks import Slow\n\n\nclass DriverOnly(Slow):\n    pass\n"
    )
    environment = spark_cluster.environment()
    environment["PYTHONPATH"] += os.pathsep + str(tmp_path)

    code, output = build(spark_cluster, space.root, "DriverOnly", "driver_only", environment)

    assert code != 0
    assert "the Spark executors cannot import 'driver_only'" in output
    assert "--py-files" in output and "Py4J" not in output
    assert not (space.project / "interim" / "DriverOnly.json").exists()


def test_a_python_error_on_an_executor_is_shown_not_the_java_stack(tmp_path, spark_cluster):
    space = Workspace(tmp_path / "data")
    add_images(space.raw, count=2)

    code, output = build(spark_cluster, space.root, "GivesUp")

    assert code != 0
    assert (
        "the Spark job failed: spark_tasks.ExecutorGaveUp: no way on with an image of shape"
        " (24, 32, 3); nothing was committed" in output
    ), output[-3000:]
    assert not (space.project / "interim" / "GivesUp.json").exists()


def test_a_python_worker_killed_mid_work_is_retried(tmp_path, spark_cluster):
    space = Workspace(tmp_path / "data")
    add_images(space.raw, count=12)
    marker = spark_cluster.markers / "kill-python-worker"
    marker.touch()

    code, output = build(spark_cluster, space.root, "KillsItsWorker")

    assert code == 0, output[-6000:]

    assert not marker.exists()  # a worker took it, and died
    assert "Python worker exited unexpectedly" in output  # Spark saw it and ran the chunk again
    assert committed(space, "KillsItsWorker") == clean_run(space)["ToNumpy"][0]


def start_slow_run(cluster, space):
    """Start Slow on `cluster` in another process; return it once files are being staged."""
    process = start_build(cluster, space.root, "Slow")
    interim = space.project / "interim"
    deadline = time.monotonic() + 300
    while not list(interim.glob(".Slow.staging-*/**/*.npy")):
        assert process.poll() is None, process.stdout.read()[-6000:]
        assert time.monotonic() < deadline, "the run staged nothing in 5 minutes"
        time.sleep(0.05)
    return process


def test_an_executor_killed_mid_work_is_replaced_and_the_run_completes(tmp_path, spark_cluster):
    space = Workspace(tmp_path / "data")
    add_images(space.raw, count=24)
    process = start_slow_run(spark_cluster, space)
    try:
        executors = spark_cluster.executor_pids()
        assert executors
        os.kill(executors[0], signal.SIGKILL)
        output, _ = process.communicate(timeout=600)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()

    assert process.returncode == 0, output[-6000:]
    assert "Lost executor" in output
    assert committed(space, "Slow") == clean_run(space)["ToNumpy"][0]


def test_a_killed_driver_commits_nothing_and_the_next_run_equals_a_clean_run(
    tmp_path, spark_cluster
):
    space = Workspace(tmp_path / "data")
    add_images(space.raw, count=24)
    process = start_slow_run(spark_cluster, space)
    its_jvm = descendants(process.pid)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    process.stdout.close()

    assert not (space.project / "interim" / "Slow.json").exists()
    assert not (space.project / "interim" / "Slow").exists()
    deadline = time.monotonic() + 60  # the driver's JVM ends when its Python is gone
    while any(os.path.exists(f"/proc/{pid}") for pid in its_jvm) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not any(os.path.exists(f"/proc/{pid}") for pid in its_jvm)

    code, output = build(spark_cluster, space.root, "Slow")

    assert code == 0, output[-6000:]

    assert committed(space, "Slow") == clean_run(space)["ToNumpy"][0]
    assert [name for name in layer_contents(space.project / "interim") if name[0] == "."] == []


def in_a_mount_namespace(command, folder, size):
    """Run `command` with a tmpfs of `size` over `folder` that only it sees; also list the
    folder from inside once it ends."""
    script = (
        f'mount -t tmpfs -o size={size} tmpfs "{folder}" && "$@"; code=$?;'
        f' ls -A "{folder}"; exit $code'
    )
    return ["unshare", "-rm", "sh", "-c", script, "sh", *command]


def can_mount_tmpfs():
    if shutil.which("unshare") is None:
        return False
    probe = subprocess.run(
        ["unshare", "-rm", "sh", "-c", "mount -t tmpfs -o size=64k tmpfs /mnt"],
        capture_output=True,
    )
    return probe.returncode == 0


needs_tmpfs = pytest.mark.skipif(
    not can_mount_tmpfs(), reason="cannot mount a tmpfs in a user namespace"
)


@needs_tmpfs
def test_a_working_dir_the_executors_do_not_share_stops_the_run_at_once(tmp_path, spark_cluster):
    space = Workspace(tmp_path / "data")
    add_images(space.raw, count=6)
    interim = space.project / "interim"
    interim.mkdir()
    # The driver writes interim/ into a tmpfs the cluster's executors cannot see.
    command = luisy_command(space.root, "ToNumpy", *spark_cluster.options())
    result = subprocess.run(
        in_a_mount_namespace(command, interim, "64m"),
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        env=spark_cluster.environment(),
        timeout=600,
    )

    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "the working dir is not shared with the Spark executors" in output
    assert "--working-dir" in output
    assert "ToNumpy.json" not in result.stdout.splitlines()
    assert not any(path.name.startswith(".probe-") for path in interim.rglob("*"))


@needs_tmpfs
def test_a_full_disk_under_local_spark_stops_the_run_naming_the_folder(tmp_path):
    if reason := java_missing():
        pytest.skip(reason)
    space = Workspace(tmp_path / "data")
    for index in range(40):
        write_image(space.raw / f"img{index:02d}{EXT}", gradient(height=48, width=64, seed=index))
    interim = space.project / "interim"
    interim.mkdir()
    # local[2]: the executors run inside the driver, and so inside its mount namespace.
    command = luisy_command(
        space.root, "ToNumpy", "--directory-tasks-lenient",
        "--directory-tasks-executor", "spark", "--directory-tasks-spark-master", "local[2]",
    )  # fmt: skip
    result = subprocess.run(
        in_a_mount_namespace(command, interim, "128k"),
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        env=loopback_environment(),
        timeout=600,
    )

    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert f"no space left on the device of {interim}" in output
    assert "the outputs need about" in output
    assert "could not be processed" not in output and "Py4J" not in output
    assert "ToNumpy.json" not in result.stdout.splitlines()


def test_spark_that_cannot_start_says_so_and_commits_nothing(tmp_path):
    space = Workspace(tmp_path / "data")
    add_images(space.raw, count=2)

    result = run_luisy(
        space.root, "ToNumpy", "--directory-tasks-executor", "spark",
        env=loopback_environment(JAVA_HOME=str(tmp_path / "no-java")),
    )  # fmt: skip

    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "could not start Spark with the master 'local[*]'" in output
    assert "Spark needs Java 17" in output
    assert not (space.project / "interim" / "ToNumpy.json").exists()
