"""`scaffold check` and `scaffold update`: compare a project with its template, then merge."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from packaging.version import InvalidVersion, Version

from scaffold import __version__
from scaffold.errors import (
    DirtyWorkTree,
    GenerationFailed,
    TemplateVersionUnavailable,
    UsageError,
)
from scaffold.files import project_path, temporary_beside
from scaffold.git import uncommitted_changes
from scaffold.merge import CONFLICT, REMOVE, WRITES, Change, Rendering, plan_update
from scaffold.provenance import PROVENANCE_FILE, Provenance, read_provenance, write_provenance
from scaffold.rendering import (
    build_answers,
    importable,
    public_answers,
    render,
    rendered_paths,
)
from scaffold.templates import read_template_info
from scaffold.versions import open_current_template, open_recorded_template

_CONFLICT_START = re.compile(rb"^<{7} ", re.MULTILINE)
_CONFLICT_END = re.compile(rb"^>{7} ", re.MULTILINE)


@dataclass
class Status:
    """How a project stands against its template; what `scaffold check` reports."""

    project_dir: Path
    template_name: str
    project_version: str
    latest_version: str
    outdated: bool
    edited: list[str] | None = None
    deleted: list[str] | None = None
    conflicted: list[str] = field(default_factory=list)
    note: str = ""

    @property
    def exit_code(self) -> int:
        return 1 if self.outdated or self.conflicted else 0

    def as_dict(self) -> dict[str, object]:
        return {
            "project": str(self.project_dir),
            "template": self.template_name,
            "project_version": self.project_version,
            "latest_version": self.latest_version,
            "status": "outdated" if self.outdated else "up to date",
            "edited": self.edited,
            "deleted": self.deleted,
            "conflicted": self.conflicted,
            "note": self.note,
        }


@dataclass
class Updated:
    """What `update_project` did (or, in a dry run, would do)."""

    project_dir: Path
    from_version: str
    to_version: str
    changes: list[Change]
    dry_run: bool
    diffs: dict[str, tuple[bytes, bytes]] = field(default_factory=dict)

    @property
    def conflicts(self) -> list[Change]:
        return [change for change in self.changes if change.action == CONFLICT]


def check_project(project_dir: Path | str, template: str | None = None) -> Status:
    """Compare a project with the newest version of its template."""
    project_dir = Path(project_dir).resolve()
    provenance = read_provenance(project_dir)
    with open_current_template(provenance, template) as current:
        info = read_template_info(current.directory)
        status = Status(
            project_dir=project_dir,
            template_name=provenance.template_name,
            project_version=provenance.template_version,
            latest_version=info.version,
            outdated=_is_outdated(provenance, info.version, current.commit),
        )
    try:
        with open_recorded_template(provenance) as old_dir:
            base, _ = render_files(old_dir, provenance.answers)
    except TemplateVersionUnavailable as error:
        status.note = f"cannot tell which files were edited: {error}"
        return status
    yours = read_project_files(project_dir, base.files)
    status.edited = sorted(p for p, content in yours.items() if content != base.files[p])
    status.deleted = sorted(set(base.files) - set(yours))
    status.conflicted = sorted(p for p, content in yours.items() if has_conflict_markers(content))
    return status


def update_project(
    project_dir: Path | str,
    settings: Mapping[str, str] | None = None,
    *,
    template: str | None = None,
    checkout: str | None = None,
    dry_run: bool = False,
) -> Updated:
    """Merge the newest template into the project; see scaffold.merge for the rules.

    Nothing is written when anything fails before the files are replaced; the provenance file
    is rewritten last, after every file of the update is in place.
    """
    project_dir = Path(project_dir).resolve()
    provenance = read_provenance(project_dir)
    if not dry_run:
        _refuse_uncommitted_changes(project_dir)
    with (
        open_recorded_template(provenance) as old_dir,
        open_current_template(provenance, template, checkout) as current,
    ):
        info = read_template_info(current.directory)
        _is_outdated(provenance, info.version, current.commit)  # refuses a downgrade
        base, _ = render_files(old_dir, provenance.answers)
        theirs, context = render_files(current.directory, provenance.answers, settings or {})
    yours = read_project_files(project_dir, {**base.files, **theirs.files})
    changes = plan_update(base, theirs, yours, label=f"template {info.name} {info.version}")
    result = Updated(project_dir, provenance.template_version, info.version, changes, dry_run)
    if dry_run:
        result.diffs = {
            change.path: (yours.get(change.old_path or change.path, b""), change.content or b"")
            for change in changes
            if change.content is not None
        }
        return result
    apply_changes(project_dir, changes)
    write_provenance(
        project_dir,
        Provenance(
            template_name=info.name,
            template_version=info.version,
            template_source=current.source,
            answers=public_answers(context),
            scaffold_version=__version__,
            checkout=current.checkout,
            commit=current.commit,
        ),
    )
    return result


def render_files(
    template_dir: Path,
    answers: Mapping[str, object],
    settings: Mapping[str, str] = (),
) -> tuple[Rendering, dict]:
    """Render a template with recorded answers (and --set changes) into memory; return the
    rendering and the cookiecutter context it used."""
    info = read_template_info(template_dir)
    with importable(template_dir), tempfile.TemporaryDirectory(prefix="scaffold-") as staging:
        context = build_answers(info, None, dict(settings), no_input=True, recorded=answers)
        project = render(template_dir, context, Path(staging))
        files = {
            path.relative_to(project).as_posix(): path.read_bytes()
            for path in project.rglob("*")
            if path.is_file()
        }
        paths = rendered_paths(template_dir, context)
    files.pop(PROVENANCE_FILE, None)
    return Rendering(files, paths), context


def read_project_files(project_dir: Path, paths: Iterable[str]) -> dict[str, bytes]:
    """The project's content at each of `paths` that is a file."""
    contents = {}
    for relative in paths:
        path = project_path(project_dir, relative)
        if path.is_file():
            contents[relative] = path.read_bytes()
    return contents


def has_conflict_markers(content: bytes) -> bool:
    """True when a file still holds an unresolved conflict from a merge."""
    return bool(_CONFLICT_START.search(content) and _CONFLICT_END.search(content))


def apply_changes(project_dir: Path, changes: list[Change]) -> None:
    """Write every change: first all new contents beside their targets, then the renames."""
    staged: list[tuple[Path, Path]] = []
    try:
        for change in changes:
            if change.action not in WRITES or change.content is None:
                continue
            target = project_path(project_dir, change.path)
            target.parent.mkdir(parents=True, exist_ok=True)
            temporary = temporary_beside(target)
            staged.append((temporary, target))
            temporary.write_bytes(change.content)
            previous = project_path(project_dir, change.old_path or change.path)
            if previous.exists():
                shutil.copymode(previous, temporary)
    except OSError as error:
        for temporary, _ in staged:
            temporary.unlink(missing_ok=True)
        raise GenerationFailed(f"writing the update failed, nothing changed: {error}") from None
    for temporary, target in staged:
        os.replace(temporary, target)
    for change in changes:
        gone = change.path if change.action == REMOVE else change.old_path
        if gone and change.action != CONFLICT:
            project_path(project_dir, gone).unlink(missing_ok=True)
            _remove_empty_parents(project_dir, project_path(project_dir, gone).parent)


def _remove_empty_parents(project_dir: Path, folder: Path) -> None:
    while folder != project_dir and folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()
        folder = folder.parent


def _refuse_uncommitted_changes(project_dir: Path) -> None:
    changed = uncommitted_changes(project_dir)
    if changed:
        shown = ", ".join(changed[:3]) + (
            f" and {len(changed) - 3} more" if len(changed) > 3 else ""
        )
        raise DirtyWorkTree(
            f"{project_dir} has uncommitted changes ({shown}); commit or stash them first, so"
            " that the update's own changes can be reviewed and undone with git"
        )


def _is_outdated(provenance: Provenance, latest: str, latest_commit: str | None) -> bool:
    """True when the template moved on; an error when the project is newer than the template."""
    recorded = provenance.template_version
    if _newer(recorded, latest):
        raise UsageError(
            f"the project was made with {provenance.template_name} {recorded}, newer than"
            f" the template's {latest}; upgrade luisy-scaffold or pass --template"
        )
    if recorded != latest:
        return True
    return bool(provenance.commit and latest_commit and provenance.commit != latest_commit)


def _newer(version: str, than: str) -> bool:
    with contextlib.suppress(InvalidVersion):
        return Version(version) > Version(than)
    return False
