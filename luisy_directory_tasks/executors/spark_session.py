"""The Spark session directory tasks run on: luisy's, or one made for the `spark_master`
setting, whose JVMs start quickly unless the user's Spark configuration sets their options."""

import atexit
import contextlib
import logging
import os
import re
import shlex
import sys

from luisy_directory_tasks.errors import DirectoryTaskError

PACKAGE = __package__.split(".")[0]
# The JVMs of a session made here only pass bytes between Python workers and the driver: with
# the quick compiler alone each starts in about half the time, and a run about 4 s sooner.
QUICK_START = "-XX:TieredStopAtLevel=1"
DEFAULT_JAVA_OPTIONS = ("spark.driver.defaultJavaOptions", "spark.executor.defaultJavaOptions")
SUBMIT_OPTIONS_WITH_VALUES = ("--conf", "-c", "--properties-file", "--extra-properties-file")


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
    configured = configured_keys()
    for key in DEFAULT_JAVA_OPTIONS:
        if key not in configured:
            builder = builder.config(key, QUICK_START)
    log = spark_log_path()
    try:
        with jvm_output_to(log):
            session = builder.getOrCreate()
    except Exception as error:
        raise DirectoryTaskError(
            f"could not start Spark with the master {master!r} ({str(error).strip()[:300]})."
            " Spark needs Java 17 (java on the PATH, or JAVA_HOME); check"
            " --directory-tasks-spark-master, or run with --directory-tasks-executor=processes."
            f"{f' Spark logged to {log}' if log else ''}"
        ) from error
    atexit.register(stop_quietly, session)
    return session


def spark_log_path():
    """Where the JVM of a session made here writes its console output: `spark.log` in the
    working dir's logs/ folder; None (the console) when the run is verbose."""
    import luisy

    working_dir = luisy.Config().get_param("working_dir")
    if not working_dir or logging.getLogger().getEffectiveLevel() <= logging.INFO:
        return None
    return os.path.join(working_dir, "logs", "spark.log")


@contextlib.contextmanager
def jvm_output_to(path):
    """Give processes started meanwhile (the driver's JVM, which keeps it) `path` as their
    standard error: Spark's start-up banner and warnings land there, not among the run's
    lines. Nothing changes when `path` is None."""
    if path is None:
        yield
        return
    os.makedirs(os.path.dirname(path), exist_ok=True)
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(path, "ab") as log:
            os.dup2(log.fileno(), 2)
        yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)


def configured_keys():
    """The keys the user's Spark configuration sets: `--conf` options in PYSPARK_SUBMIT_ARGS and
    the properties files spark-submit reads. A builder's setting would override them all."""
    options = submit_options()
    pairs = options.get("--conf", []) + options.get("-c", [])
    keys = {pair.partition("=")[0] for pair in pairs}
    files = options.get("--properties-file", []) + options.get("--extra-properties-file", [])
    if "--load-spark-defaults" in options or "--properties-file" not in options:
        files.append(os.path.join(spark_conf_dir(), "spark-defaults.conf"))
    for path in files:
        keys |= keys_in_properties(path)
    return keys


def submit_options():
    """{option: [values]} of the PYSPARK_SUBMIT_ARGS options that say where Spark's
    configuration comes from (`--conf k=v`, `--conf=k=v`, `-c k=v`, properties files)."""
    try:
        arguments = shlex.split(os.environ.get("PYSPARK_SUBMIT_ARGS", ""))
    except ValueError:  # an unclosed quote: pyspark's own launch fails and says why
        return {}
    found = {}
    for index, argument in enumerate(arguments):
        name, equals, value = argument.partition("=")
        if name == "--load-spark-defaults":
            value = ""
        elif name not in SUBMIT_OPTIONS_WITH_VALUES:
            continue
        elif not equals:
            value = arguments[index + 1] if index + 1 < len(arguments) else ""
        found.setdefault(name, []).append(value)
    return found


def spark_conf_dir():
    """Where spark-submit looks for spark-defaults.conf."""
    if os.environ.get("SPARK_CONF_DIR"):
        return os.environ["SPARK_CONF_DIR"]
    from pyspark.find_spark_home import _find_spark_home  # pyspark's own launcher uses it

    return os.path.join(_find_spark_home(), "conf")


def keys_in_properties(path):
    """The keys a Java properties file sets (`key value`, `key=value`, `key: value`; `#` and
    `!` start comments); none when it cannot be read."""
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            lines = handle.read().splitlines()
    except OSError:  # none there (pyspark ships no spark-defaults.conf)
        return set()
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
