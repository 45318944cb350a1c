"""`scaffold update`: merge the newest template into a project, file by file, three ways."""

from __future__ import annotations

import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from scaffold import __version__
from scaffold.answers import public_answers
from scaffold.check import has_conflict_markers, is_outdated, pending_conflicts
from scaffold.errors import (
    DirtyWorkTree,
    UnresolvedConflicts,
    UsageError,
)
from scaffold.files import content_digest, project_path, read_project_files
from scaffold.git import uncommitted_changes
from scaffold.journal import FileWrite, change_files, open_project, reading_project
from scaffold.library import without_library
from scaffold.merge import (
    CONFLICT,
    LEFT_BEHIND,
    REMOVE,
    WRITES,
    Change,
    Rendering,
    plan_update,
)
from scaffold.provenance import (
    PENDING_FILE,
    PROVENANCE_FILE,
    Provenance,
    read_provenance,
)
from scaffold.rehash import recompute_reasons, uses_luisy
from scaffold.rendering import render_files
from scaffold.scratch import private_temp
from scaffold.sources import BUNDLED
from scaffold.templates import UNVERSIONED
from scaffold.user_config import load_user_config
from scaffold.versions import open_current_template, open_recorded_template


@dataclass
class Updated:
    """What `update_project` did (or, in a dry run, would do)."""

    project_dir: Path
    from_version: str
    to_version: str
    changes: list[Change]
    dry_run: bool
    diffs: dict[str, tuple[bytes, bytes]] = field(default_factory=dict)
    # What makes the next luisy run recompute (see rehash.py); None for other projects.
    recompute: list[str] | None = None

    @property
    def conflicts(self) -> list[Change]:
        return [change for change in self.changes if change.action == CONFLICT]


def update_project(
    project_dir: Path | str,
    settings: Mapping[str, str] | None = None,
    *,
    template: str | None = None,
    checkout: str | None = None,
    dry_run: bool = False,
    hooks: bool = True,
    directory: str | None = None,
    config_file: Path | str | None = None,
    default_config: bool = False,
) -> Updated:
    """Merge the newest template into the project; see scaffold.merge for the rules.

    The files and the provenance change all or nothing (scaffold.journal). Without conflicts
    the provenance file changes with them; with conflicts the new provenance waits in
    PENDING_FILE until `finish_update` finds them resolved. Both versions of the template are
    rendered with their hooks, as generation made the project, unless `hooks` is False.
    The new version is read from the recorded folder of the source, or from `directory`;
    the user's cookiecutter configuration is read as for `new` (its `default_context` gives
    what a variable new in this version defaults to).
    """
    project_dir = Path(project_dir).resolve()
    config = load_user_config(config_file, default_config)
    where = (template, checkout, directory, config)
    with private_temp(), (reading_project if dry_run else open_project)(project_dir):
        return _update(project_dir, settings, where, dry_run, hooks)


def _update(project_dir, settings, where, dry_run, hooks) -> Updated:
    template, checkout, directory, config = where
    provenance = read_provenance(project_dir)
    _refuse_pending_update(project_dir)
    if not dry_run:
        _refuse_uncommitted_changes(project_dir)
    with (
        open_recorded_template(provenance, template, config) as old_dir,
        open_current_template(provenance, template, checkout, directory, config) as current,
    ):
        info = current.info
        is_outdated(provenance, info.version, current.commit)  # refuses a downgrade
        rules = provenance.template_source == BUNDLED
        base, _ = render_files(
            old_dir, provenance.answers, hooks=hooks, template_rules=rules, project_dir=project_dir
        )
        theirs, context = render_files(
            current.directory,
            without_library(provenance.answers),  # the new version's library, as installed now
            settings or {},
            hooks=hooks,
            template_rules=rules,
            project_dir=project_dir,
            default_context=config.default_context,
        )
    yours = read_project_files(project_dir, {**base.files, **theirs.files})
    changes = plan_update(base, theirs, yours, label=f"template {info.name} {info.version}")
    changes += _left_behind(project_dir, changes, base, theirs)
    _refuse_blocked_paths(project_dir, changes)
    result = Updated(
        project_dir,
        _version_label(provenance.template_version, provenance.commit),
        _version_label(info.version, current.commit),
        changes,
        dry_run,
    )
    if uses_luisy(yours) or uses_luisy(theirs.files):
        result.recompute = recompute_reasons(yours, changes)
    if dry_run:
        result.diffs = {
            change.path: (yours.get(change.old_path or change.path, b""), change.content)
            for change in changes
            if change.content is not None
        }
        return result
    updated = Provenance(
        template_name=info.name,
        template_version=info.version,
        template_source=_recorded_source(provenance, current.source),
        answers=public_answers(context),
        scaffold_version=__version__,
        checkout=current.checkout,
        commit=current.commit,
        fingerprint=current.fingerprint,
        directory=current.subdirectory,
        generated={path: content_digest(content) for path, content in theirs.files.items()},
        extra=provenance.extra,
    )
    filename = PROVENANCE_FILE
    if result.conflicts:
        conflicts = [change.path for change in result.conflicts]
        updated.extra = {**updated.extra, "conflicts": conflicts}
        filename = PENDING_FILE
    provenance_write = FileWrite(filename, updated.to_json().encode("utf-8"))
    apply_changes(project_dir, changes, provenance_write, base, theirs)
    return result


def _version_label(version: str, commit: str | None) -> str:
    """A version as the user reads it: an unversioned template's commit tells them apart."""
    return f"{version} ({commit[:12]})" if version == UNVERSIONED and commit else version


def _recorded_source(provenance: Provenance, used: str) -> str:
    """--template says where to read the template this time; the project keeps naming its own
    template, unless it leaves the bundled template for another."""
    return used if provenance.template_source == BUNDLED else provenance.template_source


def finish_update(project_dir: Path | str) -> Provenance:
    """Record an update whose conflicts are resolved: no markers left in its files."""
    project_dir = Path(project_dir).resolve()
    with open_project(project_dir):
        pending = _resolved_update(project_dir)
        change_files(
            project_dir,
            [FileWrite(PROVENANCE_FILE, pending.to_json().encode("utf-8"))],
            removals=[PENDING_FILE],
        )
    return pending


def _resolved_update(project_dir: Path) -> Provenance:
    """The provenance a waiting update records, once its conflicts are resolved."""
    if not (project_dir / PENDING_FILE).exists():
        read_provenance(project_dir)  # says so when it is not a scaffold project at all
        raise UsageError(f"no update of {project_dir} is waiting to be finished")
    pending = read_provenance(project_dir, PENDING_FILE)
    conflicts = pending_conflicts(pending)
    # Only markers block: a file back as it was before the update is the user's side kept,
    # which is a resolution (refusing it would bring the same conflict back on every update).
    files = read_project_files(project_dir, conflicts)
    left = [path for path in conflicts if has_conflict_markers(files.get(path, b""))]
    if left:
        raise UnresolvedConflicts(
            f"conflict markers are left in {', '.join(left)}; resolve them, then run"
            " `scaffold update --continue` again"
        )
    pending.extra = {
        key: value
        for key, value in pending.extra.items()
        if key not in ("conflicts", "before_update")  # the latter: older scaffolds
    }
    return pending


def apply_changes(
    project_dir: Path,
    changes: list[Change],
    provenance: FileWrite,
    base: Rendering,
    theirs: Rendering,
) -> None:
    """Write every change and the new provenance, all or nothing."""
    writes = [
        FileWrite(change.path, change.content, mode=_mode(project_dir, change, base, theirs))
        for change in changes
        if change.action in WRITES
    ]
    removals = [
        gone
        for change in changes
        if (gone := change.path if change.action == REMOVE else change.old_path)
    ]
    change_files(project_dir, [*writes, provenance], removals)


def _mode(project_dir: Path, change: Change, base: Rendering, theirs: Rendering) -> int | None:
    """A written file's permission bits: the template's, unless the user changed the file's
    (then the user's stay), three ways like its content."""
    source = change.old_path or change.path
    path = project_path(project_dir, source)
    if not path.is_file():
        return theirs.modes.get(change.path)
    current = stat.S_IMODE(path.stat().st_mode)
    if current != base.modes.get(source, current):
        return current
    return theirs.modes.get(change.path, current)


def _left_behind(
    project_dir: Path, changes: list[Change], base: Rendering, theirs: Rendering
) -> list[Change]:
    """The project's own files in folders whose template files all moved elsewhere."""
    moved_from = {Path(c.old_path).parent for c in changes if c.old_path}
    still_used = {Path(path).parent for path in theirs.files}
    left = []
    for folder in sorted(moved_from - still_used - {Path(".")}):
        for path in sorted(project_path(project_dir, str(folder)).rglob("*")):
            relative = path.relative_to(project_dir).as_posix()
            if path.is_file() and "__pycache__" not in path.parts and relative not in base.files:
                left.append(Change(LEFT_BEHIND, relative, note="the template moved this folder"))
    return left


def _refuse_blocked_paths(project_dir: Path, changes: list[Change]) -> None:
    """Refuse, before writing anything, a file to write where the project has a folder."""
    for change in changes:
        if change.action not in WRITES:
            continue
        target = project_path(project_dir, change.path)
        for path in (target, *target.parents):
            if path == project_dir:
                break
            if (path.is_dir() and path == target) or (path.is_file() and path != target):
                raise UsageError(
                    f"cannot update: the template writes {change.path}, but the project has"
                    f" a {'folder' if path.is_dir() else 'file'} at"
                    f" {path.relative_to(project_dir).as_posix()}; move it away, commit, and"
                    " run the update again"
                )


def _refuse_pending_update(project_dir: Path) -> None:
    if (project_dir / PENDING_FILE).exists():
        pending = read_provenance(project_dir, PENDING_FILE)
        raise UsageError(
            f"the update to {pending.template_name} {pending.template_version} is waiting for"
            " its conflicts to be resolved: resolve them, then run `scaffold update --continue`"
            f" (or undo it with git, including {PENDING_FILE})"
        )


def _refuse_uncommitted_changes(project_dir: Path) -> None:
    changed = uncommitted_changes(project_dir)
    if changed:
        more = f" and {len(changed) - 3} more" if len(changed) > 3 else ""
        raise DirtyWorkTree(
            f"{project_dir} has uncommitted changes ({', '.join(changed[:3])}{more}); commit"
            " or stash them first, so that the update's own changes can be reviewed and undone"
            " with git"
        )
