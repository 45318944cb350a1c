"""Whether an update makes luisy recompute: luisy hashes a task from the syntax of the code it
uses (docstrings and comments left out) and from the project's requirement lines."""

from __future__ import annotations

import ast
import tomllib
from collections.abc import Mapping

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from scaffold.merge import WRITES, Change

REQUIREMENTS_FILE = "pyproject.toml"
LUISY_DISTRIBUTIONS = {"luisy", "luisy-scaffold"}


def recompute_reasons(yours: Mapping[str, bytes], changes: list[Change]) -> list[str]:
    """What in `changes` changes luisy's hashes of the project's tasks: each Python file under
    src/ whose code (not its docstrings or comments) changes, is added or removed, and the
    project's dependencies if they change. Empty when the next run recomputes nothing."""
    reasons = []
    for change in changes:
        before = yours.get(change.old_path or change.path)
        after = change.content if change.action in WRITES else None
        if _is_task_code(change.path):
            if _code(before) != _code(after):
                reasons.append(change.path)
        elif change.path == REQUIREMENTS_FILE and after is not None:
            if _dependencies(before) != _dependencies(after):
                reasons.append(f"the dependencies in {REQUIREMENTS_FILE}")
    return reasons


def uses_luisy(files: Mapping[str, bytes]) -> bool:
    """True when the project's dependencies name luisy or this library's distribution."""
    dependencies = _dependencies(files.get(REQUIREMENTS_FILE))
    if not isinstance(dependencies, list):
        return False
    names = set()
    for line in dependencies:
        try:
            names.add(canonicalize_name(Requirement(str(line)).name))
        except InvalidRequirement:
            continue
    return bool(names & LUISY_DISTRIBUTIONS)


def _is_task_code(path: str) -> bool:
    """A module tasks may use: Python under src/, but not the command line (`__main__.py`)."""
    return path.startswith("src/") and path.endswith(".py") and not path.endswith("/__main__.py")


def _code(content: bytes | None) -> str | None:
    """The module's syntax without docstrings; the text itself when it does not parse."""
    if content is None:
        return None
    try:
        tree = ast.parse(content)
    except (SyntaxError, ValueError):
        return content.decode("utf-8", "replace")
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and _is_docstring(body[0]):
            node.body = body[1:] or [ast.Pass()]
    return ast.dump(tree)


def _is_docstring(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Expr)
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
    )


def _dependencies(content: bytes | None) -> object:
    """The `dependencies` of a pyproject.toml; the bytes when it does not parse."""
    if content is None:
        return None
    try:
        return tomllib.loads(content.decode("utf-8")).get("project", {}).get("dependencies")
    except (tomllib.TOMLDecodeError, UnicodeDecodeError):
        return content
