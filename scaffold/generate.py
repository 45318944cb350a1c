"""`scaffold new`: render a template into a new project, all or nothing."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from scaffold import __version__
from scaffold.errors import (
    BadSetting,
    GenerationFailed,
    TargetExists,
    TemplateNotFound,
    UnknownVariable,
    UsageError,
)
from scaffold.names import check_project_name, check_slug
from scaffold.provenance import Provenance, write_provenance
from scaffold.templates import (
    TemplateInfo,
    bundled_template_dir,
    read_template_info,
    template_problems,
)

BUNDLED = "bundled"


@dataclass(frozen=True)
class TemplateSource:
    """A template made available as a local directory."""

    directory: Path
    source: str
    checkout: str | None
    commit: str | None


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


@contextlib.contextmanager
def open_template(template: str | None, checkout: str | None) -> Iterator[TemplateSource]:
    """Yield a local copy of `template` (bundled, directory, zip or git URL), cleaned up after."""
    if template is None:
        yield TemplateSource(bundled_template_dir(), BUNDLED, None, None)
        return
    from cookiecutter.exceptions import CookiecutterException
    from cookiecutter.repository import determine_repo_dir

    with tempfile.TemporaryDirectory(prefix="scaffold-template-") as clone_dir:
        try:
            directory, _ = determine_repo_dir(
                template=template,
                abbreviations={},
                clone_to_dir=clone_dir,
                checkout=checkout,
                no_input=True,
            )
        except (CookiecutterException, OSError, subprocess.CalledProcessError) as error:
            raise TemplateNotFound(
                f"cannot use template {template!r}: {_one_line(error)}"
            ) from None
        yield TemplateSource(Path(directory), template, checkout, _git_commit(Path(directory)))


@contextlib.contextmanager
def _importable(template_dir: Path) -> Iterator[None]:
    """Let the template's Jinja extensions (e.g. local_extensions.py) be imported, then forget
    them, so that another template's modules of the same name are not shadowed."""
    before = set(sys.modules)
    sys.path.insert(0, str(template_dir))
    try:
        yield
    finally:
        sys.path.remove(str(template_dir))
        for name in set(sys.modules) - before:
            origin = getattr(sys.modules[name], "__file__", None) or ""
            if origin.startswith(str(template_dir)):
                del sys.modules[name]


def _git_commit(directory: Path) -> str | None:
    if not (directory / ".git").exists():
        return None
    result = subprocess.run(
        ["git", "-C", str(directory), "rev-parse", "HEAD"],
        capture_output=True,
        text=True,
        check=False,
    )
    return result.stdout.strip() or None


def build_answers(
    info: TemplateInfo,
    name: str | None,
    settings: Mapping[str, str],
    *,
    no_input: bool,
    extra_context: Mapping[str, object] = (),
) -> dict:
    """Return the cookiecutter context for `info`: defaults, then NAME, --set, and prompts."""
    from cookiecutter.exceptions import CookiecutterException
    from cookiecutter.generate import generate_context
    from cookiecutter.prompt import prompt_for_config

    unknown = sorted(set(settings) - set(info.variables))
    if unknown:
        raise UnknownVariable(unknown[0], sorted(info.variables))
    overrides: dict[str, object] = {}
    if name is not None:
        check_project_name(name)
        if "project_name" not in info.variables:
            raise UsageError(
                f"template {info.name!r} has no project_name variable; "
                "pass its variables with --set instead"
            )
        overrides["project_name"] = name
    overrides.update(settings)
    overrides = {key: _as_literal(value) for key, value in overrides.items()}
    try:
        context = generate_context(
            context_file=str(info.path / "cookiecutter.json"), extra_context=overrides
        )
        context["cookiecutter"].update(prompt_for_config(context, no_input=no_input))
    except ValueError as error:  # a --set value outside a choice variable's options
        raise BadSetting(str(error)) from None
    except CookiecutterException as error:
        raise GenerationFailed(f"the template's variables failed: {_one_line(error)}") from None
    context["cookiecutter"].update(extra_context)
    answers = context["cookiecutter"]
    if "project_slug" in answers:
        check_slug(str(answers["project_slug"]))
    problems = template_problems(info.path, answers)
    if problems:
        raise UsageError("; ".join(problems))
    return context


def _as_literal(value: object) -> object:
    """Keep an answer as data: cookiecutter renders given values as Jinja templates, so a value
    holding Jinja syntax is wrapped in an expression that evaluates to exactly that text."""
    if isinstance(value, str) and "{" in value:
        return "{{ " + json.dumps(value, ensure_ascii=False) + " }}"
    return value


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
) -> Generated:
    """Generate a project from `template` into `output_dir/<slug>`.

    The project is rendered into a temporary directory on the same filesystem and renamed into
    place, so a failure never leaves a half-made project; with `dry_run` nothing is written.
    """
    output_dir = Path(output_dir).resolve()
    if output_dir.exists() and not output_dir.is_dir():
        raise UsageError(f"--output-dir {output_dir} is a file, not a directory")
    with open_template(template, checkout) as source, _importable(source.directory):
        info = read_template_info(source.directory)
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
        )
        answers = {k: v for k, v in context["cookiecutter"].items() if not k.startswith("_")}
        provenance = Provenance(
            template_name=info.name,
            template_version=info.version,
            template_source=source.source,
            checkout=source.checkout,
            commit=source.commit,
            answers=answers,
            scaffold_version=__version__,
        )
        created_output_dir = False
        if not dry_run and not output_dir.exists():
            output_dir.mkdir(parents=True)
            created_output_dir = True
        staging_parent = tempfile.gettempdir() if dry_run else output_dir
        try:
            with tempfile.TemporaryDirectory(prefix=".scaffold-", dir=staging_parent) as staging:
                rendered = _render(source.directory, context, Path(staging))
                write_provenance(rendered, provenance)
                target = output_dir / rendered.name
                if target.exists() and not force:
                    raise TargetExists(str(target))
                files = sorted(
                    path.relative_to(rendered).as_posix()
                    for path in rendered.rglob("*")
                    if path.is_file()
                )
                if not dry_run:
                    _place(rendered, target)
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


def _render(template_dir: Path, context: dict, staging: Path) -> Path:
    from cookiecutter.exceptions import CookiecutterException
    from cookiecutter.generate import generate_files
    from jinja2 import TemplateError

    try:
        project = generate_files(
            repo_dir=str(template_dir), context=context, output_dir=str(staging)
        )
    except (CookiecutterException, TemplateError) as error:
        raise GenerationFailed(f"the template failed to render: {_one_line(error)}") from None
    except OSError as error:  # e.g. the disk is full
        raise GenerationFailed(f"writing the project failed: {_one_line(error)}") from None
    return Path(project)


def _one_line(error: BaseException) -> str:
    """The error's message folded onto one line."""
    return " ".join(str(error).split()) or type(error).__name__


def _place(rendered: Path, target: Path) -> None:
    """Move a rendered project into place: one rename, or file by file into an existing dir."""
    if not target.exists():
        os.rename(rendered, target)
        return
    for path in sorted(rendered.rglob("*")):
        destination = target / path.relative_to(rendered)
        if path.is_dir():
            destination.mkdir(exist_ok=True)
        else:
            os.replace(path, destination)


def is_interactive() -> bool:
    """True when prompts can be answered: stdin is a terminal."""
    return sys.stdin.isatty()
