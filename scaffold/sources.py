"""Where a template comes from: the bundled one, a folder, a zip file or a git URL, made
available as a local folder for the length of a command."""

from __future__ import annotations

import contextlib
import json
import re
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from scaffold.errors import TemplateNotFound, UsageError, one_line
from scaffold.files import relative_problem
from scaffold.git import GitFailed, checkout_commit, head_commit, remote_commit
from scaffold.scratch import private_temp
from scaffold.templates import (
    CONTEXT_FILE,
    DEFAULT_KIND,
    TemplateInfo,
    bundled_kind,
    bundled_template_dir,
    fingerprint,
    read_template_info,
)
from scaffold.user_config import UserConfig

BUNDLED = "bundled"


@dataclass(frozen=True)
class TemplateSource:
    """A template made available as a local directory."""

    directory: Path
    source: str
    checkout: str | None
    commit: str | None
    fingerprint: str | None = None  # for a folder or zip template: what its content was
    subdirectory: str | None = None  # the template's folder inside the source (--directory)

    @property
    def info(self) -> TemplateInfo:
        """The template's description; one without a name is named after its folder."""
        where = f"{self.source}/{self.subdirectory}" if self.subdirectory else self.source
        return read_template_info(self.directory, where)


@contextlib.contextmanager
def open_template(
    template: str | None,
    checkout: str | None,
    directory: str | None = None,
    config: UserConfig | None = None,
) -> Iterator[TemplateSource]:
    """Yield a local copy of `template` (bundled, directory, zip or git URL, or an abbreviation
    of the user's cookiecutter `config` for one), cleaned up after. With `directory`, the
    template is the one in that folder of the source, as cookiecutter's `--directory` says."""
    kind = DEFAULT_KIND if template in (None, BUNDLED) else bundled_kind(template)
    if kind is not None:
        if template not in (None, BUNDLED) and Path(template).expanduser().exists():
            raise UsageError(
                f"--template {template} names a bundled template and also the folder"
                f" {template}; write --template ./{template} for the folder"
            )
        if checkout is not None:
            raise UsageError("--checkout needs a git template; the bundled template is not one")
        if directory is not None:
            raise UsageError("--directory needs a template of your own; the bundled one has none")
        yield TemplateSource(bundled_template_dir(kind), BUNDLED, None, None)
        return

    config = config or UserConfig()
    subfolder = checked_directory(directory)
    template = expand_source(template, config)
    local = _local_template(template, config)
    if local is not None:  # recorded where it resolves, so that it is found from anywhere
        template = str(local.resolve())
        if checkout is not None:
            with _checked_out_folder(local, checkout, subfolder) as source:
                yield source
            return
    if _shared is not None:  # one fetch per template for a whole fleet (--all)
        key = (template, checkout, subfolder)
        if key not in _shared.sources:
            _shared.sources[key] = _shared.stack.enter_context(
                _fetched(template, checkout, subfolder, local)
            )
        yield _shared.sources[key]
        return
    with _fetched(template, checkout, subfolder, local) as source:
        yield source


@dataclass
class _Shared:
    stack: contextlib.ExitStack
    sources: dict
    remotes: dict


def remote_head(url: str, ref: str | None) -> str | None:
    """git.remote_commit, asked once per remote and ref within one_fetch_per_template."""
    if _shared is None:
        return remote_commit(url, ref)
    if (url, ref) not in _shared.remotes:
        _shared.remotes[url, ref] = remote_commit(url, ref)
    return _shared.remotes[url, ref]


_shared: _Shared | None = None


@contextlib.contextmanager
def one_fetch_per_template() -> Iterator[None]:
    """Within it, each template (source, ref, folder) is fetched once and reused read-only by
    every project that asks for it; the copies are removed when it ends."""
    global _shared
    with private_temp(), contextlib.ExitStack() as stack:  # the copies outlive each command
        _shared = _Shared(stack, {}, {})
        try:
            yield
        finally:
            _shared = None


@contextlib.contextmanager
def _fetched(template, checkout, subfolder, local) -> Iterator[TemplateSource]:
    """A git, zip or folder template as cookiecutter finds it, in a folder of its own."""
    from cookiecutter.exceptions import CookiecutterException, RepositoryNotFound, UnknownRepoType
    from cookiecutter.repository import determine_repo_dir, is_repo_url

    with tempfile.TemporaryDirectory(prefix="scaffold-template-") as clone_dir:
        try:
            with _cookiecutter_log_silenced():
                found, _ = determine_repo_dir(
                    template=template,
                    abbreviations={},
                    clone_to_dir=clone_dir,
                    checkout=checkout,
                    no_input=True,
                    directory=subfolder,
                )
        except subprocess.CalledProcessError as error:
            raise TemplateNotFound(_clone_failure(template, error)) from None
        except RepositoryNotFound as error:
            if subfolder is not None and (local is not None or is_repo_url(template)):
                raise TemplateNotFound(_no_template_in(template, subfolder)) from None
            raise TemplateNotFound(
                f"cannot use template {template!r}: {one_line(error)}{_plus_hint(template)}"
            ) from None
        except (CookiecutterException, OSError) as error:
            reason = one_line(error)
            if isinstance(error, UnknownRepoType):  # it carries no message
                reason = "not a kind of repository cookiecutter knows (git+ or hg+)"
            raise TemplateNotFound(
                f"cannot use template {template!r}: {reason}{_plus_hint(template)}"
            ) from None
        found = Path(found)
        root = _top_of(found, subfolder)
        commit = head_commit(root)
        content = None if commit else fingerprint(found)
        yield TemplateSource(found, template, checkout, commit, content, subfolder)


def expand_source(template: str, config: UserConfig) -> str:
    """`template` with an abbreviation of the user's config (cookiecutter's `gh:`, `gl:`,
    `bb:` and their own) expanded, as cookiecutter expands it; anything else unchanged.

    A source that looks like an abbreviation ('name:rest', not a path, not a URL) but whose
    name is none of them is refused with its name, instead of being looked for as a folder.
    """
    from cookiecutter.repository import expand_abbreviations, is_repo_url, is_zip_file

    expanded = expand_abbreviations(template, config.abbreviations)
    prefix, colon, _ = expanded.partition(":")
    if (
        colon
        and re.fullmatch(r"[A-Za-z][\w.-]*", prefix)
        and not is_repo_url(expanded)
        and not is_zip_file(expanded)
        and not Path(expanded).expanduser().exists()
    ):
        known = ", ".join(f"{name}:" for name in sorted(config.abbreviations)) or "none"
        raise TemplateNotFound(
            f"template {template!r} is no folder, zip file or URL, and {prefix + ':'!r} is no"
            f" abbreviation of your cookiecutter config (known: {known})"
        )
    return expanded


def checked_directory(directory: str | None) -> str | None:
    """`directory` as a relative path inside the template's source (None for its top), or a
    UsageError when it is absolute or climbs out with '..'."""
    if directory is None:
        return None
    problem = relative_problem(directory)
    if problem:
        raise UsageError(
            f"--directory {directory!r} {problem}: give the template's folder relative to the"
            " top of its source"
        )
    parts = [part for part in PurePosixPath(directory).parts if part != "."]
    return "/".join(parts) or None


def _local_template(template: str, config: UserConfig) -> Path | None:
    """The folder or zip file `template` names, if it is one: a path, or (as cookiecutter looks
    for it) the name of a template cloned into the config's `cookiecutters_dir`."""
    from cookiecutter.repository import is_repo_url

    if is_repo_url(template):
        return None
    local = Path(template).expanduser()
    if local.exists():
        return local
    if config.cookiecutters_dir and not Path(template).is_absolute():
        cloned = Path(config.cookiecutters_dir).expanduser() / template
        if cloned.is_dir():
            return cloned
    return None


def _top_of(found: Path, subfolder: str | None) -> Path:
    """The top of the source a template was found in, refusing a `--directory` that leads out
    of it (through a symbolic link)."""
    if subfolder is None:
        return found
    root = found
    for _ in PurePosixPath(subfolder).parts:
        root = root.parent
    if not found.resolve().is_relative_to(root.resolve()):
        raise UsageError(f"--directory {subfolder!r} leads out of the template's source")
    return root


def _no_template_in(template: str, subfolder: str) -> str:
    return (
        f"cannot use template {template!r}: its folder {subfolder!r} (--directory) holds no"
        " cookiecutter.json"
    )


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
def _checked_out_folder(
    folder: Path, checkout: str, subfolder: str | None
) -> Iterator[TemplateSource]:
    """A local git repository at branch, tag or commit `checkout` (cookiecutter would use the
    folder as it is and ignore --checkout)."""
    if not (folder / ".git").exists():
        kind = "zip file" if folder.is_file() else "folder that is not a git repository"
        raise UsageError(f"--checkout {checkout!r} needs a git template; {folder} is a {kind}")
    source = str(folder.resolve())
    with tempfile.TemporaryDirectory(prefix="scaffold-template-") as clone_dir:
        try:
            top = checkout_commit(source, checkout, Path(clone_dir, "t"))
        except GitFailed as error:
            raise TemplateNotFound(f"cannot check out {checkout!r} of {folder}: {error}") from None
        found = template_folder(top, subfolder, source)
        yield TemplateSource(found, source, checkout, head_commit(top), None, subfolder)


def template_folder(top: Path, subfolder: str | None, source: str) -> Path:
    """The template's folder in a local copy `top` of its source: `subfolder` of it, which
    must hold a cookiecutter.json and stay inside."""
    if subfolder is None:
        return top
    found = top / subfolder
    if not (found / CONTEXT_FILE).is_file():
        raise TemplateNotFound(_no_template_in(source, subfolder))
    _top_of(found, subfolder)
    return found


NESTED_KEY = "templates"
NESTED_CHOICE = "template"  # --set template=NAME picks a nested template, as cookiecutter's prompt


def nested_directory(
    template: str | None,
    checkout: str | None,
    directory: str | None,
    config: UserConfig,
    settings: dict[str, str],
    no_input: bool,
) -> str | None:
    """The template's folder to render: `directory`, or, for a template whose
    cookiecutter.json lists nested templates (cookiecutter's `templates` key), the folder of
    the one chosen with `--set template=NAME` (taken out of `settings`), asked for, or the
    first with `no_input`, as cookiecutter chooses. Recorded as the project's directory, so
    check, update and diff render the same one."""
    if template in (None, BUNDLED) or bundled_kind(template):
        return directory
    with open_template(template, checkout, directory, config) as source:
        context = json.loads((source.directory / CONTEXT_FILE).read_text(encoding="utf-8"))
    nested = context.get(NESTED_KEY) if isinstance(context, dict) else None
    if not isinstance(nested, dict) or not nested:
        return directory
    choice = settings.pop(NESTED_CHOICE, None)
    if choice is None:
        from cookiecutter.prompt import prompt_choice_for_template

        choice = prompt_choice_for_template(NESTED_KEY, nested, no_input)
    if choice not in nested:
        raise UsageError(
            f"{choice!r} is not a template of {template} (its templates: {', '.join(nested)});"
            f" pass --set {NESTED_CHOICE}=<one of them>"
        )
    path = nested[choice].get("path") if isinstance(nested[choice], dict) else None
    if not isinstance(path, str):
        raise UsageError(f"template {choice!r} of {template} has no path in its cookiecutter.json")
    return checked_directory(str(PurePosixPath(directory or ".") / path))
