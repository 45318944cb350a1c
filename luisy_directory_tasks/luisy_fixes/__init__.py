"""Fixes that let luisy 1.4.7 run on today's Python and libraries (compat) and compute its
hashes once (speedups), make each luisy run one build of directory tasks (builds), and have
luisy's one-file targets write all or nothing (atomic_files).

Importing this project's package calls `install()`: the filters for luisy's noise go in at once
(noise.py), the fixes as soon as luisy is imported (at once if it already is), and luisy's
plotting module waits until it is used (deferred_plots.py). `apply()`
installs the fixes now.
"""

# The filters go in with this import, before luisy loads.
from luisy_directory_tasks.luisy_fixes import deferred_plots, noise  # noqa: F401
from luisy_directory_tasks.luisy_fixes.loading import after_luisy_loads


def apply():
    """Install the fixes into luisy (idempotent); imports luisy."""
    from luisy_directory_tasks.luisy_fixes import atomic_files, builds, compat, speedups

    noise.mend_luisy_log_format()
    compat.apply()
    atomic_files.apply()
    speedups.apply()
    builds.apply()


def install():
    """Have the fixes installed before any code uses luisy, without importing luisy now; and
    luisy's plotting module loaded only if used (deferred_plots)."""
    deferred_plots.defer()
    after_luisy_loads(apply)
