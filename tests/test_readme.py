"""The README's set-up commands are the ones CI runs."""

import re

from tests.conftest import REPO_ROOT


def shell_commands(markdown):
    return re.findall(r"```bash\n(.*?)\n```", markdown, flags=re.DOTALL)


def test_ci_runs_the_readme_test_command():
    commands = shell_commands((REPO_ROOT / "README.md").read_text())
    test_command = next(c for c in commands if "pytest" in c)
    assert test_command in (REPO_ROOT / ".ci" / "run").read_text().splitlines()


def test_readme_main_job_generates_and_runs_the_pipeline():
    commands = shell_commands((REPO_ROOT / "README.md").read_text())
    main_job = commands[0]
    for step in ["scaffold new", "samples", "run", "pip install ."]:
        assert step in main_job
