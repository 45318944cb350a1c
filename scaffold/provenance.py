"""The provenance file: which template, which scaffold and which answers made a project."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

from scaffold.errors import ProvenanceError
from scaffold.files import temporary_beside

PROVENANCE_FILE = ".scaffold.json"
# Written instead of PROVENANCE_FILE by an update that left conflicts, and moved over it by
# `scaffold update --continue` once they are resolved: the project's recorded version changes
# only when its files match it.
PENDING_FILE = ".scaffold-update.json"


@dataclass
class Provenance:
    """Everything needed to render a project's template again."""

    template_name: str
    template_version: str
    template_source: str
    answers: dict[str, object]
    scaffold_version: str
    checkout: str | None = None
    commit: str | None = None
    fingerprint: str | None = None  # a folder or zip template's content (templates.fingerprint)
    directory: str | None = None  # the template's folder inside its source (--directory)
    # {path: SHA-256} of each file as generation or the last update wrote it, so that `check`
    # lists edits without rendering (and sees what the template's hooks did).
    generated: dict[str, str] | None = None
    extra: dict[str, object] = field(default_factory=dict)  # keys scaffold does not know

    def to_json(self) -> str:
        data = asdict(self)
        # Absent from older provenance files, and left out when there is nothing to say.
        for optional in ("fingerprint", "directory", "generated"):
            if data[optional] is None:
                del data[optional]
        data.update(data.pop("extra"))
        return json.dumps(data, indent=2, ensure_ascii=False, sort_keys=False) + "\n"


def write_provenance(
    project_dir: Path, provenance: Provenance, filename: str = PROVENANCE_FILE
) -> Path:
    """Write the provenance file atomically into `project_dir` and return its path. (Changes
    of several files that include it go through scaffold.journal instead.)"""
    path = Path(project_dir) / filename
    temporary = temporary_beside(path)
    try:
        temporary.write_bytes(provenance.to_json().encode("utf-8"))
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    return path


def read_provenance(project_dir: Path, filename: str = PROVENANCE_FILE) -> Provenance:
    """Read the provenance file of `project_dir`."""
    path = Path(project_dir) / filename
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ProvenanceError(
            f"{project_dir} is not a scaffold project: it has no {PROVENANCE_FILE}"
            if filename == PROVENANCE_FILE
            else f"{project_dir} has no {filename}"
        ) from None
    except (OSError, ValueError) as error:
        raise ProvenanceError(f"cannot read {path}: {error}") from None
    if not isinstance(data, dict):
        raise ProvenanceError(f"{path} holds no JSON object; regenerate or restore it")
    known = {name for name in Provenance.__dataclass_fields__ if name != "extra"}
    missing = {"template_name", "template_version", "template_source", "answers"} - data.keys()
    if missing or not isinstance(data.get("answers"), dict):
        raise ProvenanceError(f"{path} lacks {', '.join(sorted(missing)) or 'answers'}")
    generated = data.get("generated")
    if generated is not None and not (
        isinstance(generated, dict)
        and all(isinstance(k, str) and isinstance(v, str) for k, v in generated.items())
    ):
        raise ProvenanceError(f"{path} has a 'generated' entry that is not {{path: digest}}")
    if not isinstance(data.get("directory") or "", str):
        raise ProvenanceError(f"{path} has a 'directory' entry that is not a folder name")
    data.setdefault("scaffold_version", "unknown")
    for key in ("template_name", "template_version", "template_source"):
        data[key] = str(data[key])
    return Provenance(
        **{key: data[key] for key in known if key in data},
        extra={key: value for key, value in data.items() if key not in known},
    )
