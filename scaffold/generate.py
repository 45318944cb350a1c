"""`scaffold new`: render a template into a new project, all or nothing."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from scaffold import __version__
from scaffold.errors import BadSetting, GenerationFailed, TargetExists, UnsafePath, UsageError
from scaffold.files import file_digest
from scaffold.journal import FileWrite, change_files, open_project, staging_folder
from scaffold.provenance import PROVENANCE_FILE, Provenance, write_provenance
from scaffold.rendering import (
    BUNDLED,
    build_answers,
    importable,
    open_template,
    project_files,
    public_answers,
    render,
    run_post_hook,
)


@dataclass(frozen=True)
class Generated:
    """What `new_project` did (or, in a dry run, would do)."""

    project_dir: Path
    files: list[str]
    answers: dict[str, object]
    next_steps: list[str]
    dry_run: bool


def parse_settings(pairs: list[str]) -> dict[str, str]:
    """Turn ["key=value", ...] into a dict, refusing anything without a key."""
    settings = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise BadSetting(f"--set needs KEY=VALUE, got {pair!r}")
        settings[key.strip()] = value
    return settings


def new_project(
    name: str | None,
    *,
    output_dir: Path | str = ".",
    template: str | None = None,
    checkout: str | None = None,
    settings: Mapping[str, str] | None = None,
    no_input: bool = True,
    dry_run: bool = False,
    force: bool = False,
    hooks: bool = True,
) -> Generated:
    """Generate a project from `template` into `output_dir/<slug>`.

    The project is rendered into a temporary directory on the same filesystem and renamed into
    place, so a failure never leaves a half-made project. Every path the template renders is
    checked to stay inside the project first. The template's hooks run unless `hooks` is
    False; with `dry_run` nothing is written and no hook runs.
    """
    output_dir = Path(output_dir).resolve()
    if output_dir.exists() and not output_dir.is_dir():
        raise UsageError(f"--output-dir {output_dir} is a file, not a directory")
    hooks = hooks and not dry_run
    with open_template(template, checkout) as source, importable(source.directory):
        info = source.info
        context = build_answers(
            info,
            name,
            settings or {},
            no_input=no_input,
            extra_context={
                "_template": source.source,
                "_checkout": source.checkout,
                "_commit": source.commit,
                "_scaffold_version": __version__,
                "_output_dir": str(output_dir),
            },
            template_rules=source.source == BUNDLED,
        )
        answers = public_answers(context)
        provenance = Provenance(
            template_name=info.name,
            template_version=info.version,
            template_source=source.source,
            checkout=source.checkout,
            commit=source.commit,
            fingerprint=source.fingerprint,
            answers=answers,
            scaffold_version=__version__,
        )
        created_output_dir = False
        if not dry_run and not output_dir.exists():
            output_dir.mkdir(parents=True)
            created_output_dir = True
        staging_parent = Path(tempfile.gettempdir()) if dry_run else output_dir
        try:
            with staging_folder(staging_parent) as staging:
                rendered, _ = render(
                    source.directory, context, staging, hooks=hooks, post_hook=False
                )
                write_provenance(rendered, provenance)
                target = output_dir / rendered.name
                if (target.exists() or target.is_symlink()) and not force:
                    raise TargetExists(str(target))
                files = _files(rendered)
                if not dry_run:
                    created_target = _place(rendered, target)
            if not dry_run:
                try:
                    if hooks:
                        run_post_hook(source.directory, target, context)
                    provenance.generated = _digests(target, None if created_target else set(files))
                    write_provenance(target, provenance)
                except BaseException:
                    if created_target:
                        shutil.rmtree(target, ignore_errors=True)
                    raise
                if created_target:
                    files = _files(target)  # with what the post-generation hook changed
        except BaseException:
            if created_output_dir:
                shutil.rmtree(output_dir, ignore_errors=True)
            raise
    return Generated(
        project_dir=target,
        files=files,
        answers=answers,
        next_steps=list(context["cookiecutter"].get("__next_steps", [])),
        dry_run=dry_run,
    )


def _files(project: Path) -> list[str]:
    return sorted(
        path.relative_to(project).as_posix()
        for path in project.rglob("*")
        if path.is_file() and ".git" not in path.relative_to(project).parts
    )


def _digests(project: Path, only: set[str] | None) -> dict[str, str]:
    """The digest of each file the template made (of `only`, when given): the record that
    lets `scaffold check` list edits later without rendering."""
    return {
        relative: file_digest(path)
        for relative, path in project_files(project, project)
        if relative != PROVENANCE_FILE and (only is None or relative in only)
    }


def _place(rendered: Path, target: Path) -> bool:
    """Move a rendered project into place: one rename (then return True: the target is new),
    or, into an existing project, one all-or-nothing change that never follows a symbolic
    link found there."""
    if not target.exists() and not target.is_symlink():
        try:
            os.rename(rendered, target)
        except OSError as error:
            raise GenerationFailed(f"moving the project to {target} failed: {error}") from None
        return True
    if target.is_symlink() or not target.is_dir():
        raise UnsafePath(str(target), "--force generates into a real folder only, and this is not")
    writes = [
        FileWrite(path.relative_to(rendered).as_posix(), staged=path)
        for path in sorted(rendered.rglob("*"))
        if path.is_symlink() or not path.is_dir()
    ]
    with open_project(target):
        change_files(target, writes)
    return False


def is_interactive() -> bool:
    """True when prompts can be answered: stdin is a terminal."""
    return sys.stdin.isatty()
