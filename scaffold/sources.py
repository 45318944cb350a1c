"""Where a template comes from: the bundled one, a folder, a zip file or a git URL, made
available as a local folder for the length of a command."""

from __future__ import annotations

import contextlib
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from scaffold.errors import TemplateNotFound, UsageError, one_line
from scaffold.git import GitFailed, checkout_commit, head_commit
from scaffold.templates import (
    TemplateInfo,
    bundled_template_dir,
    fingerprint,
    read_template_info,
)

BUNDLED = "bundled"


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
