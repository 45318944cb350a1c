"""Run a function over many small jobs in worker processes, a bounded number at a time."""

import gc
import multiprocessing
import os
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait


def available_cores():
    """The number of cores this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def chunks(items, size):
    """`items` in consecutive lists of at most `size`."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def map_chunks(function, items, workers, chunk_size):
    """Yield `function(chunk)` for consecutive chunks of `items`, in completion order.

    With one worker everything runs in this process (easy to debug). Otherwise a pool of
    `workers` processes runs the chunks, with at most two chunks per worker in flight, so memory
    does not grow with the number of items. `function` and its arguments must be picklable.
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
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
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
