"""The Spark session a run makes: its JVMs start with the quick compiler unless the user's
Spark configuration sets their options, read where spark-submit reads it."""

import json
import subprocess
import sys

import pytest

from luisy_directory_tasks.executors.spark_session import (
    QUICK_START,
    configured_keys,
    keys_in_properties,
)

# Makes the session a run would make, runs one Spark task on it and prints the driver JVM's
# options and the application's id (its executors' commands are in the workers' logs).
SESSION = """
import json
import sys
from luisy_directory_tasks.executors.spark_session import open_session
context = open_session(sys.argv[1]).sparkContext
context.parallelize([0], 1).count()
bean = context._jvm.java.lang.management.ManagementFactory.getRuntimeMXBean()
print("JVMS", json.dumps([list(bean.getInputArguments()), context.applicationId]))
"""


def session_jvm_options(cluster, conf_dir, submit_args=""):
    """(the driver JVM's options, the executors' commands) of a session made by this project
    with the Spark configuration folder `conf_dir` and PYSPARK_SUBMIT_ARGS `submit_args`."""
    env = cluster.environment()
    env["SPARK_CONF_DIR"] = str(conf_dir)
    env["PYSPARK_SUBMIT_ARGS"] = f"--conf spark.ui.enabled=false {submit_args} pyspark-shell"
    result = subprocess.run(
        [sys.executable, "-c", SESSION, cluster.master_url],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    [printed] = [line for line in result.stdout.splitlines() if line.startswith("JVMS ")]
    driver, application = json.loads(printed.removeprefix("JVMS "))
    logs = cluster.folder.glob(f"worker*-work/{application}/*/stderr")
    executors = [
        line
        for log in logs
        for line in log.read_text(errors="replace").splitlines()
        if line.startswith("Spark Executor Command:")
    ]
    assert executors, f"no executor of {application} logged its command"
    return driver, executors


@pytest.mark.spark
def test_jvms_of_a_session_made_here_start_quickly_unless_the_user_set_their_options(
    tmp_path, spark_cluster
):
    driver, executors = session_jvm_options(spark_cluster, tmp_path / "no-conf")
    assert QUICK_START in driver
    assert all(f'"{QUICK_START}"' in command for command in executors)

    conf = tmp_path / "conf"
    conf.mkdir()
    (conf / "spark-defaults.conf").write_text(
        "# set by an administrator\n"
        "spark.driver.defaultJavaOptions  -Dadmin.choice=driver\n"
        "spark.executor.defaultJavaOptions=-Dadmin.choice=executor\n"
    )
    driver, executors = session_jvm_options(spark_cluster, conf)
    assert "-Dadmin.choice=driver" in driver and QUICK_START not in driver
    for command in executors:
        assert '"-Dadmin.choice=executor"' in command and QUICK_START not in command

    # A properties file of its own replaces spark-defaults.conf; --conf wins over both.
    (tmp_path / "mine.conf").write_text("spark.driver.defaultJavaOptions -Dmy.choice=driver\n")
    submit_args = (
        f"--properties-file {tmp_path / 'mine.conf'}"
        " --conf spark.executor.defaultJavaOptions=-Dmy.choice=executor"
    )
    driver, executors = session_jvm_options(spark_cluster, conf, submit_args)
    assert "-Dmy.choice=driver" in driver and QUICK_START not in driver
    assert "-Dadmin.choice=driver" not in driver
    for command in executors:
        assert '"-Dmy.choice=executor"' in command and QUICK_START not in command


@pytest.mark.parametrize(
    ("submit_args", "defaults", "expected"),
    [
        ("pyspark-shell", "spark.a 1", "spark.a"),
        ("--conf spark.b=2 -c spark.c=3 --conf=spark.d=4", "", "spark.b spark.c spark.d"),
        ("--properties-file {mine} pyspark-shell", "spark.a 1", "spark.mine"),
        ("--properties-file {mine} --load-spark-defaults", "spark.a 1", "spark.a spark.mine"),
        ("--extra-properties-file {mine} --driver-memory 2g", "spark.a 1", "spark.a spark.mine"),
        ("--conf 'unclosed", "spark.a 1", "spark.a"),
    ],
)  # fmt: skip
def test_configured_keys_read_as_spark_submit_does(
    tmp_path, monkeypatch, submit_args, defaults, expected
):
    (tmp_path / "spark-defaults.conf").write_text(defaults)
    (tmp_path / "mine.conf").write_text("spark.mine 1\n")
    monkeypatch.setenv("SPARK_CONF_DIR", str(tmp_path))
    monkeypatch.setenv("PYSPARK_SUBMIT_ARGS", submit_args.format(mine=tmp_path / "mine.conf"))
    assert configured_keys() == set(expected.split())


def test_properties_files_are_read_with_every_separator_and_without_comments(tmp_path):
    path = tmp_path / "spark-defaults.conf"
    path.write_text(
        "# spark.comment.hash 1\n! spark.comment.bang 1\n\n"
        "spark.a 1\n  spark.b=2\nspark.c: 3\nspark.d\t4\n"
    )
    assert keys_in_properties(path) == {"spark.a", "spark.b", "spark.c", "spark.d"}
    assert keys_in_properties(tmp_path / "missing.conf") == set()
