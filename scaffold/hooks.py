"""The template's own code: its Jinja extensions made importable, and its hooks run as
cookiecutter runs them."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path

from scaffold.errors import GenerationFailed, HookRefused, one_line


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


def run_post_hook(template_dir: Path, project: Path, context: dict) -> None:
    """Run the template's post-generation hook in `project`, where the project stays: what
    it makes with absolute paths (a virtualenv, links) keeps working."""
    with hook_output_to_stderr():
        run_hook(template_dir, "post_gen_project", project, context)


def run_hook(template_dir: Path, hook: str, project: Path, context: dict) -> None:
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
def hook_output_to_stderr() -> Iterator[None]:
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
