"""What a sheet shows, for either kind of sheet: the directory tasks with results, the ids
chosen, and each output read, or a text saying why it could not be."""

import dataclasses
import os

import numpy as np


class SheetError(Exception):
    """There is nothing to show yet."""


def evenly_spaced(items, count):
    """`count` items spread evenly over `items`, first and last included."""
    if len(items) <= count:
        return list(items)
    positions = np.linspace(0, len(items) - 1, count).round().astype(int)
    return [items[position] for position in positions]


def tasks_with_results(package):
    """The directory tasks of `package`.tasks whose output is committed, in the order
    defined."""
    from luisy_directory_tasks.commands.run import project_tasks
    from luisy_directory_tasks.task import DirectoryTask

    tasks = [cls() for cls in project_tasks(package).values() if issubclass(cls, DirectoryTask)]
    return [task for task in tasks if task.output().exists()]


def counts_line(manifests):
    """'12 files; 1 skipped (unreadable), 6 ignored (not read)', over every task's manifest."""
    skipped = sum(len(manifest["skipped"]) for manifest in manifests)
    ignored = sum(len(manifest["ignored"]) for manifest in manifests)
    files = max(len(manifest["files"]) for manifest in manifests)
    return f"{files} files; {skipped} skipped (unreadable), {ignored} ignored (not read)"


def read_or_say_why(read, path, skipped):
    """The array `read()` returns, or a text saying why there is none (also added to
    `skipped`, with the file's path)."""
    try:
        return read()
    except FileNotFoundError:
        reason = "file gone"
    except (OSError, ValueError) as error:
        lines = str(error).strip().splitlines()
        reason = f"unreadable: {lines[0] if lines else type(error).__name__}"
    skipped.append(f"{path} ({reason})")
    return f"{os.path.basename(path)}:\n{reason}"


@dataclasses.dataclass
class Shown:
    """What a sheet shows: the first task that reads the raw files (`reader`), then every
    directory task with results in the order defined (`tasks`, the reader first), their
    manifests, {task name: {id: committed file}} and the ids chosen."""

    reader: object
    tasks: list
    manifests: list
    files: dict
    chosen: list


def results_to_show(package, count):
    """Shown for `count` ids spread evenly over those with a result in every directory task
    of the project `package`; SheetError when there are none yet."""
    from luisy_directory_tasks.manifests import ManifestTarget

    tasks = tasks_with_results(package)
    readers = [task for task in tasks if not isinstance(task.input(), ManifestTarget)]
    if not readers:
        raise SheetError("no results yet: run the pipeline first")
    tasks = [readers[0], *(task for task in tasks if task is not readers[0])]
    manifests = [task.output().load() for task in tasks]
    files = {
        task.get_task_family(): {entry["id"]: entry["file"] for entry in manifest["files"]}
        for task, manifest in zip(tasks, manifests, strict=True)
    }
    first = files[tasks[0].get_task_family()]
    ids = [id_ for id_ in first if all(id_ in task_files for task_files in files.values())]
    chosen = evenly_spaced(ids, count)
    if not chosen:
        raise SheetError("no file has a result in every task yet: run the pipeline first")
    return Shown(readers[0], tasks, manifests, files, chosen)
