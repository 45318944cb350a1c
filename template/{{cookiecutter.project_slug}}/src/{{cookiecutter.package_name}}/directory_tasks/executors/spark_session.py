"""The Spark session directory tasks run on: luisy's, or one made for the `spark_master`
setting, whose JVMs start quickly unless the Spark configuration says otherwise."""

import atexit
import contextlib
import logging
import os
import re
import sys

from {{ cookiecutter.package_name }}.directory_tasks.errors import DirectoryTaskError

PACKAGE = __package__.split(".")[0]
# The JVMs of a session made here only pass bytes between Python workers and the driver: with
# the quick compiler alone each starts in about half the time, and a run about 4 s sooner.
QUICK_START = "-XX:TieredStopAtLevel=1"
DEFAULT_JAVA_OPTIONS = ("spark.driver.defaultJavaOptions", "spark.executor.defaultJavaOptions")


def open_session(master):
    """The Spark session luisy's config holds, else one for `master`, made once per process."""
    import luisy
    from pyspark import SparkContext
    from pyspark.sql import SparkSession

    session = luisy.Config().spark
    if session is not None:
        return session
    if SparkContext._active_spark_context is not None:  # made for an earlier task (as luisy checks)
        return SparkSession.builder.getOrCreate()
    # Executors start the Python that PYSPARK_PYTHON names, "python3" on the PATH otherwise:
    # this one has the project installed.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    if master.startswith("local"):  # executors run in this process: listen on loopback only
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    logging.getLogger("py4j").setLevel(logging.WARNING)  # a line per finished job otherwise
    builder = (
        SparkSession.builder.master(master)
        .appName(f"{PACKAGE} directory tasks")
        .config("spark.ui.showConsoleProgress", "false")  # directory tasks show their own
    )
    configured = keys_in_spark_defaults()
    for key in DEFAULT_JAVA_OPTIONS:
        if key not in configured:  # PYSPARK_SUBMIT_ARGS overrides these by itself
            builder = builder.config(key, QUICK_START)
    try:
        session = builder.getOrCreate()
    except Exception as error:
        raise DirectoryTaskError(
            f"could not start Spark with the master {master!r} ({str(error).strip()[:300]})."
            " Spark needs Java 17 (java on the PATH, or JAVA_HOME); check"
            " --directory-tasks-spark-master, or run with --directory-tasks-executor=processes"
        ) from error
    atexit.register(stop_quietly, session)
    return session


def keys_in_spark_defaults():
    """The keys that spark-defaults.conf sets, where spark-submit reads it."""
    folder = os.environ.get("SPARK_CONF_DIR")
    if not folder:
        import pyspark

        home = os.environ.get("SPARK_HOME") or os.path.dirname(pyspark.__file__)
        folder = os.path.join(home, "conf")
    try:
        with open(os.path.join(folder, "spark-defaults.conf"), encoding="utf-8") as handle:
            lines = handle.read().splitlines()
    except OSError:  # none there (pyspark ships none)
        return set()
    # A Java properties file: `key value`, `key=value` or `key: value`; # and ! start comments.
    return {
        re.split(r"[\s=:]", line.strip(), maxsplit=1)[0]
        for line in lines
        if line.strip() and not line.lstrip().startswith(("#", "!"))
    }


def stop_quietly(session):
    """Stop `session` without Spark's shutdown noise: after a failed run, executors still
    report the tasks it cancelled, and the stopping driver logs each report as an error."""
    with contextlib.suppress(Exception):  # the JVM may be gone already
        session.sparkContext.setLogLevel("OFF")
    session.stop()
