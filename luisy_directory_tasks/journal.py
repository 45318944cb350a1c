"""An in-place commit: a rerun moves only its new and changed outputs into the task's folder.

`commit_in_place` takes these steps; all but the first and the last are renames:

1. write the journal `.<Task>.journal` beside the folder (fsynced): the new and the earlier
   generation, the staging folder, the files it retires (changed or removed) and moves in;
2. move the folder's generation marker, then every retired file, into `.<Task>.retired-<gen>`
   (from here on the folder does not match its manifest, so the task is incomplete and
   `ManifestTarget.exists()` is False), and remove folders that were left empty;
3. move every staged file into the folder, then the new marker;
4. write the manifest: this marks the commit complete;
5. remove the journal and the retired files.

A commit that fails before step 4 is undone at once; one killed before step 4 is undone by
the next run (`recover`), one killed after it is finished. Both happen under the task's lock.
"""

import json
import logging
import os
import re
import shutil

from luisy_directory_tasks.files import (
    move_file,
    write_text_atomically,
)
from luisy_directory_tasks.manifest_checks import (
    is_safe_relative,
)
from luisy_directory_tasks.manifests import GENERATION_FILE, FileEntries

logger = logging.getLogger(__name__)


def journal_path(target):
    """Where the journal of `target`'s in-place commit is kept while it runs."""
    parent, name = os.path.split(target.folder)
    return os.path.join(parent, f".{name}.journal")


def retired_folder(target, generation):
    """Where a commit keeps the files it replaces or removes until it is complete."""
    parent, name = os.path.split(target.folder)
    return os.path.join(parent, f".{name}.retired-{generation}")


def commit_in_place(target, staging_folder, manifest, previous, staged, retired=None):
    """Make `manifest` (with its new generation) the committed result of `target`, whose
    committed manifest is `previous`: move the `staged` files (relative paths) in from
    `staging_folder`, retire the changed and removed ones (the outputs of `previous` that
    `manifest` does not keep: `retired`, found here if None), write the manifest last."""
    if retired is None:
        old = set(FileEntries.of(previous["files"]).strings["file"])
        new = set(FileEntries.of(manifest["files"]).strings["file"])
        retired = (old - new) | (old & set(staged))
    plan = {
        "generation": manifest["generation"],
        "previous": previous["generation"],
        "staging": os.path.basename(staging_folder),
        "retired": sorted(retired),
        "moved_in": sorted(staged),
    }
    write_text_atomically(journal_path(target), json.dumps(plan) + "\n")
    try:
        _move(target, plan)
        target.write(manifest)
    except BaseException:  # a full disk, Ctrl-C: put the earlier result back as it was
        undo(target, plan)
        raise
    finish(target, plan)


def _move(target, plan):
    folder = target.folder
    retired = retired_folder(target, plan["generation"])
    staging = os.path.join(os.path.dirname(folder), plan["staging"])
    for relative in [GENERATION_FILE, *plan["retired"]]:
        move_file(os.path.join(folder, relative), os.path.join(retired, relative))
    remove_empty_folders(folder, plan["retired"])
    for relative in [*plan["moved_in"], GENERATION_FILE]:
        move_file(os.path.join(staging, relative), os.path.join(folder, relative))


def remove_empty_folders(folder, removed):
    """Remove the folders below `folder` that the `removed` files (relative paths) left
    empty, deepest first, as a clean run would not have them."""
    parents = {os.path.dirname(relative) for relative in removed} - {""}
    candidates = set()
    for parent in parents:
        while parent:
            candidates.add(parent)
            parent = os.path.dirname(parent)
    for parent in sorted(candidates, key=lambda path: path.count("/"), reverse=True):
        try:
            os.rmdir(os.path.join(folder, parent))
        except OSError:  # not empty (or gone): kept
            pass


def undo(target, plan):
    """Put the earlier result back: staged files that were moved in go back to staging (only
    once every retired file was moved out, since moving in starts after that), retired files
    go back into the folder, then the journal goes."""
    folder = target.folder
    retired = retired_folder(target, plan["generation"])
    staging = os.path.join(os.path.dirname(folder), plan["staging"])
    retiring = [GENERATION_FILE, *plan["retired"]]
    if all(os.path.lexists(os.path.join(retired, relative)) for relative in retiring):
        for relative in [*plan["moved_in"], GENERATION_FILE]:
            staged, live = os.path.join(staging, relative), os.path.join(folder, relative)
            if not os.path.lexists(staged) and os.path.lexists(live):
                move_file(live, staged)
    for relative in retiring:
        kept = os.path.join(retired, relative)
        if os.path.lexists(kept):
            move_file(kept, os.path.join(folder, relative))
    os.remove(journal_path(target))
    shutil.rmtree(retired, ignore_errors=True)


def finish(target, plan):
    """Remove what a complete in-place commit no longer needs: the journal, retired files."""
    os.remove(journal_path(target))
    shutil.rmtree(retired_folder(target, plan["generation"]), ignore_errors=True)


def read_plan(target):
    """The journal's plan, None when there is no journal; ValueError when it is not one this
    project writes (then it is not acted on)."""
    try:
        with open(journal_path(target), encoding="utf-8") as handle:
            plan = json.load(handle)
    except FileNotFoundError:
        return None
    except (OSError, RecursionError) as error:
        raise ValueError(f"{journal_path(target)} cannot be read: {error}") from None
    name = re.escape(os.path.basename(target.folder))
    valid = (
        isinstance(plan, dict)
        and all(re.fullmatch(r"\w+", str(plan.get(key))) for key in ("generation", "previous"))
        and re.fullmatch(rf"\.{name}\.staging-\w+", str(plan.get("staging")))
        and all(
            isinstance(plan.get(key), list) and all(map(is_safe_relative, plan[key]))
            for key in ("retired", "moved_in")
        )
    )
    if not valid:
        raise ValueError(f"{journal_path(target)} is not a journal of this task")
    return plan


def recover(target):
    """Finish (its manifest was written) or undo (it was not) an in-place commit a killed run
    left; hold the task's exclusive lock. A journal that is not ours is removed unread: the
    folder then does not match its manifest, and the task runs again."""
    try:
        plan = read_plan(target)
    except ValueError as error:
        logger.warning("%s; removed", error)
        os.remove(journal_path(target))
        return
    if plan is None:
        return
    try:
        committed = target.load()["generation"]
    except (OSError, ValueError):
        committed = None
    if committed == plan["generation"]:
        finish(target, plan)
    else:
        undo(target, plan)
