"""Run directory-task work as Spark tasks: chunks of files become partitions.

Executors read and write the files themselves, in a working dir every executor shares with this
driver; only the small per-chunk results travel back. Each partition is its own job, at most a
bounded window of them at once, so results stream back as partitions finish and the driver's
memory does not grow with the number of files. Spark retries a partition whose Python worker
or executor died; a failure of the machine (a full disk, no memory) stops the run at once.
"""

import functools
import os
import re
import socket
import uuid
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait

from luisy_directory_tasks.errors import (
    DirectoryTaskError,
    EnvironmentFailure,
    WorkerDiedError,
)
from luisy_directory_tasks.executors.processes import chunks
from luisy_directory_tasks.executors.spark_session import (
    open_session,
)
from luisy_directory_tasks.settings import (
    apply_settings,
    settings_snapshot,
)

PACKAGE = __package__.split(".")[0]


class NotSharedError(DirectoryTaskError):
    """The Spark executors do not see the working dir this driver sees."""

    def __init__(self, folder, host, problem):
        super().__init__(folder, host, problem)
        self.folder, self.host, self.problem = folder, host, problem

    def __str__(self):
        seen = f" ({self.problem})" if self.problem else ", but this driver does not see it"
        return (
            f"the working dir is not shared with the Spark executors: an executor on {self.host}"
            f" wrote a probe file into {self.folder}{seen}. Put the working dir on storage that"
            " every executor and this driver mount at the same path (a network filesystem, a"
            " Databricks volume under /Volumes) and pass it with --working-dir, or run with"
            " --directory-tasks-executor=processes; nothing was committed"
        )


class SparkJobError(EnvironmentFailure):
    """A Spark job failed for a reason other than an input file; nothing was committed."""


class SparkExecutor:
    """Runs chunks of work as Spark tasks of the session `open_session(master)` gives."""

    name = "spark"
    # Files per partition at most: a Spark task costs tens of milliseconds to schedule and
    # start, so partitions are larger than the process pool's chunks.
    max_chunk = 512

    def __init__(self, master):
        self.context = open_session(master).sparkContext

    @property
    def slots(self):
        """Cores of the executors Spark has now (its default parallelism)."""
        return max(1, self.context.defaultParallelism)

    def check_shared(self, folder):
        """Raise NotSharedError unless a file an executor writes into `folder` is seen here."""
        path = os.path.join(folder, f".probe-{uuid.uuid4().hex}")
        try:
            [(host, problem)] = self.context.parallelize([path], 1).map(write_probe).collect()
        except Exception as error:
            raise spark_failure(error) from None
        try:
            if problem or not os.path.exists(path):
                raise NotSharedError(folder, host, problem)
        finally:
            if os.path.exists(path):
                os.remove(path)

    def map_chunks(self, work, items, chunk_size):
        """Yield `work(chunk)` for consecutive chunks of `items`, in completion order."""
        parts = list(chunks(items, chunk_size))
        if not parts:
            return
        data = self.context.parallelize(parts, len(parts))
        run = functools.partial(run_partition, settings_snapshot(), work)
        group = f"{PACKAGE}-{uuid.uuid4().hex}"
        window = 2 * self.slots

        def job(index):
            self.context.setJobGroup(group, f"{PACKAGE}: directory task", interruptOnCancel=True)
            return self.context.runJob(data, run, [index])

        with ThreadPoolExecutor(max_workers=window) as threads:
            pending = set()
            try:
                for index in range(len(parts)):
                    if len(pending) >= window:
                        finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                        yield from (unpack(future) for future in finished)
                    pending.add(threads.submit(job, index))
                while pending:
                    finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                    yield from (unpack(future) for future in finished)
            except BaseException:
                self.context.cancelJobGroup(group)
                raise


def write_probe(path):
    """On an executor: write the probe file `path`; return (host, why it failed or '')."""
    try:
        with open(path, "x", encoding="utf-8") as handle:
            handle.write(socket.gethostname())
    except OSError as error:
        return socket.gethostname(), f"{type(error).__name__}: {error}"
    return socket.gethostname(), ""


def run_partition(settings, work, parts):
    """On an executor: run `work` on the partition's chunk with this run's `settings` (an
    executor has no command line). A failure of the machine travels back as a value, so that
    Spark does not retry it and the driver raises it as it is."""
    apply_settings(settings)
    for chunk in parts:
        try:
            yield "done", work(chunk)
        except EnvironmentFailure as error:
            yield "failed", error


def unpack(future):
    """The result of one partition's job, raising what it failed with."""
    try:
        [(state, value)] = future.result()
    except Exception as error:
        if isinstance(error, (DirectoryTaskError, EnvironmentFailure)):
            raise
        raise spark_failure(error) from None
    if state == "failed":
        raise value
    return value


def spark_failure(error):
    """A Spark job's failure (a Py4J or Python exception) as one of this package's errors."""
    text = str(error)
    missing = re.search(r"ModuleNotFoundError: No module named '([\w.]+)'", text)
    if missing:
        return SparkJobError(
            f"the Spark executors cannot import {missing.group(1)!r}: install this project on"
            " them (its wheel, `pip wheel --no-deps .`, as a cluster library or with"
            " spark.submit.pyFiles / --py-files); nothing was committed or recorded"
        )
    if "Python worker exited unexpectedly" in text:
        return WorkerDiedError(
            "a Spark Python worker died on the same files every time Spark retried them (killed"
            " by the system, often for lack of memory); nothing was committed or recorded. Give"
            " the executors more memory or fewer cores each (spark.executor.memory,"
            " spark.executor.cores)"
        )
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    aborted = [line.lstrip(": ") for line in lines if "Job aborted" in line]
    reason = python_error(text) or (aborted or lines or [type(error).__name__])[-1]
    return SparkJobError(f"the Spark job failed: {reason[:500]}; nothing was committed or recorded")


def python_error(text):
    """The exception line of the last Python traceback in a Spark error's text, or ''. (The
    Java stack Spark adds after it ends with lines such as `at java.lang.Thread.run`.)"""
    _, found, rest = text.rpartition("Traceback (most recent call last):")
    if not found:
        return ""
    for line in rest.splitlines()[1:]:
        if line.strip() and not line[0].isspace():  # frames are indented, the error is not
            return line.strip()
    return ""
