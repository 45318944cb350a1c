"""The per-file work of a directory task, run in a worker: read, transform, stage."""

import contextlib
import errno
import os
import shutil

import numpy as np

from luisy_directory_tasks.errors import (
    VANISHED,
    DiskFullError,
    EnvironmentFailure,
    as_environment_failure,
    is_environment_error,
)


def process_files(task, source, staging_folder, files):
    """Read, transform and stage `files` (run in a worker process); return small results only:
    (manifest entries, [(path, why it failed)], [paths the reader skipped])."""
    entries, bad, ignored = [], [], []
    for item in files:
        output = f"{item.file_id}{task.output_format.suffix}"
        destination = os.path.join(staging_folder, output)
        if item.problem:
            bad.append((item, item.problem))
            continue
        try:
            content = source.read_file(item.path)
            if content is None:
                ignored.append(item)
                continue
            result = task.transform(content[1])
        except Exception as error:  # every bad file is reported, not only the first
            if is_environment_error(error):
                raise as_environment_failure(error, item.path) from error
            bad.append((item, describe_failure(item.path, error)))
            continue
        try:
            task.output_format.write(destination, result)
        except MemoryError as error:
            raise as_environment_failure(error, item.path) from error
        except OSError as error:  # writing into our own staging folder: never the file's fault
            raise write_failure(error, staging_folder, output, result) from error
        stat = os.stat(destination)
        entries.append(
            {
                "id": item.file_id,
                "file": output,
                "source": item.relative_path,
                "source_fingerprint": list(item.fingerprint),
                "fingerprint": [stat.st_size, stat.st_mtime_ns],
            }
        )
    return entries, bad, ignored


def write_failure(error, staging_folder, output, array):
    """An EnvironmentFailure for an OSError raised while writing `output` into staging."""
    needed = np.asarray(array).nbytes
    full = error.errno in (errno.ENOSPC, errno.EDQUOT)
    if error.errno is None:  # numpy's tofile reports a short write without an errno
        with contextlib.suppress(OSError):
            full = shutil.disk_usage(staging_folder).free < needed
    if full:
        layer = os.path.dirname(staging_folder)
        return DiskFullError(layer, needed, f"writing {output}")
    return EnvironmentFailure(f"could not write {output} into {staging_folder}: {error}")


def describe_failure(path, error):
    """One line saying why the file at `path` could not be processed."""
    if isinstance(error, FileNotFoundError) and not os.path.lexists(path):
        return VANISHED
    if os.path.exists(path) and os.path.getsize(path) == 0:
        return "the file is empty (0 bytes)"
    lines = str(error).strip().splitlines()
    return f"{type(error).__name__}: {lines[0] if lines else 'no details'}"
