"""A project's template at the version that made it, and at its newest version."""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator
from pathlib import Path

from scaffold.errors import TemplateVersionUnavailable, UsageError
from scaffold.git import GitFailed, checkout_commit
from scaffold.history import open_bundled_version
from scaffold.provenance import Provenance
from scaffold.rendering import render_tree
from scaffold.sources import BUNDLED, TemplateSource, expand_source, open_template, template_folder
from scaffold.templates import TemplateInfo, read_template_info
from scaffold.user_config import UserConfig


@contextlib.contextmanager
def open_recorded_template(
    provenance: Provenance, template: str | None = None, config: UserConfig | None = None
) -> Iterator[Path]:
    """Yield a directory holding the template exactly as it was when it made the project:
    the bundled template's archived version, a git template's recorded commit (looked up
    in `template`, e.g. a clone of a template that moved, instead of the recorded source), or
    a folder or zip template whose version and content are still the recorded ones. The
    template is the recorded folder of its source (`--directory`), if one is recorded."""
    name, version = provenance.template_name, provenance.template_version
    config = config or UserConfig()
    source = expand_source(template, config) if template else provenance.template_source
    if provenance.template_source == BUNDLED:
        with open_bundled_version(name, version) as directory:
            yield directory
        return
    if provenance.commit:
        with tempfile.TemporaryDirectory(prefix="scaffold-old-template-") as folder:
            try:
                top = checkout_commit(source, provenance.commit, Path(folder, "template"))
            except GitFailed as error:
                raise TemplateVersionUnavailable(
                    f"cannot check out commit {provenance.commit[:12]} of template {source}:"
                    f" {error}; if the template moved, pass --template with its new place"
                ) from None
            directory = template_folder(top, provenance.directory, source)
            _expect(read_template_info(directory, source), name, version, source)
            yield directory
        return
    with open_template(source, None, provenance.directory, config) as opened:
        info = opened.info
        changed = provenance.fingerprint and opened.fingerprint != provenance.fingerprint
        if info.version != version or changed:
            now = f"version {info.version}" if info.version != version else "different content"
            raise TemplateVersionUnavailable(
                f"template {source} now has {now}, and what made the project is kept nowhere"
                " (the template is not in git); keep team templates in git, so that scaffold"
                " can record and check out the commit"
            )
        _expect(info, name, version, source)
        yield opened.directory


@contextlib.contextmanager
def recorded_render(
    provenance: Provenance, template: str | None = None, config: UserConfig | None = None
) -> Iterator[Path]:
    """Yield a folder holding what the template rendered for the project, from its recorded
    version and answers, without hooks: what `check` and `diff` compare the project with."""
    with (
        open_recorded_template(provenance, template, config) as old_dir,
        tempfile.TemporaryDirectory(prefix="scaffold-render-") as staging,
    ):
        base, _, _ = render_tree(
            old_dir,
            provenance.answers,
            Path(staging),
            hooks=False,
            template_rules=provenance.template_source == BUNDLED,
            default_context=config.default_context if config else {},
        )
        yield base


@contextlib.contextmanager
def open_current_template(
    provenance: Provenance,
    template: str | None = None,
    checkout: str | None = None,
    directory: str | None = None,
    config: UserConfig | None = None,
) -> Iterator[TemplateSource]:
    """Yield the newest template for the project: the recorded source (or `template`, e.g. a
    local clone of it) at `checkout`, else at the recorded branch or tag, else at its default
    branch; in its folder `directory`, else the recorded one."""
    checkout = checkout or provenance.checkout
    directory = directory or provenance.directory
    where = template or provenance.template_source
    if where == BUNDLED:  # which bundled template: the one the project names
        where = provenance.template_name
    with open_template(where, checkout, directory, config) as source:
        info = source.info
        if info.named and info.name != provenance.template_name:
            raise UsageError(
                f"{source.source} holds template {info.name!r}, but the project was made from"
                f" {provenance.template_name!r}; pass --template with the project's own template"
            )
        yield source


def _expect(info: TemplateInfo, name: str, version: str, source: str) -> None:
    if info.version != version or (info.named and info.name != name):
        raise TemplateVersionUnavailable(
            f"{source} at the recorded commit holds {info.name} {info.version},"
            f" not {name} {version} as the project's provenance says"
        )
