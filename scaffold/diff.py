"""`scaffold diff`: the user's changes to the template's files, as a unified diff."""

from __future__ import annotations

import difflib
import stat
from pathlib import Path

from scaffold.errors import UnsafePath
from scaffold.files import project_path, same_file_content
from scaffold.journal import reading_project
from scaffold.provenance import PROVENANCE_FILE, read_provenance
from scaffold.rendering import project_files
from scaffold.scratch import private_temp
from scaffold.versions import recorded_render

_NO_NEWLINE = "\\ No newline at end of file\n"


def diff_project(project_dir: Path | str, template: str | None = None) -> str:
    """The project's changes to its template's files, as a unified diff (`a/` the template,
    `b/` the project, paths relative to the project), against the template rendered with the
    recorded answers at the version or commit that made the project.

    Runs none of the template's hooks, as `check`: it compares the template's own files. Files
    only the project has are the user's own and are not shown; a template file the project
    lacks is shown as deleted; files the project's git ignores are left out. Reads only.
    `template` is another copy of the template to render from (e.g. its clone after a move).
    """
    project_dir = Path(project_dir).resolve()
    with private_temp(), reading_project(project_dir):
        provenance = read_provenance(project_dir)
        with recorded_render(provenance, template) as base:
            return "".join(
                file_diff(relative, rendered, _project_file(project_dir, relative))
                for relative, rendered in project_files(base, project_dir)
                if relative != PROVENANCE_FILE
            )


def _project_file(project_dir: Path, relative: str) -> Path | None:
    """The project's file at `relative`, or None when it has none there. A symbolic link on
    the way counts as none: scaffold never follows links inside a project."""
    try:
        path = project_path(project_dir, relative)
    except UnsafePath:
        return None
    return path if path.is_file() else None


def file_diff(relative: str, template_file: Path, project_file: Path | None) -> str:
    """The diff of one template file against the project's file (None: deleted), as git
    writes it; empty when they are the same."""
    if project_file is not None and same_file_content(template_file, project_file):
        return ""
    new = project_file.read_bytes() if project_file is not None else None
    mode = "100755" if template_file.stat().st_mode & stat.S_IXUSR else "100644"
    return content_diff(relative, template_file.read_bytes(), new, mode)


def content_diff(relative: str, old: bytes, new: bytes | None, mode: str = "100644") -> str:
    """The change of the file at `relative` from `old` to `new` (None: deleted, a file of
    `mode`) as git writes it; empty when they are the same."""
    if old == new:
        return ""
    header = f"diff --git a/{relative} b/{relative}\n"
    if new is None:
        header += f"deleted file mode {mode}\n"
    old_text, new_text = _text(old), _text(new or b"")
    if old_text is None or new_text is None:
        target = "/dev/null" if new is None else f"b/{relative}"
        return f"{header}Binary files a/{relative} and {target} differ\n"
    lines = difflib.unified_diff(
        _lines(old_text),
        _lines(new_text),
        f"a/{relative}",
        "/dev/null" if new is None else f"b/{relative}",
        lineterm="\n",
    )
    return header + "".join(_terminated(line) for line in lines)


def _text(content: bytes) -> str | None:
    """`content` as text, or None for a binary file (a NUL byte, as git decides, or not UTF-8)."""
    if b"\0" in content:
        return None
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _lines(text: str) -> list[str]:
    """The lines of `text`, split at "\\n" only (a "\\r" or form feed stays in its line)."""
    lines = [line + "\n" for line in text.split("\n")]
    lines[-1] = lines[-1][:-1]
    return lines if lines[-1] else lines[:-1]


def _terminated(line: str) -> str:
    """A diff line, with git's marker after a last line that has no line break."""
    return line if line.endswith("\n") else line + "\n" + _NO_NEWLINE
