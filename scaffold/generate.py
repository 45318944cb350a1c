"""`scaffold new`: render a template into a new project, all or nothing."""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from scaffold import __version__
from scaffold.answers import build_answers, public_answers
from scaffold.errors import BadSetting, GenerationFailed, TargetExists, UnsafePath, UsageError
from scaffold.files import file_digest
from scaffold.git import (
    GIT_MISSING,
    GitFailed,
    changed_paths,
    commit_paths,
    start_repository,
    work_tree_root,
)
from scaffold.hooks import importable, run_post_hook
from scaffold.journal import FileWrite, change_files, open_project
from scaffold.locks import staging_folder
from scaffold.provenance import PROVENANCE_FILE, Provenance, write_provenance
from scaffold.rendering import project_files, render
from scaffold.sources import BUNDLED, nested_directory, one_fetch_per_template, open_template
from scaffold.user_config import load_user_config


@dataclass(frozen=True)
class Generated:
    """What `new_project` did (or, in a dry run, would do)."""

    project_dir: Path
    files: list[str]
    answers: dict[str, object]
    next_steps: list[str]
    dry_run: bool
    repository: str | None = None  # what scaffold did about git, for the user to read


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
    directory: str | None = None,
    settings: Mapping[str, str] | None = None,
    no_input: bool = True,
    dry_run: bool = False,
    force: bool = False,
    hooks: bool = True,
    git: bool = True,
    config_file: Path | str | None = None,
    default_config: bool = False,
) -> Generated:
    """Generate a project from `template` into `output_dir/<slug>`.

    The project is rendered into a temporary directory on the same filesystem and renamed into
    place, so a failure never leaves a half-made project. Every path the template renders is
    checked to stay inside the project first. The template's hooks run unless `hooks` is
    False; with `dry_run` nothing is written and no hook runs. With `git`, a new project
    outside any git work tree starts its own repository with a first commit.

    The user's cookiecutter configuration (`config_file`, else as cookiecutter finds it; none
    with `default_config`) gives defaults (`default_context`) and abbreviations of `template`;
    `directory` is the template's folder inside its source.
    """
    output_dir = Path(output_dir).resolve()
    repository = None
    if output_dir.exists() and not output_dir.is_dir():
        raise UsageError(f"--output-dir {output_dir} is a file, not a directory")
    hooks = hooks and not dry_run
    config = load_user_config(config_file, default_config)
    settings = dict(settings or {})
    with (
        one_fetch_per_template(),
        open_template(
            template,
            checkout,
            nested_directory(template, checkout, directory, config, settings, no_input),
            config,
        ) as source,
        importable(source.directory),
    ):
        info = source.info
        context = build_answers(
            info,
            name,
            settings,
            no_input=no_input,
            extra_context={
                "_template": source.source,
                "_checkout": source.checkout,
                "_commit": source.commit,
                "_scaffold_version": __version__,
                "_output_dir": str(output_dir),
            },
            template_rules=source.source == BUNDLED,
            default_context=config.default_context,
        )
        answers = public_answers(context)
        provenance = Provenance(
            template_name=info.name,
            template_version=info.version,
            template_source=source.source,
            checkout=source.checkout,
            commit=source.commit,
            fingerprint=source.fingerprint,
            directory=source.subdirectory,
            answers=answers,
            scaffold_version=__version__,
        )
        created_output_dir = False
        if not dry_run and not output_dir.exists():
            output_dir.mkdir(parents=True)
            created_output_dir = True
        try:
            with _staging(output_dir, dry_run) as staging:
                rendered, _ = render(
                    source.directory, context, staging, hooks=hooks, post_hook=False
                )
                write_provenance(rendered, provenance)
                target = output_dir / rendered.name
                files = _files(rendered)
                if target.exists() or target.is_symlink():
                    if not force:
                        raise TargetExists(str(target))
                    if not dry_run:
                        _place_into_existing(rendered, target, source.directory, context, hooks)
                        with open_project(target):  # its provenance, as the others, locked
                            _record_digests(target, provenance, set(files))
                elif not dry_run:
                    _record_digests(rendered, provenance, None)  # complete before it is seen
                    _move(rendered, target)
                    try:
                        if hooks:
                            run_post_hook(source.directory, target, context)
                        _record_digests(target, provenance, None)  # and what the hook did
                        if git:
                            repository = _own_repository(target, info.name, info.version, answers)
                    except BaseException:
                        shutil.rmtree(target, ignore_errors=True)
                        raise
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
        repository=repository,
    )


@contextlib.contextmanager
def _staging(output_dir: Path, dry_run: bool) -> Iterator[Path]:
    """Where to render: beside the target (same filesystem, for the rename), or for a dry run
    a throwaway folder elsewhere."""
    if dry_run:
        with tempfile.TemporaryDirectory(prefix="scaffold-dry-run-") as folder:
            yield Path(folder)
    else:
        with staging_folder(output_dir) as folder:
            yield folder


def _files(project: Path) -> list[str]:
    return sorted(
        path.relative_to(project).as_posix()
        for path in project.rglob("*")
        if path.is_file() and ".git" not in path.relative_to(project).parts
    )


def _record_digests(project: Path, provenance: Provenance, only: set[str] | None) -> None:
    """Record the digest of each file the template made (of `only`, when given), which lets
    `scaffold check` list edits later without rendering."""
    provenance.generated = {
        relative: file_digest(path)
        for relative, path in project_files(project, project)
        if relative != PROVENANCE_FILE and (only is None or relative in only)
    }
    write_provenance(project, provenance)


def _own_repository(project: Path, template: str, version: str, answers: dict) -> str | None:
    """Give a new project its own git repository with a first commit, unless it is in a work
    tree already (the user's, or one its post-generation hook made); say what was done.

    A hook that made the repository and committed could not commit the provenance file as it
    ends up (its digests include what the hook did), so scaffold commits that file in a commit
    of its own when it is the only change: the project starts with a clean `git status`.
    Amending the hook's commit instead would rewrite a commit scaffold did not make.
    """
    author = answers.get("author") or answers.get("full_name") or "scaffold"
    fallback = (str(author), str(answers.get("email") or ""))
    try:
        root = work_tree_root(project)
        if root is None:
            message = f"Generated from template {template} {version} by scaffold"
            identity = start_repository(project, message, fallback)
            as_who = f", committed as {identity} (git has no user.name/user.email)"
            return f"Started a git repository with a first commit{as_who if identity else ''}"
        if root == project.resolve() and changed_paths(project) == [PROVENANCE_FILE]:
            commit_paths(project, [PROVENANCE_FILE], "Record scaffold's provenance", fallback)
    except GitFailed as error:
        if str(error) == GIT_MISSING:
            return "git is not installed: no repository started"
        raise GenerationFailed(
            f"starting the project's git repository failed ({error}); fix that, or pass"
            " --no-git to generate without one"
        ) from None
    return None


def _move(rendered: Path, target: Path) -> None:
    try:
        os.rename(rendered, target)
    except OSError as error:
        raise GenerationFailed(f"moving the project to {target} failed: {error}") from None


def _place_into_existing(
    rendered: Path, target: Path, template_dir: Path, context: dict, hooks: bool
) -> None:
    """--force: put the template's files into an existing folder in one all-or-nothing change
    that never follows a symbolic link found there, then run the post-generation hook."""
    if target.is_symlink() or not target.is_dir():
        raise UnsafePath(str(target), "--force generates into a real folder only, and this is not")
    writes = [
        FileWrite(path.relative_to(rendered).as_posix(), staged=path)
        for path in sorted(rendered.rglob("*"))
        if path.is_symlink() or not path.is_dir()
    ]
    with open_project(target):
        change_files(target, writes)
        if hooks:
            try:
                run_post_hook(template_dir, target, context)
            except GenerationFailed as error:
                raise GenerationFailed(
                    f"the template's files are in place in {target} (--force), but then {error}"
                ) from None


def is_interactive() -> bool:
    """True when prompts can be answered: stdin is a terminal."""
    return sys.stdin.isatty()
