"""Staging and commit: a run writes into a hidden folder beside the task's output folder and
swaps it into place, then writes the manifest, which makes the result complete. Leftovers of a
killed run are finished or removed by the next run, under the task's lock."""

import contextlib
import os
import re
import shutil
import tempfile
import uuid

from {{ cookiecutter.package_name }}.directory_tasks.files import current_umask, link_file, write_text_atomically
from {{ cookiecutter.package_name }}.directory_tasks.locks import TaskLock
from {{ cookiecutter.package_name }}.directory_tasks.manifests import GENERATION_FILE, read_generation


def leftovers(target):
    """Paths beside `target`'s folder that killed runs left: staging and replaced folders,
    temporary files (never the lock file)."""
    parent, name = os.path.split(target.folder)
    try:
        entries = os.listdir(parent)
    except OSError:
        return []
    # Exactly this task's names: another task's output may start with the same name (a
    # parameter value such as "v1" and "v1.2"), and its live work is not ours to remove.
    ours = re.compile(rf"\.{re.escape(name)}\.(staging-\w+|replaced-\w+|json\.\w+\.tmp)")
    return [os.path.join(parent, entry) for entry in entries if ours.fullmatch(entry)]


def clean_up(target):
    """Finish or undo what killed runs left beside `target`; hold its exclusive lock.

    A run stopped inside `commit` between moving the earlier folder aside and writing the new
    manifest left that folder under a `replaced-` name: it is put back. Everything else goes.
    """
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

    def commit(self, manifest):
        """Swap the staged folder into place and write `manifest`, which makes it complete."""
        generation = uuid.uuid4().hex
        write_text_atomically(os.path.join(self.folder, GENERATION_FILE), generation + "\n")
        replaced = None
        if os.path.exists(self.target.folder):
            replaced = f"{self._prefix}replaced-{generation}"
            os.rename(self.target.folder, replaced)
        os.rename(self.folder, self.target.folder)
        try:
            self.target.write({**manifest, "generation": generation})
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


def keep_unchanged(files, target, staging):
    """Hard-link into `staging` the committed outputs whose input is unchanged since; return
    their manifest entries and the files still to process."""
    reusable = {}
    if target.exists():
        reusable = {entry["source"]: entry for entry in target.load()["files"]}
    kept, todo = [], []
    for item in files:
        entry = reusable.get(item.relative_path)
        if entry and tuple(entry["source_fingerprint"]) == item.fingerprint and not item.problem:
            kept.append(entry)
        else:
            todo.append(item)
    for folder in {os.path.dirname(staging.path_for(entry["file"])) for entry in kept}:
        os.makedirs(folder, exist_ok=True)
    for entry in kept:
        link_file(os.path.join(target.folder, entry["file"]), staging.path_for(entry["file"]))
    return kept, todo
