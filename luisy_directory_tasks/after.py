"""AfterDirectoryTask: an ordinary luisy task over the outputs of directory tasks (one table of
all files, say), which runs again whenever one of them commits a new result.

luigi counts a task complete while its output exists, so a table made before new files were
committed upstream would be kept as it is. This task's output carries, as its modification
time, the modification time its input manifests had when it read them; it is complete only
while they still have it.

`per_file(function)` keeps each file's result in a JSON file beside the output, so that the
next run computes only those of files committed since. They are reused only while the output
they were written with is still there: luisy removes a task's output when its code changes.
"""

import functools
import json
import logging
import os

import luigi
import luisy

from luisy_directory_tasks.executors import open_executor
from luisy_directory_tasks.files import write_text_atomically
from luisy_directory_tasks.manifests import ManifestTarget
from luisy_directory_tasks.settings import directory_tasks

logger = logging.getLogger(__name__)
# Fewer files than this are read in this process: starting workers would cost more.
IN_PROCESS_BELOW = 128


def apply_to_files(function, source, todo):
    """[(index, function(data))] for each (index, path) of `todo`, read from `source` (run in
    a worker)."""
    return [(index, function(source.read_file(path)[1])) for index, path in todo]


class AfterDirectoryTask(luisy.Task):
    """A luisy task whose input is one or more directory tasks. Read them with
    `input_files()` or `per_file(function)` and save with `self.write(...)` (luisy's output
    decorators apply)."""

    _inputs_stamp = None  # the input manifests' stamp when this run first read them
    _results = None  # what per_file computed in this run, kept when the output is written

    def manifests(self):
        """The ManifestTargets among this task's inputs."""
        targets = luigi.task.flatten(self.input())
        return [target for target in targets if isinstance(target, ManifestTarget)]

    def inputs_stamp(self):
        """The newest modification time (ns) of the input manifests; None if one is missing."""
        try:
            return max(os.stat(target.path).st_mtime_ns for target in self.manifests())
        except (OSError, ValueError):
            return None

    def input_files(self, target=None):
        """(id, data) of every file committed by the input directory task (or `target`, one of
        several inputs), in the order of its manifest."""
        source = self._source(target)
        for entry in source.load()["files"]:
            yield entry["id"], source.read_file(os.path.join(source.folder, entry["file"]))[1]

    def per_file(self, function, target=None):
        """[(id, function(data))] for every file committed by the input directory task (or
        `target`), in the order of its manifest. Results are JSON values (a dict of numbers,
        say); those of files unchanged since this task's output was last written are reused."""
        source = self._source(target)
        name = f"{function.__module__}.{function.__qualname__}"
        known = self._kept_results(name)
        entries = source.load()["files"]
        results, todo = [None] * len(entries), []
        for index, entry in enumerate(entries):
            before = known.get(entry["file"])
            # the committed file's size and mtime_ns, as when the result was kept
            if (
                isinstance(before, list)
                and len(before) == 3
                and before[:2] == list(entry["fingerprint"])
            ):
                results[index] = before[2]
            else:
                todo.append((index, os.path.join(source.folder, entry["file"])))
        for index, result in self._compute(function, source, todo):
            results[index] = result
        kept = {}
        for entry, result in zip(entries, results, strict=True):
            kept[entry["file"]] = [*entry["fingerprint"], result]  # the key the next run checks
        self._results = {"function": name, "files": kept}
        return [(entry["id"], result) for entry, result in zip(entries, results, strict=True)]

    def _compute(self, function, source, todo):
        """(index, function(data)) for each (index, path) of `todo`: on the directory tasks'
        executor when there are many, here when a pool would cost more than it saves."""
        work = functools.partial(apply_to_files, function, source)
        if len(todo) < IN_PROCESS_BELOW:
            return work(todo)
        executor = open_executor(directory_tasks())
        chunk_size = max(1, min(executor.max_chunk, len(todo) // (4 * executor.slots)))
        return [pair for chunk in executor.map_chunks(work, todo, chunk_size) for pair in chunk]

    def write(self, obj):
        """Write the output (atomically, see luisy_fixes/atomic_files.py), stamp it with the
        inputs it was made from, and keep the results of `per_file` for the next run."""
        stamp = self._inputs_stamp if self._inputs_stamp is not None else self.inputs_stamp()
        results, self._results = self._results, None
        self._inputs_stamp = None  # luigi reuses task objects: the next run reads afresh
        super().write(obj)
        if stamp is None:
            return
        os.utime(self.output().path, ns=(stamp, stamp))
        if results is not None:
            try:
                text = json.dumps({"stamp": stamp, **results})
            except (TypeError, ValueError) as error:  # results that are not JSON: not kept
                logger.debug("%s: per-file results not kept: %s", self, error)
                return
            write_text_atomically(self._results_path(), text)

    def _source(self, target):
        targets = [target] if target is not None else self.manifests()
        if len(targets) != 1:
            raise ValueError("this task has several directory inputs: pass the one to read")
        if self._inputs_stamp is None:
            self._inputs_stamp = self.inputs_stamp()  # before reading: a later commit is seen
        return targets[0]

    def _results_path(self):
        folder, name = os.path.split(self.output().path)
        return os.path.join(folder, f".{name}.per-file.json")

    def _kept_results(self, function_name):
        """{committed file: [size, mtime_ns, result]} kept by the run that wrote the output
        that is there now, with the same function; {} if there is none."""
        try:
            output_stamp = os.stat(self.output().path).st_mtime_ns
            with open(self._results_path(), encoding="utf-8") as handle:
                kept = json.load(handle)
        except (OSError, ValueError, RecursionError):
            return {}
        if (
            not isinstance(kept, dict)
            or kept.get("stamp") != output_stamp
            or kept.get("function") != function_name
            or not isinstance(kept.get("files"), dict)
        ):
            return {}
        return kept["files"]

    def complete(self):
        """Written, made from the input manifests as they are now, and every task before it
        complete (luigi asks before anything runs: an input about to commit new files makes
        this task run after it)."""
        if not super().complete():
            return False
        if not all(task.complete() for task in luigi.task.flatten(self.requires())):
            return False
        stamp = self.inputs_stamp()
        try:
            return stamp is not None and os.stat(self.output().path).st_mtime_ns == stamp
        except OSError:
            return False
