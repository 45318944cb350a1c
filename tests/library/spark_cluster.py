"""A real Spark standalone cluster for tests: a master and workers started from the pyspark
package, bound to 127.0.0.1, and stopped by process id with every process they started."""

import contextlib
import ctypes
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pyspark

LOOPBACK = "127.0.0.1"
SPARK_HOME = Path(pyspark.__file__).resolve().parent
PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>
# The JVMs of the tests start in half the time with the quick compiler alone and one GC thread;
# they pass bytes between Python processes and need no more.
QUICK_JVM = "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC"
MARKERS = "SPARK_TEST_MARKERS"  # the environment variable naming the cluster's marker folder


def java_missing():
    """Why a cluster cannot start here, or '' when it can."""
    if not sys.platform.startswith("linux"):
        return "the Spark cluster tests run on Linux only"
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        return "Spark needs Java 17: install a JRE (e.g. openjdk-17-jre-headless)"
    return ""


def loopback_environment(**extra):
    """The environment of every Spark process of the tests: loopback only, this Python, no
    web UI for drivers, JVMs that start quickly."""
    return {
        **os.environ,
        "SPARK_HOME": str(SPARK_HOME),
        "SPARK_LOCAL_IP": LOOPBACK,
        "PYSPARK_PYTHON": sys.executable,
        "PYSPARK_SUBMIT_ARGS": (
            f"--conf spark.ui.enabled=false --driver-java-options '{QUICK_JVM}'"
            f" --conf 'spark.executor.extraJavaOptions={QUICK_JVM}' pyspark-shell"
        ),
        "SPARK_DAEMON_JAVA_OPTS": QUICK_JVM,
        **extra,
    }


def _die_with_parent():
    # The cluster must not outlive a test session that is killed before its clean-up runs.
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def _stat(pid):
    """(parent pid, start time) of process `pid`, or None when it is gone."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return int(fields[1]), int(fields[19])


def descendants(pid):
    """{pid: start time} of every process below `pid`."""
    parents = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (stat := _stat(int(entry))) is not None:
            parents[int(entry)] = stat
    found, frontier = {}, [pid]
    while frontier:
        parent = frontier.pop()
        for child, (ppid, started) in parents.items():
            if ppid == parent and child not in found:
                found[child] = started
                frontier.append(child)
    return found


def command_line(pid):
    """The command line of process `pid` as one string ('' when it is gone)."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            return handle.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def listening_addresses(pids):
    """The local addresses (IP text) on which the processes `pids` accept TCP connections."""
    sockets = set()
    for pid in pids:
        with contextlib.suppress(OSError):
            for fd in os.listdir(f"/proc/{pid}/fd"):
                with contextlib.suppress(OSError):
                    target = os.readlink(f"/proc/{pid}/fd/{fd}")
                    if target.startswith("socket:["):
                        sockets.add(target[8:-1])
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table, encoding="ascii") as handle:
            for line in list(handle)[1:]:
                fields = line.split()
                if fields[3] == "0A" and fields[9] in sockets:  # 0A: LISTEN
                    found.add(_address(fields[1].split(":")[0]))
    return found


def _address(hex_ip):
    raw = bytes.fromhex(hex_ip)
    # /proc/net lists addresses as 32-bit words in host (little-endian) order
    raw = b"".join(raw[i : i + 4][::-1] for i in range(0, len(raw), 4))
    if len(raw) == 16 and raw.startswith(bytes(10) + b"\xff\xff"):
        raw = raw[12:]  # an IPv4 address mapped into IPv6
    return socket.inet_ntop(socket.AF_INET if len(raw) == 4 else socket.AF_INET6, raw)


def kill_if_same(pid, started, sig=signal.SIGKILL):
    """Send `sig` to `pid` unless that id now belongs to another process."""
    stat = _stat(pid)
    if stat is not None and stat[1] == started:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)


class SparkCluster:
    """A master and `workers` workers of `cores` cores each, logging into `folder`.

    `pythonpath` is added to the workers' environment, so that their executors import what the
    driver's tests import (the executors' stand-in for a wheel or --py-files).
    """

    def __init__(self, folder, workers=1, cores=1, memory="1g", pythonpath=()):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.workers, self.cores, self.memory = workers, cores, memory
        self.pythonpath = os.pathsep.join(str(path) for path in pythonpath)
        self.markers = self.folder / "markers"  # files the tests' tasks look for
        self.markers.mkdir(exist_ok=True)
        self.master_url = None
        self._processes = []  # (name, Popen) in start order

    def environment(self):
        """The environment of a driver (a luisy run) on this cluster and of its workers."""
        extra = {
            MARKERS: str(self.markers),
            # No REST submission server on the master (it would listen on a fixed port).
            "SPARK_MASTER_OPTS": "-Dspark.master.rest.enabled=false",
        }
        if self.pythonpath:
            extra["PYTHONPATH"] = self.pythonpath
        return loopback_environment(**extra)

    def options(self, *extra):
        """luisy command-line options that run directory tasks on this cluster."""
        return (
            "--directory-tasks-executor", "spark",
            "--directory-tasks-spark-master", self.master_url,
            *extra,
        )  # fmt: skip

    def start(self, timeout=180):
        """Start the master, then the workers; return once every worker is registered."""
        deadline = time.monotonic() + timeout
        master = self._launch("master", "org.apache.spark.deploy.master.Master")
        self.master_url = self._wait_for(
            master, r"Starting Spark master at (spark://\S+)", 1, deadline
        )[0]
        for index in range(self.workers):
            self._launch(
                f"worker{index}",
                "org.apache.spark.deploy.worker.Worker",
                "--cores", str(self.cores), "--memory", self.memory,
                "--work-dir", str(self.folder / f"worker{index}-work"),
                self.master_url,
            )  # fmt: skip
        self._wait_for(master, r"Registering worker (\S+)", self.workers, deadline)
        return self.master_url

    def _launch(self, name, main_class, *arguments):
        command = [
            str(SPARK_HOME / "bin" / "spark-class"), main_class,
            "--host", LOOPBACK, "--port", "0", "--webui-port", "0", *arguments,
        ]  # fmt: skip
        with open(self.folder / f"{name}.log", "wb") as log:
            process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=self.environment(),
                cwd=self.folder,
                preexec_fn=_die_with_parent,
            )
        self._processes.append((name, process))
        return name

    def log(self, name):
        """The log of the process `name` ('master', 'worker0', ...) so far."""
        return (self.folder / f"{name}.log").read_text(errors="replace")

    def _wait_for(self, name, pattern, count, deadline):
        process = dict(self._processes)[name]
        while time.monotonic() < deadline:
            found = re.findall(pattern, self.log(name))
            if len(found) >= count:
                return found
            if process.poll() is not None:
                break
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"the Spark {name} did not start:\n{self.log(name)[-3000:]}")

    def pids(self):
        """Process ids of the master, the workers and everything they started."""
        found = []
        for _, process in self._processes:
            found += [process.pid, *descendants(process.pid)]
        return found

    def worker_pids(self):
        """Process ids of the workers."""
        return [process.pid for name, process in self._processes if name.startswith("worker")]

    def executor_pids(self):
        """Process ids of the executor JVMs the workers run now."""
        found = []
        for worker in self.worker_pids():
            for pid in descendants(worker):
                if "CoarseGrainedExecutorBackend" in command_line(pid):
                    found.append(pid)
        return found

    def stop(self, grace=15):
        """Stop the workers, then the master; kill whatever they started that is still alive."""
        for _, process in reversed(self._processes):
            below = descendants(process.pid)
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(grace)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
            for pid, started in below.items():
                kill_if_same(pid, started)
        self._processes.clear()
