"""AfterDirectoryTask: an ordinary luisy task over the outputs of directory tasks (one table of
all files, say), which runs again whenever one of them commits a new result.

luigi counts a task complete while its output exists, so a table made before new files were
committed upstream would be kept as it is. This task's output carries, as its modification
time, the modification time its input manifests had when it read them; it is complete only
while they still have it.
"""

import os

import luigi
import luisy

from luisy_directory_tasks.manifests import ManifestTarget


class AfterDirectoryTask(luisy.Task):
    """A luisy task whose input is one or more directory tasks. Read them with
    `input_files()` and save with `self.write(...)` (luisy's output decorators apply)."""

    _inputs_stamp = None

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
        targets = [target] if target is not None else self.manifests()
        if len(targets) != 1:
            raise ValueError("this task has several directory inputs: pass the one to read")
        if self._inputs_stamp is None:
            self._inputs_stamp = self.inputs_stamp()  # before reading: a later commit is seen
        source = targets[0]
        for entry in source.load()["files"]:
            yield entry["id"], source.read_file(os.path.join(source.folder, entry["file"]))[1]

    def write(self, obj):
        """Write the output (atomically, see luisy_fixes/atomic_files.py) and stamp it with
        the inputs it was made from."""
        stamp = self._inputs_stamp if self._inputs_stamp is not None else self.inputs_stamp()
        super().write(obj)
        if stamp is not None:
            os.utime(self.output().path, ns=(stamp, stamp))

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
