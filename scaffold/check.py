"""`scaffold check`: is a project up to date with its template, and what was edited since?

check runs often (pre-commit, CI): for a project whose remote template has not moved it asks
git one question and reads the project, so what only rendering needs is imported there."""

from __future__ import annotations

import contextlib
import functools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from packaging.version import InvalidVersion, Version

from scaffold.errors import (
    ProvenanceError,
    TemplateVersionUnavailable,
    UnsafePath,
    UsageError,
)
from scaffold.files import file_digest, project_path, read_project_files, same_file_content
from scaffold.journal import reading_project
from scaffold.provenance import PENDING_FILE, PROVENANCE_FILE, Provenance, read_provenance
from scaffold.scratch import private_temp
from scaffold.sources import remote_head
from scaffold.user_config import UserConfig, load_user_config

# The opening or closing line of a conflict block: either one left means it is not resolved.
_CONFLICT_MARKER = re.compile(rb"^(<{7}|>{7})( |\r?$)", re.MULTILINE)


@dataclass
class Status:
    """How a project stands against its template; what `scaffold check` reports."""

    project_dir: Path
    template_name: str
    project_version: str
    latest_version: str
    outdated: bool
    newer_commit: str | None = None
    changed_content: bool = False  # a folder or zip template changed without a new version
    edited: list[str] | None = None
    deleted: list[str] | None = None
    conflicted: list[str] = field(default_factory=list)
    pending_version: str | None = None
    note: str = ""

    @property
    def exit_code(self) -> int:
        return 1 if self.outdated or self.conflicted or self.pending_version else 0

    @property
    def change(self) -> str | None:
        """What moved in the template: "version", "commit" (on the recorded branch or tag),
        "content" (a folder or zip template), or None."""
        if not self.outdated:
            return None
        if self.project_version != self.latest_version:
            return "version"
        return "content" if self.changed_content else "commit"

    @property
    def summary(self) -> str:
        if self.pending_version:
            return "update waiting"
        if self.outdated:
            return "outdated"
        return "conflicts" if self.conflicted else "up to date"

    def as_dict(self) -> dict[str, object]:
        return {
            "project": str(self.project_dir),
            "template": self.template_name,
            "project_version": self.project_version,
            "latest_version": self.latest_version,
            "newer_commit": self.newer_commit,
            # Any move of the template counts: a version, a commit, or a folder's content.
            "template_changed": self.outdated,
            "change": self.change,
            "status": self.summary,
            "edited": self.edited,
            "deleted": self.deleted,
            "conflicted": self.conflicted,
            "update_waiting_for": self.pending_version,
            "note": self.note,
        }


def check_project(
    project_dir: Path | str,
    template: str | None = None,
    checkout: str | None = None,
    *,
    directory: str | None = None,
    config_file: Path | str | None = None,
    default_config: bool = False,
) -> Status:
    """Compare a project with the newest version of its template (on the recorded branch or
    tag, or on `checkout`; in the recorded folder of its source, or in `directory`). The
    user's cookiecutter configuration is read as for `new` (abbreviations in `template`).

    Runs none of the template's hooks: check is a report, run in CI on changes nobody has
    reviewed yet, and the template's own files are what it compares.
    """
    project_dir = Path(project_dir).resolve()
    config = functools.cache(lambda: load_user_config(config_file, default_config))
    with private_temp(), reading_project(project_dir):
        return _check(project_dir, template, checkout, directory, config)


def _check(
    project_dir: Path,
    template: str | None,
    checkout: str | None,
    directory: str | None,
    config: Callable[[], UserConfig],
) -> Status:
    """The status; `config` reads the user's cookiecutter config, when a template is fetched."""
    provenance = read_provenance(project_dir)
    if template is None and directory is None and _remote_unmoved(provenance, checkout):
        status = Status(
            project_dir=project_dir,
            template_name=provenance.template_name,
            project_version=provenance.template_version,
            latest_version=provenance.template_version,
            outdated=False,
        )
    else:
        status = _against_current(project_dir, provenance, template, checkout, directory, config)
    if (project_dir / PENDING_FILE).exists():
        pending = read_provenance(project_dir, PENDING_FILE)
        status.pending_version = pending.template_version
        waiting = read_project_files(project_dir, pending_conflicts(pending))
        status.conflicted = sorted(p for p, text in waiting.items() if has_conflict_markers(text))
    if provenance.generated is not None:
        _compare_digests(project_dir, provenance.generated, status)
        return status
    from scaffold.versions import recorded_render

    try:
        with recorded_render(provenance, template, config()) as base:
            _compare(project_dir, base, status)
    except TemplateVersionUnavailable as error:
        status.note = f"cannot tell which files were edited: {error}"
    return status


def _remote_unmoved(provenance: Provenance, checkout: str | None) -> bool:
    """True when the project's template is a remote git repository whose branch or tag still
    points at the recorded commit: then it is up to date without cloning (what cruft clones
    for). A recorded source is already expanded (abbreviations) and a local one is recorded
    as its absolute path, whose working tree may differ from its commit: that one is read."""
    source = provenance.template_source
    if not provenance.commit or source.startswith(("hg+", "https://hg")):
        return False
    if Path(source).expanduser().exists():
        return False
    return remote_head(source.removeprefix("git+"), checkout or provenance.checkout) == (
        provenance.commit
    )


def _against_current(project_dir, provenance, template, checkout, directory, config) -> Status:
    """The project's status against its template's newest version, fetched."""
    from scaffold.versions import open_current_template

    with open_current_template(provenance, template, checkout, directory, config()) as current:
        info = current.info
        outdated = is_outdated(provenance, info.version, current.commit, current.fingerprint)
        return Status(
            project_dir=project_dir,
            template_name=provenance.template_name,
            project_version=provenance.template_version,
            latest_version=info.version,
            outdated=outdated,
            newer_commit=current.commit if outdated and current.commit else None,
            changed_content=bool(
                outdated and current.fingerprint and info.version == provenance.template_version
            ),
        )


def _compare_digests(project_dir: Path, generated: dict[str, str], status: Status) -> None:
    """Compare the project with the digests recorded when the template wrote its files."""
    _compare_with(
        project_dir,
        {relative: partial(_has_digest, digest) for relative, digest in generated.items()},
        status,
    )


def _compare(project_dir: Path, base: Path, status: Status) -> None:
    """Compare the project with a rendering of the template, reading both in pieces."""
    from scaffold.rendering import project_files

    _compare_with(
        project_dir,
        {
            relative: partial(same_file_content, rendered)
            for relative, rendered in project_files(base, project_dir)
            if relative != PROVENANCE_FILE
        },
        status,
    )


def _compare_with(
    project_dir: Path, unchanged: dict[str, Callable[[Path], bool]], status: Status
) -> None:
    """List the template's files the project edited, deleted or left with conflict markers;
    `unchanged[path](file)` says whether the project's file is as the template wrote it."""
    status.edited, status.deleted = [], []
    marked = set(status.conflicted)
    for relative, is_unchanged in sorted(unchanged.items()):
        try:
            path = project_path(project_dir, relative)
        except UnsafePath:  # a link where the template wrote a file: read, never followed
            status.edited.append(relative)
            continue
        if not path.is_file():
            status.deleted.append(relative)
        elif not is_unchanged(path):
            status.edited.append(relative)
            if _has_marker_lines(path):
                marked.add(relative)
    status.conflicted = sorted(marked)


def _has_digest(digest: str, path: Path) -> bool:
    return file_digest(path) == digest


def has_conflict_markers(content: bytes) -> bool:
    """True when a file still holds an unresolved conflict from a merge."""
    return bool(_CONFLICT_MARKER.search(content))


def _has_marker_lines(path: Path) -> bool:
    """`has_conflict_markers` for a file of any size: reads it in pieces of at most 64 KiB
    (a binary file may have no line breaks at all) and looks at the start of each line."""
    at_line_start = True
    with open(path, "rb") as handle:
        while piece := handle.readline(65536):
            if at_line_start and has_conflict_markers(piece):
                return True
            at_line_start = piece.endswith(b"\n")
    return False


def is_outdated(
    provenance: Provenance,
    latest: str,
    latest_commit: str | None,
    latest_fingerprint: str | None = None,
) -> bool:
    """True when the template moved on (a version, a commit, or for a folder or zip template
    its content); an error when the project is newer than the template."""
    recorded = provenance.template_version
    if _newer(recorded, latest):
        raise UsageError(
            f"the project was made with {provenance.template_name} {recorded}, newer than"
            f" the template's {latest}; upgrade luisy-scaffold or pass --template"
        )
    if recorded != latest:
        return True
    if provenance.commit and latest_commit:
        return provenance.commit != latest_commit
    return bool(
        provenance.fingerprint
        and latest_fingerprint
        and provenance.fingerprint != latest_fingerprint
    )


def _newer(version: str, than: str) -> bool:
    with contextlib.suppress(InvalidVersion):
        return Version(version) > Version(than)
    return False


def pending_conflicts(pending: Provenance) -> list[str]:
    """The files a waiting update left conflicts in, as its pending provenance lists them."""
    conflicts = pending.extra.get("conflicts", [])
    if not isinstance(conflicts, list) or not all(isinstance(p, str) for p in conflicts):
        raise ProvenanceError(
            f"{PENDING_FILE} has no list of conflicted files; delete it and run the update again"
        )
    return conflicts
