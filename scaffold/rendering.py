"""Render a cookiecutter template with given answers, keeping answers as data."""

from __future__ import annotations

import contextlib
import json
import os
import re
import stat
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from scaffold.errors import (
    BadSetting,
    GenerationFailed,
    HookRefused,
    TemplateNotFound,
    UnknownVariable,
    UnsafePath,
    UsageError,
)
from scaffold.files import relative_problem
from scaffold.git import GitFailed, checkout_commit, head_commit, ignored_paths
from scaffold.journal import JOURNAL_FILE
from scaffold.merge import Rendering
from scaffold.names import check_project_name, check_slug
from scaffold.prompts import asking
from scaffold.provenance import PENDING_FILE, PROVENANCE_FILE
from scaffold.templates import (
    TemplateInfo,
    bundled_template_dir,
    fingerprint,
    read_template_info,
    template_problems,
)

BUNDLED = "bundled"
_JINJA = re.compile(r"\{[{%#]")
# Files of scaffold's own that no template may write: the journal and an update's provenance.
RESERVED_FILES = {JOURNAL_FILE, PENDING_FILE}


@dataclass(frozen=True)
class TemplateSource:
    """A template made available as a local directory."""

    directory: Path
    source: str
    checkout: str | None
    commit: str | None
    fingerprint: str | None = None  # for a folder or zip template: what its content was

    @property
    def info(self) -> TemplateInfo:
        return read_template_info(self.directory, self.source)


@contextlib.contextmanager
def open_template(template: str | None, checkout: str | None) -> Iterator[TemplateSource]:
    """Yield a local copy of `template` (bundled, directory, zip or git URL), cleaned up after."""
    if template is None or template == BUNDLED:
        if checkout is not None:
            raise UsageError("--checkout needs a git template; the bundled template is not one")
        yield TemplateSource(bundled_template_dir(), BUNDLED, None, None)
        return
    from cookiecutter.exceptions import CookiecutterException, UnknownRepoType
    from cookiecutter.repository import determine_repo_dir

    local = Path(template).expanduser()
    if local.exists():  # recorded where it resolves, so that it is found from anywhere
        template = str(local.resolve())
        if checkout is not None:
            with _checked_out_folder(local, checkout) as source:
                yield source
            return
    with tempfile.TemporaryDirectory(prefix="scaffold-template-") as clone_dir:
        try:
            with _cookiecutter_log_silenced():
                directory, _ = determine_repo_dir(
                    template=template,
                    abbreviations={},
                    clone_to_dir=clone_dir,
                    checkout=checkout,
                    no_input=True,
                )
        except subprocess.CalledProcessError as error:
            raise TemplateNotFound(_clone_failure(template, error)) from None
        except (CookiecutterException, OSError) as error:
            reason = one_line(error)
            if isinstance(error, UnknownRepoType):  # it carries no message
                reason = "not a kind of repository cookiecutter knows (git+ or hg+)"
            raise TemplateNotFound(
                f"cannot use template {template!r}: {reason}{_plus_hint(template)}"
            ) from None
        directory = Path(directory)
        commit = head_commit(directory)
        content = None if commit else fingerprint(directory)
        yield TemplateSource(directory, template, checkout, commit, content)


@contextlib.contextmanager
def _cookiecutter_log_silenced() -> Iterator[None]:
    """Keep cookiecutter's own logging (a failed clone logs its traceback) off stderr: scaffold
    reports the failure itself, in one line."""
    import logging

    logger = logging.getLogger("cookiecutter")
    handler, propagate = logging.NullHandler(), logger.propagate
    logger.addHandler(handler)
    logger.propagate = False
    try:
        yield
    finally:
        logger.propagate = propagate
        logger.removeHandler(handler)


def _clone_failure(template: str, error: subprocess.CalledProcessError) -> str:
    """A failed clone in one line: git's first complaint (its 'fatal:' line)."""
    output = error.output.decode(errors="replace") if isinstance(error.output, bytes) else ""
    said = [line.strip() for line in output.splitlines() if line.strip()]
    said = [line for line in said if not line.startswith("Cloning into")]
    fatal = [line for line in said if line.startswith(("fatal:", "error:"))]
    reason = (fatal or said or [one_line(error)])[0].rstrip(".")
    return f"cannot clone template {template!r}: {reason}{_plus_hint(template)}"


def _plus_hint(template: str) -> str:
    """What to do about a '+' in a URL: cookiecutter reads the text before one as the kind
    of repository ('git+https://...'), so a '+' anywhere else breaks the URL."""
    kind, _, rest = template.partition("+")
    if "://" in template and "+" in (rest if kind in ("git", "hg") else template):
        return (
            "; cookiecutter cannot clone a URL with a '+' beyond its 'git+' prefix: give the"
            " repository's folder path instead, or a URL without '+'"
        )
    return ""


@contextlib.contextmanager
def _checked_out_folder(folder: Path, checkout: str) -> Iterator[TemplateSource]:
    """A local git repository at branch, tag or commit `checkout` (cookiecutter would use the
    folder as it is and ignore --checkout)."""
    if not (folder / ".git").exists():
        kind = "zip file" if folder.is_file() else "folder that is not a git repository"
        raise UsageError(f"--checkout {checkout!r} needs a git template; {folder} is a {kind}")
    with tempfile.TemporaryDirectory(prefix="scaffold-template-") as clone_dir:
        try:
            directory = checkout_commit(str(folder.resolve()), checkout, Path(clone_dir, "t"))
        except GitFailed as error:
            raise TemplateNotFound(f"cannot check out {checkout!r} of {folder}: {error}") from None
        yield TemplateSource(directory, str(folder.resolve()), checkout, head_commit(directory))


@contextlib.contextmanager
def importable(template_dir: Path) -> Iterator[None]:
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


def build_answers(
    info: TemplateInfo,
    name: str | None,
    settings: Mapping[str, str],
    *,
    no_input: bool,
    recorded: Mapping[str, object] = (),
    extra_context: Mapping[str, object] = (),
    template_rules: bool = True,
) -> dict:
    """Return the cookiecutter context for `info`: defaults, then recorded answers, NAME,
    --set and prompts. Recorded answers the template no longer asks for are dropped.

    `template_rules` is for the bundled template, which opts in to scaffold's own checks of
    names and to its rules checked before anything is rendered (its pre-generation hook's
    `validate`, which scaffold ships and so trusts). Other templates get their answers as
    cookiecutter gives them; their hooks are never imported, only run rendered, as cookiecutter
    runs them.
    """
    from cookiecutter.exceptions import CookiecutterException
    from cookiecutter.generate import generate_context
    from cookiecutter.prompt import prompt_for_config

    unknown = sorted(set(settings) - set(info.variables))
    if unknown:
        raise UnknownVariable(unknown[0], sorted(info.variables))
    overrides = {key: value for key, value in dict(recorded).items() if key in info.variables}
    if name is not None:
        if template_rules:
            check_project_name(name)
        if "project_name" not in info.variables:
            raise UsageError(
                f"template {info.name!r} has no project_name variable; "
                "pass its variables with --set instead"
            )
        if "project_name" in settings and settings["project_name"] != name:
            raise UsageError(
                f"NAME {name!r} and --set project_name={settings['project_name']!r} disagree;"
                " give the project name once"
            )
        overrides["project_name"] = name
    overrides.update(settings)
    _check_choices(info, overrides, settings)
    overrides = {key: _as_literal(value) for key, value in overrides.items()}
    try:
        context = generate_context(
            context_file=str(info.path / "cookiecutter.json"), extra_context=overrides
        )
        given = set(settings) | ({"project_name"} if name is not None else set())
        rules = _rule_of(info, context) if template_rules else lambda key, answer: None
        with asking(given, rules):
            context["cookiecutter"].update(prompt_for_config(context, no_input=no_input))
    except ValueError as error:  # a --set value outside a choice variable's options
        raise BadSetting(str(error)) from None
    except CookiecutterException as error:
        raise GenerationFailed(f"the template's variables failed: {one_line(error)}") from None
    context["cookiecutter"].update(extra_context)
    answers = context["cookiecutter"]
    if template_rules and "project_slug" in answers:
        check_slug(str(answers["project_slug"]))
    problems = template_problems(info.path, answers) if template_rules else []
    if problems:
        raise UsageError("; ".join(problems))
    return context


def _rule_of(info: TemplateInfo, context: dict) -> Callable[[str, object], str | None]:
    """The template's rule an interactive answer breaks, if any (its `validate`, asked about
    that one answer)."""
    reserved = context["cookiecutter"].get("_reserved_packages", [])

    def problem(key: str, answer: object) -> str | None:
        problems = template_problems(info.path, {key: answer, "_reserved_packages": reserved})
        return next((p for p in problems if p.startswith(key)), None)

    return problem


def _check_choices(info: TemplateInfo, answers: Mapping, settings: Mapping) -> None:
    """Refuse an answer to a choice variable that is not among its options, saying which are."""
    for key, value in answers.items():
        options = info.variables.get(key)
        if isinstance(options, list) and options and value not in options:
            given = "--set" if key in settings else "the recorded answer"
            raise BadSetting(
                f"{given} {key}={value!r} is not an option of template {info.name}"
                f" ({', '.join(map(str, options))}); pass --set {key}=<one of them>"
            )


def default_answers(info: TemplateInfo) -> dict[str, object]:
    """What a template's variables come to when nothing is answered (derived ones rendered)."""
    with importable(info.path):
        context = build_answers(info, None, {}, no_input=True, template_rules=False)
    return {key: context["cookiecutter"][key] for key in info.variables}


def public_answers(context: dict) -> dict[str, object]:
    """The answers a project records: the context without cookiecutter's private keys."""
    return {k: v for k, v in context["cookiecutter"].items() if not k.startswith("_")}


def _as_literal(value: object) -> object:
    """Keep an answer as data: cookiecutter renders given values as Jinja templates, so a value
    holding Jinja syntax is wrapped in an expression that evaluates to exactly that text."""
    if isinstance(value, str) and "{" in value:
        return "{{ " + json.dumps(value, ensure_ascii=False) + " }}"
    return value


def render(
    template_dir: Path, context: dict, staging: Path, *, hooks: bool, post_hook: bool = True
) -> tuple[Path, dict[str, str]]:
    """Render the template into `staging`; return the project folder made there and the
    rendered path of each template file (see `_rendered_names`).

    Every path the template renders is checked to stay inside the project before anything is
    written. With `hooks`, the template's hooks run as cookiecutter runs them (rendered, once,
    in the project folder: pre-generation before the files, post-generation after them),
    their output going to stderr so that stdout carries only scaffold's result. Without
    `post_hook`, the caller runs `run_post_hook` itself once the project is in its place.
    """
    from cookiecutter.exceptions import CookiecutterException
    from cookiecutter.generate import generate_files
    from jinja2 import TemplateError

    if _JINJA.search(str(staging)):  # cookiecutter renders the folder's path as a template
        raise UsageError(
            f"the folder {staging.parent} holds Jinja syntax ({{{{, {{% or {{#), which"
            " cookiecutter would evaluate; choose another folder"
        )
    try:
        folder, paths = _rendered_names(template_dir, context)
        project = staging / folder
        with _hook_output_to_stderr():
            project.mkdir()
            if hooks:
                _run_hook(template_dir, "pre_gen_project", project, context)
            generate_files(
                repo_dir=str(template_dir),
                context=context,
                output_dir=str(staging),
                overwrite_if_exists=True,  # the folder made above for the pre-generation hook
                accept_hooks=False,
            )
            if hooks and post_hook:
                _run_hook(template_dir, "post_gen_project", project, context)
    except (CookiecutterException, TemplateError) as error:
        raise GenerationFailed(f"the template failed to render: {one_line(error)}") from None
    except OSError as error:  # e.g. the disk is full
        raise GenerationFailed(f"writing the project failed: {one_line(error)}") from None
    return project, paths


def run_post_hook(template_dir: Path, project: Path, context: dict) -> None:
    """Run the template's post-generation hook in `project`, where the project stays: what
    it makes with absolute paths (a virtualenv, links) keeps working."""
    with _hook_output_to_stderr():
        _run_hook(template_dir, "post_gen_project", project, context)


def _run_hook(template_dir: Path, hook: str, project: Path, context: dict) -> None:
    from cookiecutter.exceptions import FailedHookException
    from cookiecutter.hooks import run_hook
    from cookiecutter.utils import work_in

    try:
        with work_in(template_dir):  # where cookiecutter finds a template's hooks
            run_hook(hook, project, context)
    except FailedHookException as error:
        if hook == "pre_gen_project":  # it checks the answers before anything is written
            raise HookRefused(
                f"the template's pre-generation hook refused the answers ({one_line(error)});"
                " its own message is above"
            ) from None
        raise GenerationFailed(f"the template's post-generation hook failed: {error}") from None


@contextlib.contextmanager
def _hook_output_to_stderr() -> Iterator[None]:
    """Point file descriptor 1 at stderr, where hooks (child processes) inherit it."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        os.dup2(2, 1)
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


def _rendered_names(template_dir: Path, context: dict) -> tuple[str, dict[str, str]]:
    """The project folder's rendered name, and a map of each file of the template's project
    folder to the path it renders to, both relative to the project (this pairs files across
    renders whose answers rename folders).

    Refuses (UnsafePath) a project folder name or any file or folder path that renders to an
    absolute path, climbs out with '..', or holds Jinja syntax (cookiecutter renders a
    folder's whole path a second time). Folders cookiecutter copies without rendering
    (`_copy_without_render`) keep their contents' names.
    """
    from cookiecutter.find import find_template
    from cookiecutter.generate import is_copy_only_path
    from cookiecutter.utils import create_env_with_context

    env = create_env_with_context(context)
    project_template = Path(find_template(template_dir, env))
    folder = env.from_string(project_template.name).render(**context)
    _check_inside(project_template.name, folder, one_name=True)
    paths = {}
    for root, dirs, files in os.walk(project_template):
        relative_root = Path(root).relative_to(project_template)
        copied = [d for d in dirs if is_copy_only_path((relative_root / d).as_posix(), context)]
        for name in sorted(copied):
            source = (relative_root / name).as_posix()
            rendered = env.from_string(source).render(**context)
            _check_inside(source, rendered)
            for path in (Path(root) / name).rglob("*"):
                inner = path.relative_to(Path(root) / name).as_posix()
                if path.is_file():
                    paths[f"{source}/{inner}"] = f"{rendered}/{inner}"
        dirs[:] = sorted(set(dirs) - set(copied))
        for name in [*dirs, *files]:
            source = (relative_root / name).as_posix()
            rendered = env.from_string(source).render(**context)
            _check_inside(source, rendered)
            if name in files:
                paths[source] = rendered
    return folder, paths


def one_line(error: BaseException) -> str:
    """The error's message folded onto one line."""
    return " ".join(str(error).split()) or type(error).__name__


def _check_inside(source: str, rendered: str, one_name: bool = False) -> None:
    """Refuse a template path whose rendering would be written outside the project (or,
    for the project folder, outside the output folder)."""
    problem = relative_problem(rendered) if rendered or one_name else None  # "": skipped
    if not problem and one_name and len(PurePosixPath(rendered).parts) != 1:
        problem = "is not a single folder name"
    if not problem and _JINJA.search(rendered):
        problem = "holds Jinja syntax, which cookiecutter would evaluate a second time"
    if not problem and PurePosixPath(rendered).name in RESERVED_FILES:
        problem = "is a file name scaffold keeps for itself"
    if problem:
        raise UnsafePath(
            source,
            f"the template would write outside the project: its path renders to {rendered!r},"
            f" which {problem}",
        )


def render_files(
    template_dir: Path,
    answers: Mapping[str, object],
    settings: Mapping[str, str] = (),
    *,
    hooks: bool,
    template_rules: bool,
    project_dir: Path,
) -> tuple[Rendering, dict]:
    """Render a template with recorded answers (and --set changes) into memory; return the
    rendering of the files that are the template's business in `project_dir` (see
    `project_files`), without the provenance file, and the cookiecutter context it used."""
    with tempfile.TemporaryDirectory(prefix="scaffold-") as staging:
        project, context, paths = render_tree(
            template_dir,
            answers,
            Path(staging),
            settings,
            hooks=hooks,
            template_rules=template_rules,
        )
        found = [item for item in project_files(project, project_dir) if item[0] != PROVENANCE_FILE]
        files = {relative: path.read_bytes() for relative, path in found}
        modes = {relative: stat.S_IMODE(path.stat().st_mode) for relative, path in found}
    return Rendering(files, paths, modes), context


def render_tree(
    template_dir: Path,
    answers: Mapping[str, object],
    staging: Path,
    settings: Mapping[str, str] = (),
    *,
    hooks: bool,
    template_rules: bool,
) -> tuple[Path, dict, dict[str, str]]:
    """Render a template with recorded answers into `staging`: the project folder made there,
    the cookiecutter context and the rendered path of each template file."""
    info = read_template_info(template_dir)
    with importable(template_dir):
        context = build_answers(
            info,
            None,
            dict(settings),
            no_input=True,
            recorded=answers,
            template_rules=template_rules,
        )
        project, paths = render(template_dir, context, staging, hooks=hooks)
    return project, context, paths


def project_files(render: Path, project_dir: Path) -> list[tuple[str, Path]]:
    """(relative path, path) of each file of a rendered project that is the template's
    business: regular files that the project's git ignore rules do not exclude. Links and git
    folders a hook made are left out."""
    files = [
        (path.relative_to(render).as_posix(), path)
        for path in sorted(render.rglob("*"))
        if path.is_file()
        and not path.is_symlink()
        and ".git" not in path.parts[len(render.parts) :]
    ]
    ignored = ignored_paths(project_dir, [relative for relative, _ in files])
    return [(relative, path) for relative, path in files if relative not in ignored]
