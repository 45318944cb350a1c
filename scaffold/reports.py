"""What `check` and `update` print: a result as lines of text, for one project or a fleet."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported by every command: a report must not load what it reports on
    from scaffold.add_task import AddedTask
    from scaffold.check import Status
    from scaffold.generate import Generated
    from scaffold.link import Linked
    from scaffold.templates import TemplateInfo
    from scaffold.update import Updated


def created_lines(result: Generated) -> list[str]:
    """What `new` wrote (or would, in a dry run), where the library comes from, and what next."""
    if result.dry_run:
        return [
            f"Would write {len(result.files)} files into {result.project_dir}:",
            *(f"  {path}" for path in result.files),
        ]
    from scaffold import library

    lines = [f"Created {result.project_dir}", *([result.repository] if result.repository else [])]
    requirement = result.answers.get(library.VARIABLE)
    if requirement and library.installed_from_folder():
        lines.append(
            f"Note: the project depends on {requirement}, which this environment has from a"
            " folder; on another machine install luisy-scaffold from the same source first"
            " (its README says how)"
        )
    if result.next_steps:
        lines += ["Next:", f"  cd {result.project_dir}", *(f"  {s}" for s in result.next_steps)]
    return lines


def template_lines(infos: list[TemplateInfo]) -> list[str]:
    """Each template's name, version, description and variables with their defaults."""
    from scaffold.answers import default_answers

    lines = []
    for info in infos:
        kind = info.path.name  # a bundled template's folder is its short name
        lines.append(f"{info.name} (version {info.version}): scaffold new NAME --template {kind}")
        if info.description:
            lines.append(f"  {info.description}")
        for key, default in default_answers(info).items():
            derived = "  (follows the answers above)" if "{{" in str(info.variables[key]) else ""
            lines.append(f"  {key} = {default!r}{derived}")
    return lines


def linked_line(linked: Linked) -> str:
    """What `link` recorded, and what to do next."""
    recorded = linked.provenance
    at = f" at {recorded.commit[:12]}" if recorded.commit else ""
    return (
        f"Linked {linked.project_dir} to {recorded.template_name} {recorded.template_version}"
        f"{at} (answers from {linked.answers_from}); commit .scaffold.json, and `scaffold"
        " check` lists your edits"
    )


def added_task_lines(added: AddedTask) -> list[str]:
    """The task `add task` added, what it reads, the files it touched, and what next."""
    reads = f"{added.input}, {added.input_reason} (another: --input TASK)"
    return [
        f"Added {added.name} ({added.layer}) to {added.project_dir}:",
        f"  reads    {reads if added.input_reason else added.input}",
        *(f"  extended {relative}" for relative in added.extended),
        *(f"  created  {relative}" for relative in added.created),
        f"Put its per-file work in {added.name}.transform, then run it (the project's README"
        " says how).",
    ]


def status_headline(status: Status, name: str | None = None) -> str:
    """One line: the project (`name`, else its folder's), its template version, and whether
    it is up to date."""
    name = name or status.project_dir.name
    name = f"{name}: made with {status.template_name} {status.project_version}"
    if status.pending_version:
        return (
            f"{name}; the update to {status.pending_version} waits for its conflicts to be"
            " resolved (then run `scaffold update --continue`)"
        )
    if status.project_version != status.latest_version:
        return f"{name}; {status.latest_version} is available (run `scaffold update`)"
    if status.changed_content:
        return f"{name}; the template's files changed since (it has no new version)"
    if status.outdated:
        return f"{name}; commit {status.newer_commit[:12]} is newer (run `scaffold update`)"
    return f"{name}; up to date"


def status_details(status: Status) -> list[str]:
    """The files edited, deleted or still conflicted since generation, and any note."""
    lines = listing("Edited since generation", status.edited)
    lines += listing("Deleted since generation", status.deleted)
    lines += listing("Conflict markers left (resolve them, then commit)", status.conflicted)
    if status.note:
        lines.append(f"Note: {status.note}")
    return lines


def update_lines(result: Updated, dry_run: bool, name: str | None = None) -> list[str]:
    """Each file's fate, the diffs of a dry run, and what luisy recomputes next; the project
    is called `name`, else by its folder's name."""
    name = name or result.project_dir.name
    versions = f"{result.from_version} to {result.to_version}"
    if not result.changes:
        return [f"{name}: nothing to change ({versions})"]
    verb = "Would update" if dry_run else "Updated"
    lines = [f"{verb} {name} from {versions}:"]
    for change in result.changes:
        moved = f" (from {change.old_path})" if change.old_path else ""
        note = f": {change.note}" if change.note else ""
        lines.append(f"  {change.action:<12} {change.path}{moved}{note}")
    if dry_run:
        from scaffold.diff import content_diff

        diffs = (content_diff(path, *texts).rstrip("\n") for path, texts in result.diffs.items())
        lines += [diff for diff in diffs if diff]
    return lines + recompute_lines(result, dry_run)


def conflict_lines(result: Updated, dry_run: bool) -> list[str]:
    """What to do about the files an update left with conflict markers."""
    if not result.conflicts:
        return []
    return [
        f"{'Would leave' if dry_run else 'Left'} conflict markers in"
        f" {len(result.conflicts)} file(s); edit the <<<<<<< ======= >>>>>>> blocks,"
        " then run `scaffold update --continue`:",
        *(f"  {change.path}" for change in result.conflicts),
    ]


def recompute_lines(result: Updated, dry_run: bool) -> list[str]:
    """For a luisy project: whether its next run recomputes after this update, and why."""
    if result.recompute is None:
        return []
    after = "After this update, the" if dry_run else "The"
    if not result.recompute:
        return [f"{after} next run recomputes nothing: no code or requirement luisy hashes changed"]
    shown = result.recompute[:3]
    if len(result.recompute) > 3:
        shown.append(f"{len(result.recompute) - 3} more file(s)")
    lines = [
        f"{after} next run recomputes the tasks that use what changed: luisy hashes a task's"
        f" code and the project's requirements, and this update changes {', '.join(shown)}"
    ]
    if any(reason.startswith("the dependencies") for reason in result.recompute):
        lines.append(
            "The dependencies changed: install the project again (`python -m pip install -e .`"
            " in its environment) before its next run"
        )
    return lines


def listing(title: str, paths: list[str] | None) -> list[str]:
    """A titled, counted list of paths; nothing for none."""
    return [f"{title} ({len(paths)}):", *(f"  {path}" for path in paths)] if paths else []


def fleet_name(root: Path, project_dir: Path) -> str:
    """A project of a fleet as the user finds it: its path relative to the root given."""
    relative = project_dir.relative_to(root.resolve()).as_posix()
    return relative if relative != "." else project_dir.name


def fleet_summary(counts: dict[str, int]) -> str:
    """'3 projects: 1 up to date, 1 behind its template, 1 error', leaving out zero counts."""
    total = sum(counts.values())
    parts = [f"{count} {what}" for what, count in counts.items() if count]
    return f"{total} project{'s' if total != 1 else ''}: {', '.join(parts)}"


def fleet_exit_code(codes: list[int]) -> int:
    """2 when any project had an error, else 1 when any is behind or waits for the user."""
    return 2 if 2 in codes else (1 if 1 in codes else 0)
