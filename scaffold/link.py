"""`scaffold link`: bring an existing project (made with plain cookiecutter, with cruft, or by
hand) under scaffold by recording the template, commit, folder and answers that would make it.
Only `.scaffold.json` is written; `check` then lists the project's edits against that render."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from scaffold import __version__
from scaffold.answers import build_answers, public_answers
from scaffold.errors import UsageError
from scaffold.files import file_digest
from scaffold.hooks import importable
from scaffold.journal import open_project
from scaffold.provenance import PROVENANCE_FILE, Provenance, write_provenance
from scaffold.rendering import project_files, render
from scaffold.scratch import private_temp
from scaffold.sources import BUNDLED, open_template
from scaffold.templates import CONTEXT_FILE
from scaffold.user_config import UserConfig, load_user_config

CRUFT_FILE = ".cruft.json"


@dataclass
class Linked:
    """What `link_project` recorded, and where its answers came from."""

    project_dir: Path
    provenance: Provenance
    answers_from: str


def template_and_project(
    first: str | None, second: Path | None, directory: str | None
) -> tuple[str | None, Path]:
    """`link`'s arguments as (template, project folder). One argument names the project when
    it is a folder with a .cruft.json, or a folder that holds no template (cookiecutter.json)
    and no --directory says to look inside it; otherwise it is the template."""
    if second is None and first and directory is None:
        folder = Path(first)
        if (folder / CRUFT_FILE).is_file() or (
            folder.is_dir() and not (folder / CONTEXT_FILE).is_file()
        ):
            return None, folder
    return first, second or Path(".")


def link_project(
    project_dir: Path | str = ".",
    template: str | None = None,
    *,
    checkout: str | None = None,
    directory: str | None = None,
    settings: Mapping[str, str] | None = None,
    no_input: bool = True,
    force: bool = False,
    config_file: Path | str | None = None,
    default_config: bool = False,
) -> Linked:
    """Record in `project_dir` that it was made from `template` at the commit of `checkout`
    (default: its default branch), in `directory` of it, with answers from `settings`, else
    from cookiecutter's replay file of that template, else asked or defaulted as in `new`.

    Without `template`, the project's `.cruft.json` gives template, commit, branch, folder and
    answers (`settings` still win). Refuses a project that has a .scaffold.json unless `force`.
    """
    project_dir = Path(project_dir).resolve()
    if not project_dir.is_dir():
        raise UsageError(f"{project_dir} is not a folder; give the project's folder")
    if (project_dir / PROVENANCE_FILE).exists() and not force:
        raise UsageError(
            f"{project_dir} already has a {PROVENANCE_FILE}; `scaffold check` and `update` use"
            " it as it is (pass --force to link it again, replacing it)"
        )
    config = load_user_config(config_file, default_config)
    recorded: dict[str, object] = {}
    branch, answers_from = checkout, "defaults"
    if template is None:
        cruft = read_cruft(project_dir)
        template, recorded = cruft["template"], cruft["answers"]
        branch = checkout or cruft["checkout"]
        checkout = checkout or cruft["commit"]
        directory = directory if directory is not None else cruft["directory"]
        answers_from = CRUFT_FILE
    with private_temp(), open_template(template, checkout, directory, config) as source:
        info = source.info
        if not recorded:
            recorded = replayed_answers(config, template, info.name)
            answers_from = "cookiecutter's replay file" if recorded else answers_from
        if settings:
            answers_from = f"--set and {answers_from}"
        with importable(source.directory):
            context = build_answers(
                info,
                None,
                dict(settings or {}),
                no_input=no_input,
                recorded=recorded,
                extra_context={
                    "_template": source.source,
                    "_checkout": source.checkout,
                    "_commit": source.commit,
                    "_scaffold_version": __version__,
                    "_output_dir": str(project_dir.parent),
                },
                template_rules=source.source == BUNDLED,
                default_context=config.default_context,
            )
            generated = _rendered_digests(source.directory, context, project_dir)
        provenance = Provenance(
            template_name=info.name,
            template_version=info.version,
            template_source=source.source,
            checkout=branch if source.commit else source.checkout,
            commit=source.commit,
            fingerprint=source.fingerprint,
            directory=source.subdirectory,
            answers=public_answers(context),
            scaffold_version=__version__,
            generated=generated,
        )
    with open_project(project_dir):
        write_provenance(project_dir, provenance)
    return Linked(project_dir, provenance, answers_from)


def read_cruft(project_dir: Path) -> dict[str, object]:
    """Template, commit, checkout, directory and answers from a project's .cruft.json."""
    path = project_dir / CRUFT_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(
            f"{project_dir} has no {CRUFT_FILE}: give the TEMPLATE it was made from"
            " (scaffold link TEMPLATE PATH)"
        ) from None
    except (OSError, ValueError) as error:
        raise UsageError(f"cannot read {path}: {error}") from None
    context = data.get("context", {}).get("cookiecutter") if isinstance(data, dict) else None
    if (
        not isinstance(data, dict)
        or not isinstance(data.get("template"), str)
        or not isinstance(context, dict)
    ):
        raise UsageError(f"{path} is not a cruft file: it needs 'template' and 'context'")
    text = {key: data.get(key) for key in ("commit", "checkout", "directory")}
    if any(value is not None and not isinstance(value, str) for value in text.values()):
        raise UsageError(f"{path}: 'commit', 'checkout' and 'directory' must be text or null")
    answers = {key: value for key, value in context.items() if not key.startswith("_")}
    return {"template": data["template"], "answers": answers, **text}


def replayed_answers(config: UserConfig, template: str, name: str) -> dict[str, object]:
    """The answers cookiecutter saved when it last rendered this template (its replay file,
    named after the template's folder), or {} when there is none."""
    replay_dir = Path(os.path.expanduser(config.replay_dir or "~/.cookiecutter_replay"))
    stem = Path(template.rstrip("/")).name.removesuffix(".git").removesuffix(".zip")
    for candidate in dict.fromkeys((stem, name)):
        path = replay_dir / f"{candidate}.json"
        try:
            context = json.loads(path.read_text(encoding="utf-8")).get("cookiecutter")
        except (OSError, ValueError, AttributeError):
            continue
        if isinstance(context, dict):
            return {key: value for key, value in context.items() if not key.startswith("_")}
    return {}


def _rendered_digests(template_dir: Path, context: dict, project_dir: Path) -> dict[str, str]:
    """{path: digest} of what the template renders with `context`, without hooks, as check
    renders it: the project's edits are its differences from this."""
    with tempfile.TemporaryDirectory(prefix="scaffold-link-") as staging:
        rendered, _ = render(template_dir, context, Path(staging), hooks=False)
        return {
            relative: file_digest(path)
            for relative, path in project_files(rendered, project_dir)
            if relative != PROVENANCE_FILE
        }
