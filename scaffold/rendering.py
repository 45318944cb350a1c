"""Render a template with its answers into a folder, checking first that every path it
renders stays inside the project."""

from __future__ import annotations

import os
import re
import stat
import tempfile
from collections.abc import Mapping
from pathlib import Path, PurePosixPath

from scaffold.answers import build_answers, default_answers, public_answers
from scaffold.errors import GenerationFailed, UnsafePath, UsageError, one_line
from scaffold.files import relative_problem
from scaffold.git import ignored_paths
from scaffold.hooks import hook_output_to_stderr, importable, run_hook, run_post_hook
from scaffold.journal import JOURNAL_FILE
from scaffold.merge import Rendering
from scaffold.provenance import PENDING_FILE, PROVENANCE_FILE
from scaffold.sources import BUNDLED, TemplateSource, open_template
from scaffold.templates import read_template_info

# Names other modules imported from here before it was split; import them from their modules.
__all__ = [
    "BUNDLED",
    "TemplateSource",
    "build_answers",
    "default_answers",
    "importable",
    "one_line",
    "open_template",
    "project_files",
    "public_answers",
    "render",
    "render_files",
    "render_tree",
    "run_post_hook",
]

_JINJA = re.compile(r"\{[{%#]")
# Files of scaffold's own that no template may write: the journal and an update's provenance.
RESERVED_FILES = {JOURNAL_FILE, PENDING_FILE}


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
        with hook_output_to_stderr():
            project.mkdir()
            if hooks:
                run_hook(template_dir, "pre_gen_project", project, context)
            generate_files(
                repo_dir=str(template_dir),
                context=context,
                output_dir=str(staging),
                overwrite_if_exists=True,  # the folder made above for the pre-generation hook
                accept_hooks=False,
            )
            if hooks and post_hook:
                run_hook(template_dir, "post_gen_project", project, context)
    except (CookiecutterException, TemplateError) as error:
        raise GenerationFailed(f"the template failed to render: {one_line(error)}") from None
    except OSError as error:  # e.g. the disk is full
        raise GenerationFailed(f"writing the project failed: {one_line(error)}") from None
    return project, paths


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
    default_context: Mapping[str, object] = (),
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
            default_context=default_context,
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
    default_context: Mapping[str, object] = (),
) -> tuple[Path, dict, dict[str, str]]:
    """Render a template with recorded answers into `staging`: the project folder made there,
    the cookiecutter context and the rendered path of each template file. The user's
    `default_context` gives what a variable the answers do not record defaults to."""
    info = read_template_info(template_dir)
    with importable(template_dir):
        context = build_answers(
            info,
            None,
            dict(settings),
            no_input=True,
            recorded=answers,
            template_rules=template_rules,
            default_context=default_context,
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
