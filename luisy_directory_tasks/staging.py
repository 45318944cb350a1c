"""Staging and commit: a run writes into a hidden folder beside the task's output folder, then
commits: a rerun moves only its new and changed files into the folder (journal.py), a first
run (or one after the folder no longer matched its manifest) swaps the whole staged folder into
place. The manifest is written last, which makes the result complete. Leftovers of a killed run
are finished or removed by the next run, under the task's lock."""

import contextlib
import os
import re
import shutil
import tempfile
import uuid
from array import array
from itertools import repeat

import numpy as np

from luisy_directory_tasks.errors import DirectoryTaskError
from luisy_directory_tasks.files import (
    current_umask,
    write_text_atomically,
)
from luisy_directory_tasks.journal import (
    commit_in_place,
    journal_path,
    recover,
)
from luisy_directory_tasks.locks import TaskLock
from luisy_directory_tasks.manifests import (
    GENERATION_FILE,
    FileEntries,
    read_generation,
)


def leftovers(target):
    """Paths beside `target`'s folder that killed runs left: staging, replaced and retired
    folders, the journal, temporary files (never the lock file)."""
    parent, name = os.path.split(target.folder)
    try:
        entries = os.listdir(parent)
    except OSError:
        return []
    # Exactly this task's names: another task's output may start with the same name (a
    # parameter value such as "v1" and "v1.2"), and its live work is not ours to remove.
    ours = re.compile(
        rf"\.{re.escape(name)}\.(staging-\w+|replaced-\w+|retired-\w+|journal|json\.\w+\.tmp)"
        rf"|\.\.{re.escape(name)}\.journal\.\w+\.tmp"
    )
    return [os.path.join(parent, entry) for entry in entries if ours.fullmatch(entry)]


def clean_up(target):
    """Finish or undo what killed runs left beside `target`; hold its exclusive lock.

    An in-place commit stopped part way is finished or undone from its journal. A swap stopped
    between moving the earlier folder aside and writing the new manifest left that folder under
    a `replaced-` name: it is put back. Everything else goes.
    """
    try:
        recover(target)
    except OSError as error:
        raise DirectoryTaskError(
            f"could not finish or undo the commit a stopped run left ({journal_path(target)}):"
            f" {error}. Fix the cause and run again; the journal is kept until then"
        ) from error
    found = leftovers(target)
    if found and not target.exists() and os.path.exists(target.path):
        with contextlib.suppress(OSError, ValueError):
            generation = target.load().get("generation")
            for path in found:
                if ".replaced-" in path and read_generation(path) == generation:
                    shutil.rmtree(target.folder, ignore_errors=True)
                    os.rename(path, target.folder)
                    break
    for path in leftovers(target):
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path, ignore_errors=True)
        else:
            with contextlib.suppress(FileNotFoundError):
                os.remove(path)


def clean_up_if_free(target):
    """clean_up(target) when there is something to clean and no other run holds the lock."""
    if not leftovers(target):
        return
    lock = TaskLock(target.folder)
    if lock.acquire(wait=False):
        try:
            clean_up(target)
        finally:
            lock.release()


class Staging:
    """A hidden folder beside a task's output folder where a run writes before it commits.

    Create it only while holding the task's exclusive TaskLock: it first cleans up after
    earlier runs, which is safe only when no other run can be writing.
    """

    def __init__(self, target):
        self.target = target
        parent, name = os.path.split(target.folder)
        os.makedirs(parent, exist_ok=True)
        self._prefix = os.path.join(parent, f".{name}.")
        clean_up(target)
        self.folder = tempfile.mkdtemp(prefix=f".{name}.staging-", dir=parent)
        # mkdtemp makes the folder private (0700); it becomes the task's folder, which should
        # be as readable as everything else this user creates.
        os.chmod(self.folder, 0o777 & ~current_umask())

    def path_for(self, relative_path):
        """Where to stage the output file `relative_path`."""
        return os.path.join(self.folder, relative_path)

    def commit(self, manifest, previous=None, staged=(), retired=None):
        """Make the staged files the task's result and write `manifest` last, which makes it
        complete. With `previous`, the committed manifest the staged files update, only the
        `staged` files (relative paths) move into the folder, and its outputs that `manifest`
        does not keep (`retired`, if known) go; without, the staged folder, which then holds
        every file, replaces the task's folder."""
        generation = uuid.uuid4().hex
        write_text_atomically(os.path.join(self.folder, GENERATION_FILE), generation + "\n")
        manifest = {**manifest, "generation": generation}
        if previous is not None:
            commit_in_place(self.target, self.folder, manifest, previous, staged, retired)
        else:
            self._swap(manifest)

    def _swap(self, manifest):
        generation = manifest["generation"]
        replaced = None
        if os.path.exists(self.target.folder):
            replaced = f"{self._prefix}replaced-{generation}"
            os.rename(self.target.folder, replaced)
        os.rename(self.folder, self.target.folder)
        try:
            self.target.write(manifest)
        except BaseException:  # e.g. a full disk: put the earlier result back in place
            os.rename(self.target.folder, self.folder)
            if replaced:
                os.rename(replaced, self.target.folder)
            raise
        if replaced:
            shutil.rmtree(replaced, ignore_errors=True)

    def discard(self):
        """Remove the staging folder and everything in it."""
        shutil.rmtree(self.folder, ignore_errors=True)


def keep_unchanged(inputs, previous, suffix=".npy"):
    """(FileEntries of `previous` whose input is unchanged since, InputFiles to process, the
    previous outputs not kept) of `inputs` (inputs.Inputs): the kept outputs stay where they
    are, unread and untouched. Compared as whole columns: a rerun over hundreds of thousands of
    files keeps nearly all of them."""
    committed = FileEntries.of(previous["files"] if previous else [], suffix)
    position = dict(zip(committed.strings["source"], range(len(committed)), strict=True))
    index = np.array(list(map(position.get, inputs.paths, repeat(-1))), dtype=np.int64)
    same = index >= 0
    if same.any():
        same[list(inputs.problems)] = False
        same &= _same_fingerprints(inputs.numbers, committed.numbers["source_fingerprint"], index)
    kept = np.sort(index[same])
    gone = np.ones(len(committed), dtype=bool)
    gone[kept] = False
    retired = [committed.strings["file"][i] for i in np.flatnonzero(gone).tolist()]
    return committed.subset(kept), inputs.files(np.flatnonzero(~same).tolist()), retired


def _same_fingerprints(found, committed, index):
    """Per file, True when its fingerprint (`found`, columns) is the `committed` one (columns)
    at `index` (-1: none)."""
    at = np.maximum(index, 0)
    columns = [*found, *committed]
    if len(found) != len(committed) or not all(type(column) is array for column in columns):
        # Fingerprints of another length, or numbers beyond 64 bits: row by row.
        rows_found = zip(*found, strict=True) if found else repeat((), len(index))
        return np.fromiter(
            (
                row == tuple(column[i] for column in committed) and i >= 0
                for row, i in zip(rows_found, index.tolist(), strict=True)
            ),
            bool,
            len(index),
        )
    same = np.ones(len(index), dtype=bool)
    for mine, theirs in zip(found, committed, strict=True):
        same &= np.frombuffer(mine, dtype=np.int64) == np.frombuffer(theirs, dtype=np.int64)[at]
    return same
