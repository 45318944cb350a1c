"""Writing and moving files so that readers never see half of one."""

import os
import re
import uuid

import numpy as np


def save_array(path, array):
    """Write `array` to `path` in .npy format, creating parent folders."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as handle:
        np.save(handle, np.asarray(array), allow_pickle=False)


def load_array(path):
    """Read a .npy file; pickled object arrays are refused, since loading them runs code."""
    return np.load(path, allow_pickle=False)


class NumpyFiles:
    """How a directory task stores each file's result by default: a .npy array, written with
    save_array and read with load_array (pickles refused). Another format is an object with
    the same three members (`suffix`, `write(path, result)`, `read(path)`) set as the task's
    `output_format`; it must pickle, since workers write the files."""

    suffix = ".npy"

    def write(self, path, result):
        save_array(path, result)

    def read(self, path):
        return load_array(path)


NUMPY_FILES = NumpyFiles()


def check_suffix(suffix):
    """Raise ValueError unless `suffix` is a plain file name ending such as '.npy'."""
    if not (isinstance(suffix, str) and re.fullmatch(r"\.[A-Za-z0-9][A-Za-z0-9._-]*", suffix)):
        raise ValueError(
            f"an output format's suffix must be a file name ending such as '.npy', got {suffix!r}"
        )
    return suffix


def move_file(source, destination):
    """Move `source` to `destination` with one atomic rename, creating parent folders."""
    os.makedirs(os.path.dirname(destination), exist_ok=True)
    os.replace(source, destination)
    return destination


def write_text_atomically(path, text):
    """Write `text` to `path` so that readers see the old content or the new, never a part."""
    folder, name = os.path.split(path)
    os.makedirs(folder, exist_ok=True)
    tmp = os.path.join(folder, f".{name}.{uuid.uuid4().hex}.tmp")
    try:
        with open(tmp, "x", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def current_umask():
    """This process's umask (read without changing it where /proc tells)."""
    try:
        with open("/proc/self/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
