"""luisy directory tasks: luisy tasks that each turn every file of a folder into one output file,
with the fixes that let luisy 1.4.7 run on today's Python and libraries.

This module is the public API (`__all__`); the submodules are the library's own. Names load
when first used, so that importing this module (which installs the luisy fixes, see
luisy_fixes/) stays cheap and `python -m <package> --help` answers at once.

One job per submodule: task (DirectoryTask), after (AfterDirectoryTask, an ordinary task
after directory tasks), settings (the [directory_tasks] settings), inputs
(listing the input folder), manifests (what a task committed), staging (writing aside and
committing at once), locks, work (the per-file loop), executors (where that loop runs),
errors, files (the read/write/move helpers), progress, images (reading image files), curves
(reading, resampling and describing curves), parameters (RateParameter), cli and commands (a
project's command line).
"""

import importlib

from luisy_directory_tasks import luisy_fixes

__version__ = "1.0.0"

# public name -> the submodule that defines it
_DEFINED_IN = {
    "DirectoryTask": "task",
    "AfterDirectoryTask": "after",
    "directory_tasks": "settings",
    "make_directory_output": "luisy_fixes.compat",
    "ManifestTarget": "manifests",
    "read_manifest": "manifests",
    "NumpyFiles": "files",
    "save_array": "files",
    "load_array": "files",
    "move_file": "files",
    "write_text_atomically": "files",
    "DirectoryTaskError": "errors",
    "BadFilesError": "errors",
    "EmptyInputError": "errors",
    "IdCollisionError": "errors",
    "EnvironmentFailure": "errors",
    "UnlistableFolderError": "errors",
    "load_image": "images",
    "view_settings": "images",
    "ImageRefusedError": "images",
    "DEFAULT_MAX_PIXELS": "images",
    "load_curve": "curves",
    "resample": "curves",
    "curve_features": "curves",
    "CurveRefusedError": "curves",
    "DEFAULT_MAX_SAMPLES": "curves",
    "RateParameter": "parameters",
    "main": "cli",
}
__all__ = sorted(_DEFINED_IN)

luisy_fixes.install()


def __getattr__(name):
    if name not in _DEFINED_IN:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module = importlib.import_module(f"{__name__}.{_DEFINED_IN[name]}")
    value = getattr(module, name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))
