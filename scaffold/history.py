"""Every released version of the bundled templates, kept as zip files inside the package.

`scaffold update` renders a project's old template version from here, offline. A template
version is released by archiving it: `python -m scaffold.history`. A test fails when the
bundled template differs from the archive of the version it declares, so a change to the
template cannot ship without a new version number.
"""

from __future__ import annotations

import contextlib
import re
import sys
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

from scaffold.errors import ScaffoldError, TemplateVersionUnavailable
from scaffold.templates import (
    BUNDLED_KINDS,
    bundled_template_dir,
    bundled_templates,
    read_template_info,
)

HISTORY_DIR = Path(__file__).resolve().parent / "template_history"
# A fixed timestamp keeps an archive's bytes the same however often it is rebuilt.
_ZIP_TIME = (2024, 1, 1, 0, 0, 0)
_ARCHIVE_PART = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]*")


def template_files(template_dir: Path) -> dict[str, bytes]:
    """The files of a template as {relative path: content}, without Python caches."""
    template_dir = Path(template_dir)
    return {
        path.relative_to(template_dir).as_posix(): path.read_bytes()
        for path in sorted(template_dir.rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"
    }


def archive_path(name: str, version: str) -> Path:
    """Where the archive of template `name` at `version` lives."""
    if not (_ARCHIVE_PART.fullmatch(name) and _ARCHIVE_PART.fullmatch(version)):
        raise TemplateVersionUnavailable(
            f"template name {name!r} or version {version!r} is not a plain name such as"
            " 'luisy-pipeline' and '1.2.0'"
        )
    return HISTORY_DIR / f"{name}-{version}.zip"


def archived_files(name: str, version: str) -> dict[str, bytes]:
    """The files of an archived template version, as `template_files` gives them."""
    with _open_archive(name, version) as archive:
        prefix = f"{name}-{version}/"
        return {
            info.filename.removeprefix(prefix): archive.read(info)
            for info in archive.infolist()
            if not info.is_dir()
        }


def archive_template(template_dir: Path) -> Path:
    """Archive a template under its declared name and version; refuse to change a released one."""
    info = read_template_info(template_dir)
    files = template_files(template_dir)
    path = archive_path(info.name, info.version)
    if path.exists():
        if archived_files(info.name, info.version) == files:
            return path
        raise ScaffoldError(
            f"{path.name} already holds a different {info.name} {info.version}; "
            "raise _template_version in cookiecutter.json for the changed template"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "x", compression=zipfile.ZIP_DEFLATED) as archive:
        for relative, content in files.items():
            entry = zipfile.ZipInfo(f"{info.name}-{info.version}/{relative}", _ZIP_TIME)
            entry.external_attr = 0o644 << 16
            entry.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(entry, content)
    return path


@contextlib.contextmanager
def open_bundled_version(name: str, version: str) -> Iterator[Path]:
    """Yield a directory holding the bundled template `name` at `version`."""
    for current in bundled_templates():
        if (current.name, current.version) == (name, version):
            yield current.path
            return
    with tempfile.TemporaryDirectory(prefix="scaffold-old-template-") as folder:
        for relative, content in archived_files(name, version).items():
            target = Path(folder, relative)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
        yield Path(folder)


@contextlib.contextmanager
def _open_archive(name: str, version: str) -> Iterator[zipfile.ZipFile]:
    path = archive_path(name, version)
    try:
        with zipfile.ZipFile(path) as archive:
            yield archive
    except FileNotFoundError:
        known = sorted(p.stem for p in HISTORY_DIR.glob("*.zip"))
        raise TemplateVersionUnavailable(
            f"this scaffold does not have template {name} {version}"
            f" (it has: {', '.join(known) or 'none'}); install the luisy-scaffold release"
            " that made the project, or a newer one"
        ) from None
    except (OSError, zipfile.BadZipFile) as error:
        raise TemplateVersionUnavailable(f"cannot read {path.name}: {error}") from None


def main() -> int:
    """Archive each bundled template's current version (a release step for maintainers)."""
    for kind in BUNDLED_KINDS:
        try:
            path = archive_template(bundled_template_dir(kind))
        except ScaffoldError as error:
            print(f"Error: {error}", file=sys.stderr)
            return error.exit_code
        print(f"Archived the bundled {kind} template as {path.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
