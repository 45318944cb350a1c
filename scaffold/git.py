"""The git questions scaffold asks: which commit, what is uncommitted, a copy at a commit."""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path


class GitFailed(Exception):
    """A git command failed; the message is git's own."""


def _git(*args: str, cwd: Path | None = None) -> str:
    try:
        result = subprocess.run(
            ["git", *args], cwd=cwd, capture_output=True, text=True, check=False
        )
    except FileNotFoundError:
        raise GitFailed("git is not installed") from None
    if result.returncode != 0:
        raise GitFailed(" ".join(result.stderr.split()) or f"git {args[0]} failed")
    return result.stdout


def head_commit(directory: Path) -> str | None:
    """The commit checked out in `directory`, when it is the top of a git work tree."""
    if not (Path(directory) / ".git").exists():
        return None
    try:
        return _git("rev-parse", "HEAD", cwd=directory).strip() or None
    except GitFailed:
        return None


def uncommitted_changes(directory: Path) -> list[str] | None:
    """Paths under `directory` with uncommitted changes (untracked files included), or None
    when `directory` is not inside a git work tree."""
    try:
        _git("rev-parse", "--is-inside-work-tree", cwd=directory)
    except GitFailed:
        return None
    status = _git("status", "--porcelain", "--untracked-files=all", "--", ".", cwd=directory)
    return [line[3:] for line in status.splitlines() if line.strip()]


def ignored_paths(directory: Path, paths: list[str]) -> set[str]:
    """Those of `paths` (relative to `directory`) that git's ignore rules exclude: the rules
    of the repository `directory` is in, or, outside git, of its own .gitignore files."""
    found = _check_ignore(directory, paths)
    if found is None:  # not in a git work tree: ask with a throwaway repository beside it
        with tempfile.TemporaryDirectory(prefix="scaffold-git-") as git_dir:
            _git("init", "--quiet", "--bare", git_dir)
            found = _check_ignore(directory, paths, f"--git-dir={git_dir}", "--work-tree=.")
    return found or set()


def _check_ignore(directory: Path, paths: list[str], *options: str) -> set[str] | None:
    try:
        result = subprocess.run(
            ["git", *options, "check-ignore", "--no-index", "-z", "--stdin"],
            cwd=directory,
            input="\0".join(paths).encode(),
            capture_output=True,
            check=False,
        )
    except FileNotFoundError:
        return None
    if result.returncode not in (0, 1):  # 128: not a git work tree
        return None
    return set(result.stdout.decode(errors="surrogateescape").split("\0")) - {""}


def is_tracked(directory: Path, relative: str) -> bool:
    """True when `relative` is committed (or staged) in the git repository of `directory`."""
    try:
        _git("ls-files", "--error-unmatch", "--", relative, cwd=directory)
    except GitFailed:
        return False
    return True


def checkout_commit(source: str, commit: str, destination: Path) -> Path:
    """Clone `source` (a URL, also cookiecutter's `git+` form, or a local repository) into
    `destination` at `commit`."""
    _git("clone", "--quiet", "--no-checkout", source.removeprefix("git+"), str(destination))
    _git("-c", "advice.detachedHead=false", "checkout", "--quiet", commit, cwd=destination)
    return destination
