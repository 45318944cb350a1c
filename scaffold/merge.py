"""Three-way merge of a project with two renderings of its template, file by file.

`base` is the template as it made the project, `theirs` the template now, `yours` the project.
Files pair up by the path they render to, else by their path inside the template, so an answer
that renames a folder (say the package name) carries the project's edits to the new path.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import merge3

from scaffold.errors import UsageError

# What happens to a file, as `scaffold update` reports it.
ADD = "add"  # new in the template
UPDATE = "update"  # changed in the template only
MERGE = "merge"  # changed in both, on different lines
CONFLICT = "conflict"  # changed in both on the same lines: the file gets conflict markers
MOVE = "move"  # its path changed with an answer
REMOVE = "remove"  # gone from the template, unchanged in the project
KEEP_DELETED = "keep deleted"  # deleted in the project: stays deleted
KEEP_YOURS = "keep yours"  # gone from the template, or binary, and changed in the project
LEFT_BEHIND = "left behind"  # the project's own file in a folder the template moved away

WRITES = (ADD, UPDATE, MERGE, CONFLICT, MOVE)


@dataclass(frozen=True)
class Rendering:
    """A rendered template: {project path: content}, {template path: project path} and
    {project path: permission bits}."""

    files: Mapping[str, bytes]
    paths: Mapping[str, str]
    modes: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Change:
    """One file's fate in an update; `content` is what gets written at `path`."""

    action: str
    path: str
    content: bytes | None = None
    old_path: str | None = None
    note: str = ""


def pair_files(base: Rendering, theirs: Rendering) -> list[tuple[str | None, str | None]]:
    """Pair each file of `base` with its counterpart in `theirs` (None where there is none).

    A path both render is one project file, whatever the template calls it (a renamed path
    variable that renders the same). The others pair up by their path inside the template:
    an answer moved them (a new package name). What is left is new or gone.
    """
    same = set(base.files) & set(theirs.files)
    pairs: list[tuple[str | None, str | None]] = [(path, path) for path in sorted(same)]
    base_moved = {src: path for src, path in base.paths.items() if _unpaired(path, base, same)}
    theirs_moved = {
        src: path for src, path in theirs.paths.items() if _unpaired(path, theirs, same)
    }
    pairs += [
        (base_moved[src], theirs_moved[src])
        for src in sorted(base_moved.keys() & theirs_moved.keys())
    ]
    paired_base = {old for old, _ in pairs}
    paired_theirs = {new for _, new in pairs}
    pairs += [(path, None) for path in sorted(set(base.files) - paired_base)]
    pairs += [(None, path) for path in sorted(set(theirs.files) - paired_theirs)]
    return pairs


def _unpaired(path: str, rendering: Rendering, same: set[str]) -> bool:
    return path in rendering.files and path not in same


def plan_update(
    base: Rendering, theirs: Rendering, yours: Mapping[str, bytes], label: str
) -> list[Change]:
    """Decide every file's change; `yours` maps project paths to their current content."""
    changes = []
    for old, new in pair_files(base, theirs):
        change = _plan_file(
            old,
            new,
            base.files.get(old),
            theirs.files.get(new),
            yours,
            label,
        )
        if change is not None:
            changes.append(change)
    return changes


def _plan_file(old, new, base, theirs, yours, label) -> Change | None:
    if old is None:  # new in the template
        mine = yours.get(new)
        if mine is None:
            return Change(ADD, new, theirs)
        if mine == theirs:
            return None
        return _merged(new, b"", mine, theirs, label, None)
    mine = yours.get(old)
    if new is None:  # gone from the template
        if mine is None:
            return None
        if mine == base:
            return Change(REMOVE, old)
        return Change(KEEP_YOURS, old, note="removed from the template, changed by you")
    if mine is None:
        return Change(KEEP_DELETED, old) if theirs != base or old != new else None
    moved_from = old if old != new else None
    if moved_from and new in yours:
        raise UsageError(
            f"cannot update: the template moves {old} to {new}, and the project already has"
            f" a file at {new}; move that file away, commit, and run the update again"
        )
    if mine == base or mine == theirs:
        if theirs == mine and not moved_from:
            return None
        action = UPDATE if theirs != base else MOVE
        return Change(action, new, theirs if mine == base else mine, moved_from)
    if theirs == base:
        return Change(MOVE, new, mine, moved_from) if moved_from else None
    return _merged(new, base, mine, theirs, label, moved_from)


def _merged(path, base, mine, theirs, label, moved_from) -> Change:
    try:
        texts = [content.decode("utf-8") for content in (base, mine, theirs)]
    except UnicodeDecodeError:
        # No markers fit a binary file: the project's stays, the template's is in its source.
        return Change(KEEP_YOURS, moved_from or path, note=f"binary, changed in both; {label}")
    merged, conflicted = merge_text(*texts, label=label)
    return Change(CONFLICT if conflicted else MERGE, path, merged.encode("utf-8"), moved_from)


def merge_text(base: str, yours: str, theirs: str, label: str) -> tuple[str, bool]:
    """Merge two edits of `base`; lines changed in both get git-style conflict markers."""
    # A last line without a newline would run into a marker: merge with one, then drop it
    # again when neither side had it.
    open_ended = not yours.endswith("\n") and not theirs.endswith("\n")
    merger = merge3.Merge3(*(_lines(text) for text in (base, yours, theirs)))
    conflicted = any(group[0] == "conflict" for group in merger.merge_groups())
    merged = "".join(merger.merge_lines(name_a="yours", name_b=label))
    if open_ended and not conflicted:
        merged = merged.removesuffix("\n")
    return merged, conflicted


def _lines(text: str) -> list[str]:
    return (text if not text or text.endswith("\n") else text + "\n").splitlines(keepends=True)
