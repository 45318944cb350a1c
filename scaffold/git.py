"""The git questions scaffold asks (which commit, what is uncommitted, a copy at a commit) and
the one thing it commits: a new project's start."""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path

GIT_MISSING = "git is not installed"


class GitFailed(Exception):
    """A git command failed; the message is git's own."""


def _git(*args: str, cwd: Path | None = None, env: Mapping[str, str] | None = None) -> str:
    try:
        result = subprocess.run(
            ["git", *args],
            cwd=cwd,
            capture_output=True,
            text=True,
            check=False,
            env={**os.environ, **env} if env else None,
        )
    except FileNotFoundError:
        raise GitFailed(GIT_MISSING) from None
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


def work_tree_root(directory: Path) -> Path | None:
    """The top folder of the git work tree `directory` is in, or None outside one."""
    try:
        return Path(_git("rev-parse", "--show-toplevel", cwd=directory).strip()).resolve()
    except GitFailed:
        return None


def start_repository(directory: Path, message: str, fallback: tuple[str, str]) -> str | None:
    """`git init` in `directory` and commit everything in it (its ignore rules apply).
    Returns the identity the commit was made as when git has none configured: then the
    `fallback` (name, e-mail) commits, for this one command only."""
    _git("init", "--quiet", cwd=directory)
    return commit_paths(directory, ["."], message, fallback)


def commit_paths(
    directory: Path, paths: list[str], message: str, fallback: tuple[str, str]
) -> str | None:
    """Stage `paths` and commit them, as `start_repository` does."""
    _git("add", "--all", "--", *paths, cwd=directory)
    env = None if _has_identity(directory) else _identity_env(*fallback)
    _git("commit", "--quiet", "-m", message, cwd=directory, env=env)
    return None if env is None else f"{env['GIT_AUTHOR_NAME']} <{env['GIT_AUTHOR_EMAIL']}>"


def changed_paths(directory: Path) -> list[str]:
    """Every path `git status` lists in the repository at `directory` (untracked included)."""
    status = _git("status", "--porcelain", "--untracked-files=all", cwd=directory)
    return [line[3:] for line in status.splitlines() if line.strip()]


def _has_identity(directory: Path) -> bool:
    """True when git would commit here under a name and e-mail of its own (configured, or
    guessed where git's configuration lets it guess)."""
    try:
        _git("var", "GIT_AUTHOR_IDENT", cwd=directory)
        _git("var", "GIT_COMMITTER_IDENT", cwd=directory)
    except GitFailed:
        return False
    return True


def _identity_env(name: str, email: str) -> dict[str, str]:
    # git refuses '<', '>' and line breaks in an identity; answers may hold any of them.
    name = " ".join(re.sub(r"[<>]", "", name).split()) or "scaffold"
    email = "".join(re.sub(r"[<>]", "", email).split())
    email = email if "@" in email else "scaffold@localhost"
    return {
        "GIT_AUTHOR_NAME": name,
        "GIT_AUTHOR_EMAIL": email,
        "GIT_COMMITTER_NAME": name,
        "GIT_COMMITTER_EMAIL": email,
    }


def remote_commit(url: str, ref: str | None) -> str | None:
    """The commit a remote repository's `ref` (its default branch for None) points at, asked
    with `git ls-remote` (no clone); None when the remote does not list exactly one, e.g. for
    a commit id, or cannot be reached (the caller then clones, and says why if that fails)."""
    wanted = ref or "HEAD"
    try:
        listed = _git("ls-remote", "--", url, wanted)
    except GitFailed:
        return None
    commits: dict[str, str] = {}
    for line in listed.splitlines():
        commit, _, name = line.partition("\t")
        commits[name] = commit
    peeled = {name.removesuffix("^{}"): c for name, c in commits.items() if name.endswith("^{}")}
    found = {**{n: c for n, c in commits.items() if not n.endswith("^{}")}, **peeled}
    exact = [
        c for n, c in found.items() if n in (wanted, f"refs/heads/{wanted}", f"refs/tags/{wanted}")
    ]
    return exact[0] if len(set(exact)) == 1 else None
