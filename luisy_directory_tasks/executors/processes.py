"""Run a function over many small jobs in worker processes, a bounded number at a time."""

import contextlib
import ctypes
import gc
import multiprocessing
import os
import signal
import sys
import threading
import time
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool

from luisy_directory_tasks.errors import WorkerDiedError

PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


def available_cores():
    """The number of cores this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


class ProcessExecutor:
    """The executor `processes`: a pool of `workers` processes on this machine."""

    name = "processes"
    max_chunk = 64  # files per chunk: a chunk costs a pickle round trip, about a millisecond

    def __init__(self, workers):
        self.slots = workers

    def check_shared(self, folder):
        """Workers share this machine's filesystem: nothing to check."""

    def map_chunks(self, work, items, chunk_size):
        """Yield `work(chunk)` for consecutive chunks of `items`, in completion order."""
        try:
            yield from map_chunks(work, items, self.slots, chunk_size)
        except BrokenProcessPool as error:
            raise WorkerDiedError(
                "a worker process died (killed by the system, often for lack of memory);"
                " nothing was committed or recorded. Run again, with fewer workers"
                " (--directory-tasks-workers=N) if it happens again"
            ) from error


def chunks(items, size):
    """`items` in consecutive lists of at most `size`."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def map_chunks(function, items, workers, chunk_size):
    """Yield `function(chunk)` for consecutive chunks of `items`, in completion order.

    With one worker everything runs in this process (easy to debug). Otherwise a pool of
    `workers` processes runs the chunks, with at most two chunks per worker in flight, so memory
    does not grow with the number of items. `function` and its arguments must be picklable.
    Workers end when this process ends, even when it is killed.
    """
    if workers <= 1:
        for chunk in chunks(items, chunk_size):
            yield function(chunk)
        return
    # fork starts workers at once with the task code already imported; spawn elsewhere.
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    # Keep the collector off the objects the workers inherit: its bookkeeping writes would
    # copy those memory pages into every worker, one by one, over a long run.
    gc.freeze()
    try:
        yield from _map_in_pool(function, items, workers, chunk_size, context)
    finally:
        gc.unfreeze()


def _map_in_pool(function, items, workers, chunk_size, context):
    pool = ProcessPoolExecutor(
        max_workers=workers,
        mp_context=context,
        initializer=start_worker,
        initargs=(os.getpid(),),
    )
    try:
        pending = set()
        for chunk in chunks(items, chunk_size):
            if len(pending) >= 2 * workers:
                finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in finished:
                    yield future.result()
            pending.add(pool.submit(function, chunk))
        while pending:
            finished, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in finished:
                yield future.result()
    except BaseException:  # Ctrl-C, a failed chunk, the caller giving up: no more writes
        stop_workers(pool)
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def stop_workers(pool):
    """End `pool`'s worker processes now, so that none writes after the caller cleans up."""
    if hasattr(pool, "terminate_workers"):  # Python 3.14
        pool.terminate_workers()
        return
    processes = list((pool._processes or {}).values())  # no public way before 3.14
    for process in processes:
        with contextlib.suppress(OSError, ValueError):
            process.terminate()
    for process in processes:
        with contextlib.suppress(OSError, ValueError, AssertionError):
            process.join()


def start_worker(parent_pid):
    """Worker start-up: Ctrl-C is for the parent, which stops the workers itself (a worker
    would print its own traceback); and the worker ends with its parent."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    die_with_parent(parent_pid)


def die_with_parent(parent_pid):
    """Worker start-up: end this worker when `parent_pid` dies, however it dies.

    A killed parent (the out-of-memory killer's SIGKILL) runs no clean-up, and its workers
    would live on, holding memory and the task's lock. On Linux the kernel sends SIGKILL
    (prctl PR_SET_PDEATHSIG); elsewhere, and as a fallback, a thread watches the parent's id.
    """
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent_pid:  # the parent died before the line above took effect
        os._exit(1)
    threading.Thread(target=_watch_parent, args=(parent_pid,), daemon=True).start()


def _watch_parent(parent_pid, interval=1.0):
    while os.getppid() == parent_pid:
        time.sleep(interval)
    os._exit(1)
