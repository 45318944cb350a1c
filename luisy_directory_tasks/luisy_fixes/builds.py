"""Each luisy run (its command line, this project's `run`) is one build of directory tasks:
inputs are surveyed once per run (directory_tasks/builds.py). luisy's behaviour is unchanged.

A process that ran luisy also ends without Python's last full collection: with luisy, pandas,
matplotlib and a run's manifests loaded, the interpreter's exit spent 0.3 to 0.5 s walking
every object only to free memory the system frees anyway. The objects left are frozen at exit
instead (gc.freeze); as always in Python, their __del__ methods need not run then, and files,
logs and Spark are closed by their own exit handlers, which still run.
"""

import atexit
import functools
import gc

from luisy import luigi_interface

_exit_frozen = []  # [True] once this process freezes its objects at exit


def apply():
    """Have luisy's Coordinator.run (both modes) run inside one build; safe to call again."""
    original = luigi_interface.Coordinator.run
    if getattr(original, "one_build", False):
        return

    @functools.wraps(original)
    def run(self):
        from luisy_directory_tasks.builds import one_build

        freeze_at_exit()
        with one_build():
            return original(self)

    run.one_build = True
    luigi_interface.Coordinator.run = run


def freeze_at_exit():
    """Skip the last full collection when this process ends (once per process)."""
    if not _exit_frozen:
        atexit.register(gc.freeze)
        _exit_frozen.append(True)
