"""`scaffold diff`: the user's changes to the template's files, on real generated projects.

Projects come from the bundled template (its first commit is the generation, so `git diff`
is an independent oracle) and from small templates written here, in git or a plain folder.
"""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from scaffold.cli import app
from scaffold.generate import new_project
from scaffold.journal import JOURNAL_FILE
from scaffold.provenance import read_provenance
from scaffold.templates import read_template_info
from tests.conftest import REPO_ROOT, TEMPLATE_DIR, bake_bundled_version
from tests.test_hostile_templates import git

runner = CliRunner()
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256))
PROJECT = "{{cookiecutter.project_slug}}"


def invoke(*args):
    return runner.invoke(app, ["diff", *map(str, args)], catch_exceptions=False)


def everything(folder):
    """Every file's bytes and every folder under `folder`, its git repository included."""
    return {
        p.relative_to(folder).as_posix(): None if p.is_dir() else p.read_bytes()
        for p in sorted(Path(folder).rglob("*"))
    }


def git_diff(project):
    """What git shows against the project's first commit (its generation; files the user
    added are untracked, so not shown), without the `index` lines and the function names git
    adds to hunk headers."""
    shown = subprocess.run(
        ["git", "diff", "--no-color", "--no-ext-diff", "HEAD"],
        cwd=project,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    shown = "".join(line for line in shown.splitlines(True) if not line.startswith("index "))
    return re.sub(r"^(@@ [^@]+ @@).*$", r"\1", shown, flags=re.MULTILINE)


@pytest.fixture
def bundled(tmp_path):
    """A project from the bundled template, in the git repository `new` starts for it."""
    made = new_project("Diff Pipe", output_dir=tmp_path / "out", no_input=True)
    return made.project_dir


def write_template(root, files, version="1.0.0"):
    """A small cookiecutter template at `root`: {path: text or bytes} of its project folder."""
    root = Path(root)
    context = {
        "_template_name": "small",
        "_template_version": version,
        "project_name": "Small",
        "project_slug": "{{ cookiecutter.project_name.lower() }}",
    }
    root.mkdir(parents=True, exist_ok=True)
    (root / "cookiecutter.json").write_text(json.dumps(context))
    for relative, content in files.items():
        path = root / PROJECT / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        (path.write_bytes if isinstance(content, bytes) else path.write_text)(content)
    return root


SMALL = {
    "README.md": "# {{ cookiecutter.project_name }}\n\nline a\nline b\nline c\n",
    "data/logo.png": PNG,
    ".gitignore": "*.log\n",
    "notes.log": "kept by the template, ignored by git\n",
}


@pytest.fixture
def git_template(tmp_path):
    template = write_template(tmp_path / "team-template", SMALL)
    git("init", "-q", cwd=template)
    git("add", "-A", cwd=template)
    git("commit", "-qm", "version 1", cwd=template)
    return template


def new_small(template, out):
    made = new_project("Small", output_dir=out, template=str(template), no_input=True)
    return made.project_dir


def test_help_says_what_is_compared():
    result = invoke("--help")
    assert result.exit_code == 0
    text = " ".join(result.output.split())
    assert "--exit-code" in text
    assert "Runs none of the template's hooks" in text
    assert "Files you added are your own and not shown" in text


def test_an_untouched_project_has_an_empty_diff(bundled):
    for options in [(), ("--exit-code",)]:
        result = invoke(bundled, *options)
        assert (result.exit_code, result.stdout, result.stderr) == (0, "", "")


def test_an_edited_file_shows_exactly_the_changed_lines(bundled):
    readme = bundled / "README.md"
    lines = readme.read_text(encoding="utf-8").splitlines(True)
    old = lines[0]
    readme.write_text("".join(["# Our own title\n", *lines[1:]]), encoding="utf-8")
    result = invoke(bundled)
    assert result.exit_code == 0
    assert result.stdout.startswith(
        "diff --git a/README.md b/README.md\n--- a/README.md\n+++ b/README.md\n@@ -1,"
    )
    changed = [line for line in result.stdout.splitlines(True)[3:] if line[0] in "+-"]
    assert changed == [f"-{old}", "+# Our own title\n"]
    assert result.stdout == git_diff(bundled)


def test_a_deleted_template_file_is_a_deletion(bundled):
    content = (bundled / "luigi.cfg").read_text(encoding="utf-8")
    (bundled / "luigi.cfg").unlink()
    result = invoke(bundled)
    lines = content.splitlines(True)
    assert result.stdout == (
        "diff --git a/luigi.cfg b/luigi.cfg\ndeleted file mode 100644\n"
        f"--- a/luigi.cfg\n+++ /dev/null\n@@ -1,{len(lines)} +0,0 @@\n"
        + "".join(f"-{line}" for line in lines)
    )
    assert result.stdout == git_diff(bundled)


def test_a_file_the_user_added_is_not_shown(bundled):
    package = bundled / "src" / read_provenance(bundled).answers["package_name"]
    (package / "notes.py").write_text('"""Our notes."""\n', encoding="utf-8")
    result = invoke(bundled, "--exit-code")
    assert (result.exit_code, result.stdout) == (0, "")


def test_exit_code_is_1_with_changes_and_the_whole_diff_is_gits(bundled):
    with open(bundled / "pyproject.toml", "a", encoding="utf-8") as handle:
        handle.write("# no line break at the end")
    (bundled / ".pre-commit-config.yaml").unlink()
    (bundled / "mine.txt").write_text("mine\n")
    assert invoke(bundled).exit_code == 0
    result = invoke(bundled, "--exit-code")
    assert result.exit_code == 1
    assert "\\ No newline at end of file\n" in result.stdout
    assert "mine.txt" not in result.stdout
    assert result.stdout == git_diff(bundled)


def test_an_older_bundled_version_diffs_against_its_archive(tmp_path):
    project = bake_bundled_version("1.0.0", "Old Pipe", tmp_path)
    assert read_provenance(project).template_version != read_template_info(TEMPLATE_DIR).version
    assert invoke(project, "--exit-code").stdout == ""  # not against the newer bundled version
    with open(project / "luigi.cfg", "a", encoding="utf-8") as handle:
        handle.write("[worker]\n")
    result = invoke(project, "--exit-code")
    assert result.exit_code == 1
    assert result.stdout.startswith("diff --git a/luigi.cfg b/luigi.cfg\n")
    assert result.stdout.endswith("\n+[worker]\n")


def test_a_changed_binary_file(git_template, tmp_path):
    project = new_small(git_template, tmp_path / "out")
    (project / "data" / "logo.png").write_bytes(PNG + b"\x00more")
    result = invoke(project, "--exit-code")
    assert result.exit_code == 1
    assert result.stdout == (
        "diff --git a/data/logo.png b/data/logo.png\n"
        "Binary files a/data/logo.png and b/data/logo.png differ\n"
    )


def test_files_git_ignores_in_the_project_are_left_out(git_template, tmp_path):
    project = new_small(git_template, tmp_path / "out")
    (project / "notes.log").write_text("changed, and ignored\n")
    assert invoke(project, "--exit-code").stdout == ""


def test_a_git_template_that_moved_on_still_diffs_against_the_recorded_commit(
    git_template, tmp_path
):
    project = new_small(git_template, tmp_path / "out")
    recorded = read_provenance(project).commit
    readme = git_template / PROJECT / "README.md"
    readme.write_text(readme.read_text().replace("line b", "line b, as the template has it now"))
    git("commit", "-qam", "version 1, changed", cwd=git_template)
    assert invoke(project, "--exit-code").stdout == ""  # the new commit is no change of the user's
    (project / "README.md").write_text("# Small\n\nline a\nline c\n")
    result = invoke(project)
    assert result.stdout == (
        "diff --git a/README.md b/README.md\n--- a/README.md\n+++ b/README.md\n"
        "@@ -1,5 +1,4 @@\n # Small\n \n line a\n-line b\n line c\n"
    )
    assert read_provenance(project).commit == recorded


def test_a_folder_template_as_check_handles_it(tmp_path):
    template = write_template(tmp_path / "folder-template", SMALL)
    project = new_small(template, tmp_path / "out")
    assert invoke(project, "--exit-code").stdout == ""
    (project / "README.md").write_text("# Small\n\nline a\nline b\nline c\nline d\n")
    assert invoke(project).stdout.endswith(" line c\n+line d\n")


def test_not_a_scaffold_project_is_one_line_and_exit_2(tmp_path):
    result = invoke(tmp_path)
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr.count("\n") == 1
    assert "is not a scaffold project" in result.stderr


def test_a_template_that_cannot_be_reached_is_one_line_and_exit_2(git_template, tmp_path):
    project = new_small(git_template, tmp_path / "out")
    shutil.rmtree(git_template)
    result = invoke(project)
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr.count("\n") == 1
    assert "cannot check out commit" in result.stderr


def test_a_waiting_journal_is_refused_with_recover(bundled):
    (bundled / JOURNAL_FILE).write_text("{}")
    result = invoke(bundled)
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr.count("\n") == 1
    assert "scaffold recover" in result.stderr


def test_diff_writes_nothing_in_the_project(bundled):
    (bundled / "README.md").write_text("rewritten\n")
    (bundled / "luigi.cfg").unlink()
    (bundled / "mine.txt").write_text("mine\n")
    before = everything(bundled)
    assert invoke(bundled, "--exit-code").exit_code == 1
    assert everything(bundled) == before


def test_python_m_scaffold_diff_in_the_project_folder(git_template, tmp_path):
    project = new_small(git_template, tmp_path / "out")
    (project / "README.md").write_text("# Small\n\nline a\nline b\nline c\nline d\n")
    result = subprocess.run(
        [sys.executable, "-m", "scaffold", "diff", "--exit-code"],
        cwd=project,  # PATH defaults to the current folder
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},  # this checkout's scaffold
        capture_output=True,
        text=True,
        check=False,
    )
    assert (result.returncode, result.stderr) == (1, "")
    assert result.stdout == (
        "diff --git a/README.md b/README.md\n--- a/README.md\n+++ b/README.md\n"
        "@@ -3,3 +3,4 @@\n line a\n line b\n line c\n+line d\n"
    )
