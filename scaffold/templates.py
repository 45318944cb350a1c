"""Find the bundled template and describe templates: name, version and variables."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from scaffold.errors import ScaffoldError, TemplateNotFound

CONTEXT_FILE = "cookiecutter.json"
UNVERSIONED = "unversioned"


@dataclass(frozen=True)
class TemplateInfo:
    """What `scaffold templates` shows of one template."""

    name: str
    description: str
    version: str
    path: Path
    variables: dict[str, object] = field(default_factory=dict)
    named: bool = True  # False: no _template_name, so the name comes from where it was read


# The templates that ship with scaffold: short name (`--template curves`) -> folder in template/.
BUNDLED_KINDS = ("images", "curves")
DEFAULT_KIND = "images"


def bundled_template_dir(kind: str = DEFAULT_KIND) -> Path:
    """Return the bundled template `kind` ("images" or "curves"), in an installed wheel or a
    source checkout."""
    if kind not in BUNDLED_KINDS:
        raise TemplateNotFound(
            f"scaffold bundles no template {kind!r}; its templates are {', '.join(BUNDLED_KINDS)}"
        )
    package_dir = Path(__file__).resolve().parent
    # Installed wheel: scaffold/template. Source checkout or editable install: ../template.
    for candidate in (package_dir / "template", package_dir.parent / "template"):
        if (candidate / kind / CONTEXT_FILE).is_file():
            return candidate / kind
    raise ScaffoldError(
        f"the bundled template {kind!r} is missing next to {package_dir}; reinstall luisy-scaffold"
    )


def bundled_kind(template: str | None) -> str | None:
    """The bundled template that `template` names: a short name ("curves") or a bundled
    template's recorded name ("luisy-curves"); None for any other template."""
    if template in BUNDLED_KINDS:
        return template
    for kind in BUNDLED_KINDS:
        if template == read_template_info(bundled_template_dir(kind)).name:
            return kind
    return None


def read_template_info(template_dir: Path, source: str | None = None) -> TemplateInfo:
    """Read a template's cookiecutter.json; keys starting with '_' are settings, not variables.

    A template without `_template_name` is named after `source` (its URL or path), never after
    the folder it was copied to, which may be a temporary one.
    """
    context_file = Path(template_dir) / CONTEXT_FILE
    try:
        context = json.loads(context_file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise TemplateNotFound(
            f"{template_dir} is not a cookiecutter template: it has no {CONTEXT_FILE}"
        ) from None
    except (OSError, ValueError) as error:
        raise TemplateNotFound(f"cannot read {context_file}: {error}") from None
    if not isinstance(context, dict):
        raise TemplateNotFound(f"{context_file} holds no JSON object")
    fallback = source_name(source) if source else Path(template_dir).name
    return TemplateInfo(
        name=str(context.get("_template_name", fallback)),
        description=str(context.get("_description", "")),
        version=str(context.get("_template_version", UNVERSIONED)),
        path=Path(template_dir),
        variables={key: value for key, value in context.items() if not key.startswith("_")},
        named="_template_name" in context,
    )


def source_name(source: str) -> str:
    """A template's name from where it lives: 'https://host/team/pipe.git' -> 'pipe'."""
    last = source.rstrip("/").replace(":", "/").rsplit("/", 1)[-1]
    return last.removesuffix(".git").removesuffix(".zip") or source


def template_problems(template_dir: Path, answers: dict) -> list[str]:
    """Run the template's own answer rules: `validate(answers)` in hooks/pre_gen_project.py.

    The hook is the template's code, which generation runs anyway; loading it here lets its
    rules reject bad answers before anything is rendered.
    """
    import importlib.util

    hook = Path(template_dir) / "hooks" / "pre_gen_project.py"
    if not hook.is_file():
        return []
    spec = importlib.util.spec_from_file_location("_scaffold_template_hook", hook)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    validate = getattr(module, "validate", None)
    return list(validate(answers)) if callable(validate) else []


def fingerprint(template_dir: Path) -> str:
    """A digest of a template's files (names and contents; git and Python caches left out):
    the identity of a template that has neither a version nor a commit."""
    import hashlib

    digest = hashlib.sha256()
    root = Path(template_dir)
    for path in sorted(root.rglob("*")):
        parts = path.relative_to(root).parts
        if ".git" in parts or "__pycache__" in parts or path.suffix == ".pyc":
            continue
        if path.is_file():
            digest.update(path.relative_to(root).as_posix().encode() + b"\0")
            with open(path, "rb") as handle:
                while chunk := handle.read(1 << 20):
                    digest.update(chunk)
            digest.update(b"\0")
    return digest.hexdigest()


def bundled_templates() -> list[TemplateInfo]:
    """Describe every template that ships with scaffold."""
    return [read_template_info(bundled_template_dir(kind)) for kind in BUNDLED_KINDS]
