"""The pre-commit hook a team's project can use: `scaffold check` on every commit."""

import tomllib

import typer
import yaml

from scaffold.cli import app
from tests.conftest import REPO_ROOT


def hooks():
    return yaml.safe_load((REPO_ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))


def test_scaffold_check_hook_runs_once_per_commit():
    (hook,) = [hook for hook in hooks() if hook["id"] == "scaffold-check"]
    assert hook["entry"] == "scaffold check"
    assert hook["language"] == "python"
    assert hook["pass_filenames"] is False  # check takes a project folder, not changed files
    assert hook["always_run"] is True
    assert {"id", "name", "entry", "language"} <= hook.keys()  # what pre-commit requires


def test_every_hook_entry_is_a_scaffold_command():
    scripts = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    commands = typer.main.get_command(app).commands
    for hook in hooks():
        program, command, *_ = hook["entry"].split()
        assert program in scripts, hook
        assert command in commands, hook
