"""`scaffold check` and `scaffold update` on projects made from a git team template.

The template moves from version A (the bundled template, 1.x) to version B with real changes:
a new file, a changed file the user did not touch, a changed line the user also changed.
"""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from scaffold.cli import app
from scaffold.generate import new_project
from scaffold.provenance import read_provenance
from scaffold.templates import read_template_info
from tests.conftest import TEMPLATE_DIR, bake_bundled_version

runner = CliRunner()
PACKAGE = "team_pipeline"
TASKS = f"src/{PACKAGE}/tasks.py"
IMAGES = f"src/{PACKAGE}/images.py"
RED_DOC = '"""The red channel of every image, in final/RedChannel/."""'
TEMPLATE_RED_DOC = '"""Channel 0 (red) of every image, in final/RedChannel/."""'
USER_RED_DOC = '"""Red channels for the weekly report, in final/RedChannel/."""'
TO_NUMPY_DOC = '"""Every raw image as a .npy array, in interim/ToNumpy/."""'
TEMPLATE_TO_NUMPY_DOC = '"""Every raw image as a .npy array (dtype kept), in interim/ToNumpy/."""'
EXPORT_DOC = '"""The raw images: <working_dir>/<package>/raw/, any depth of subfolders."""'
USER_EXPORT_DOC = '"""The raw images of the lab camera, in <working_dir>/<package>/raw/."""'
TO_NUMPY_FUNC_DOC = '"""The image as a plain numpy array; dtype and shape are kept."""'
TEMPLATE_TO_NUMPY_FUNC_DOC = '"""The image as a plain numpy array, same dtype and shape."""'
CONTRIBUTING = "# Contributing\n\nRun `python -m pytest` before you push.\n"


def git(*args, cwd):
    result = subprocess.run(
        ["git", "-c", "user.name=Test", "-c", "user.email=test@example.com",
         "-c", "init.defaultBranch=main", "-c", "commit.gpgsign=false", *args],
        cwd=cwd, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def invoke(*args):
    return runner.invoke(app, [str(arg) for arg in args], catch_exceptions=False)


def edit(path, old, new):
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, (path, old)
    path.write_text(text.replace(old, new), encoding="utf-8")


def snapshot(folder):
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(Path(folder).rglob("*"))
        if p.is_file() and ".git" not in p.relative_to(folder).parts
    }


class TeamTemplate:
    """A team's template in its own git repository, at version A."""

    def __init__(self, root):
        self.root = Path(root)
        shutil.copytree(TEMPLATE_DIR, self.root, ignore=shutil.ignore_patterns("__pycache__"))
        self.version_a = json.loads((self.root / "cookiecutter.json").read_text())[
            "_template_version"
        ]
        git("init", "-q", cwd=self.root)
        git("add", "-A", cwd=self.root)
        git("commit", "-qm", "version A", cwd=self.root)
        self.commit_a = git("rev-parse", "HEAD", cwd=self.root)

    def release_b(self):
        """Version B: a new file, a changed file, changed lines in tasks.py."""
        project = self.root / "{{cookiecutter.project_slug}}"
        package = project / "src" / "{{cookiecutter.package_name}}"
        (project / "CONTRIBUTING.md").write_text(CONTRIBUTING, encoding="utf-8")
        edit(package / "images.py", TO_NUMPY_FUNC_DOC, TEMPLATE_TO_NUMPY_FUNC_DOC)
        edit(package / "tasks.py", RED_DOC, TEMPLATE_RED_DOC)
        edit(package / "tasks.py", TO_NUMPY_DOC, TEMPLATE_TO_NUMPY_DOC)
        edit(project / ".pre-commit-config.yaml", "repos:", "# Checks run on every commit.\nrepos:")
        edit(
            self.root / "cookiecutter.json",
            f'"_template_version": "{self.version_a}"',
            '"_template_version": "9.0.0"',
        )
        git("add", "-A", cwd=self.root)
        git("commit", "-qm", "version B", cwd=self.root)
        return git("rev-parse", "HEAD", cwd=self.root)


@pytest.fixture
def team_template(tmp_path):
    return TeamTemplate(tmp_path / "team-template")


def make_project(template, folder):
    """A project from the team template, in the git repository `new` starts for it."""
    generated = new_project(
        "Team Pipeline", output_dir=folder, template=str(template.root), no_input=True
    )
    return generated.project_dir


def user_edits(project, *, conflicting):
    """The user's own work: a changed task, a deleted file, a new file."""
    if conflicting:
        edit(project / TASKS, RED_DOC, USER_RED_DOC)
    else:
        edit(project / TASKS, EXPORT_DOC, USER_EXPORT_DOC)
    (project / ".pre-commit-config.yaml").unlink()
    (project / "src" / PACKAGE / "notes.py").write_text('"""Team notes."""\n', encoding="utf-8")
    git("add", "-A", cwd=project)
    git("commit", "-qm", "user edits", cwd=project)


@pytest.fixture
def edited_project(tmp_path, team_template):
    project = make_project(team_template, tmp_path / "projects")
    user_edits(project, conflicting=False)
    return project


def test_provenance_records_the_team_template_commit(edited_project, team_template):
    provenance = read_provenance(edited_project)
    assert provenance.template_source == str(team_template.root)
    assert provenance.commit == team_template.commit_a


def test_check_up_to_date_reports_local_edits(edited_project):
    result = invoke("check", edited_project)

    assert result.exit_code == 0, result.output
    assert "up to date" in result.output
    assert TASKS in result.output and ".pre-commit-config.yaml" in result.output
    assert "notes.py" not in result.output  # the user's own file is not the template's


def test_check_outdated_json(edited_project, team_template):
    team_template.release_b()

    result = invoke("check", edited_project, "--json")

    assert result.exit_code == 1, result.output
    report = json.loads(result.stdout)
    assert report["status"] == "outdated" and report["template_changed"] is True
    assert report["change"] == "version"
    assert (report["project_version"], report["latest_version"]) == (
        team_template.version_a,
        "9.0.0",
    )
    assert report["edited"] == [TASKS]
    assert report["deleted"] == [".pre-commit-config.yaml"]


@pytest.mark.parametrize("content", [None, "{not json", '{"answers": {}}', "[]", "null"])
def test_check_refuses_non_scaffold_folders(tmp_path, content):
    if content is not None:
        (tmp_path / ".scaffold.json").write_text(content)

    result = invoke("check", tmp_path)

    assert result.exit_code == 2
    assert result.stderr.startswith("Error: ") and ".scaffold.json" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_check_json_reports_errors_too(tmp_path):
    result = invoke("check", tmp_path, "--json")

    assert result.exit_code == 2
    assert json.loads(result.stdout)["status"] == "error"


def test_update_keeps_user_edits_and_applies_template_changes(edited_project, team_template):
    commit_b = team_template.release_b()
    own_file = (edited_project / "src" / PACKAGE / "notes.py").read_bytes()

    result = invoke("update", edited_project)

    assert result.exit_code == 0, result.output
    tasks = (edited_project / TASKS).read_text()
    assert USER_EXPORT_DOC in tasks and TEMPLATE_TO_NUMPY_DOC in tasks and TEMPLATE_RED_DOC in tasks
    assert TEMPLATE_TO_NUMPY_FUNC_DOC in (edited_project / IMAGES).read_text()
    assert (edited_project / "CONTRIBUTING.md").read_text() == CONTRIBUTING
    assert not (edited_project / ".pre-commit-config.yaml").exists()
    assert (edited_project / "src" / PACKAGE / "notes.py").read_bytes() == own_file
    provenance = read_provenance(edited_project)
    assert (provenance.template_version, provenance.commit) == ("9.0.0", commit_b)
    assert invoke("check", edited_project).exit_code == 0


def test_update_marks_conflicts_and_waits_for_them_to_be_resolved(tmp_path, team_template):
    project = make_project(team_template, tmp_path / "projects")
    user_edits(project, conflicting=True)
    commit_b = team_template.release_b()

    result = invoke("update", project)

    assert result.exit_code == 1, result.output
    assert TASKS in result.stderr and "scaffold update --continue" in result.stderr
    tasks = (project / TASKS).read_text()
    assert (
        f"<<<<<<< yours\n    {USER_RED_DOC}\n=======\n    {TEMPLATE_RED_DOC}\n"
        ">>>>>>> template luisy-pipeline 9.0.0\n"
    ) in tasks
    assert TEMPLATE_TO_NUMPY_DOC in tasks  # the template's other change still arrived
    assert (project / "CONTRIBUTING.md").exists()
    # Not done until the conflicts are resolved: the recorded version stays.
    assert read_provenance(project).template_version == team_template.version_a
    check = invoke("check", project)
    assert check.exit_code == 1 and "--continue" in check.output and TASKS in check.output
    again = invoke("update", project)
    assert again.exit_code == 2 and "waiting for its conflicts" in again.stderr
    early = invoke("update", project, "--continue")
    assert early.exit_code == 1 and TASKS in early.stderr
    assert read_provenance(project).template_version == team_template.version_a

    start = tasks.index("<<<<<<< yours")
    end = tasks.index("\n", tasks.index(">>>>>>> template")) + 1
    (project / TASKS).write_text(tasks[:start] + f"    {USER_RED_DOC}\n" + tasks[end:])
    finished = invoke("update", project, "--continue")

    assert finished.exit_code == 0, finished.output
    provenance = read_provenance(project)
    assert (provenance.template_version, provenance.commit) == ("9.0.0", commit_b)
    assert "conflicts" not in provenance.extra
    assert not (project / ".scaffold-update.json").exists()
    assert invoke("check", project).exit_code == 0


def test_continue_without_a_waiting_update_is_refused(edited_project):
    result = invoke("update", edited_project, "--continue")

    assert result.exit_code == 2 and "no update" in result.stderr


def test_moved_template_is_found_through_template_option(edited_project, team_template, tmp_path):
    team_template.release_b()
    moved = tmp_path / "moved-template"
    team_template.root.rename(moved)

    lost = invoke("update", edited_project)
    result = invoke("update", edited_project, "--template", moved)

    assert lost.exit_code == 2 and "--template" in lost.stderr
    assert result.exit_code == 0, result.output
    assert (edited_project / "CONTRIBUTING.md").read_text() == CONTRIBUTING
    # --template says where to read the template this time; the project keeps its own source.
    assert read_provenance(edited_project).template_source == str(team_template.root)


def test_git_plus_url_templates_update(tmp_path, team_template):
    generated = new_project(
        "Team Pipeline",
        output_dir=tmp_path / "projects",
        template=f"git+file://{team_template.root}",
    )
    team_template.release_b()

    result = invoke("update", generated.project_dir)

    assert result.exit_code == 0, result.output
    assert (generated.project_dir / "CONTRIBUTING.md").exists()


def test_a_folder_in_the_way_stops_the_update_before_any_write(edited_project, team_template):
    team_template.release_b()
    (edited_project / "CONTRIBUTING.md").mkdir()
    (edited_project / "CONTRIBUTING.md" / "notes.txt").write_text("mine\n")
    git("add", "-A", cwd=edited_project)
    git("commit", "-qm", "a folder", cwd=edited_project)
    before = snapshot(edited_project)

    result = invoke("update", edited_project)

    assert result.exit_code == 2
    assert "CONTRIBUTING.md" in result.stderr and "folder" in result.stderr
    assert snapshot(edited_project) == before
    assert not list(edited_project.rglob("*.tmp"))


def test_update_refuses_uncommitted_changes(edited_project, team_template):
    team_template.release_b()
    (edited_project / "README.md").write_text("work in progress\n")
    before = snapshot(edited_project)

    result = invoke("update", edited_project)

    assert result.exit_code == 2
    assert "uncommitted changes" in result.stderr and "README.md" in result.stderr
    assert snapshot(edited_project) == before


def test_dry_run_shows_changes_and_writes_nothing(edited_project, team_template):
    team_template.release_b()
    (edited_project / "README.md").write_text("uncommitted, and dry runs do not mind\n")
    before = snapshot(edited_project)

    result = invoke("update", edited_project, "--dry-run")

    assert result.exit_code == 0, result.output
    assert "Would update" in result.output
    assert "add          CONTRIBUTING.md" in result.output
    assert f"+    {TEMPLATE_TO_NUMPY_DOC}" in result.output  # a diff of tasks.py
    assert "keep deleted .pre-commit-config.yaml" in result.output
    assert snapshot(edited_project) == before


def test_failed_update_changes_nothing(edited_project, team_template):
    team_template.release_b()
    before = snapshot(edited_project)

    # A subprocess: the template's own hook says what is wrong, on the real stderr.
    result = subprocess.run(
        [sys.executable, "-m", "scaffold", "update", str(edited_project), "--set",
         "image_extensions="],
        capture_output=True, text=True, check=False,
    )  # fmt: skip

    assert result.returncode == 2
    assert "image_extensions" in result.stderr
    assert "pre-generation hook refused the answers" in result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""
    assert snapshot(edited_project) == before


def test_update_needs_the_recorded_commit(edited_project, team_template):
    team_template.release_b()
    git("reset", "-q", "--hard", "HEAD~1", cwd=team_template.root)
    git("commit", "-q", "--amend", "-m", "history rewritten", cwd=team_template.root)
    git("reflog", "expire", "--expire=now", "--all", cwd=team_template.root)
    git("gc", "-q", "--prune=now", cwd=team_template.root)
    before = snapshot(edited_project)

    result = invoke("update", edited_project)

    assert result.exit_code == 2
    assert "commit" in result.stderr and team_template.commit_a[:12] in result.stderr
    assert snapshot(edited_project) == before


def test_set_renaming_the_package_carries_edits_over(edited_project):
    result = invoke("update", edited_project, "--set", "package_name=lab_pipeline")

    assert result.exit_code == 0, result.output
    assert f"left behind  src/{PACKAGE}/notes.py" in result.output
    assert not (edited_project / "src" / PACKAGE / "tasks.py").exists()
    tasks = (edited_project / "src" / "lab_pipeline" / "tasks.py").read_text()
    assert USER_EXPORT_DOC in tasks
    assert "from lab_pipeline.images import (" in tasks
    # The user's own file stays where the user put it.
    assert (edited_project / "src" / PACKAGE / "notes.py").exists()
    assert read_provenance(edited_project).answers["package_name"] == "lab_pipeline"


@pytest.mark.slow
def test_updated_project_passes_its_own_tests(edited_project, team_template):
    team_template.release_b()
    assert invoke("update", edited_project).exit_code == 0

    def run(*command):
        return subprocess.run(
            [sys.executable, "-m", *command],
            cwd=edited_project,
            capture_output=True,
            text=True,
            timeout=1200,
        )

    install = run("pip", "install", "--no-deps", "--no-build-isolation", ".")
    assert install.returncode == 0, install.stderr
    try:
        tests = run("pytest", "-q", "-p", "no:cacheprovider", "tests/test_images.py",
                    "tests/test_pipeline.py", "-k", "not killed")  # fmt: skip
        lint = run("ruff", "check", "--no-cache", ".")
    finally:
        run("pip", "uninstall", "-y", "team-pipeline")
    assert tests.returncode == 0, tests.stdout[-4000:] + tests.stderr[-2000:]
    assert " passed" in tests.stdout
    assert lint.returncode == 0, lint.stdout


def test_bundled_project_updates_from_an_archived_version(tmp_path):
    """The bundled template's earlier versions travel with scaffold: no network, no git."""
    project = bake_bundled_version("1.0.0", "Team Pipeline", tmp_path)
    edit(project / "README.md", "# Team Pipeline\n", "# Team Pipeline, lab edition\n")
    latest = read_template_info(TEMPLATE_DIR).version

    check = invoke("check", project)
    assert check.exit_code == 1 and f"{latest} is available" in check.output
    assert "README.md" in check.output  # edited since generation

    result = invoke("update", project)

    assert result.exit_code == 0, result.output
    readme = (project / "README.md").read_text()
    assert readme.startswith("# Team Pipeline, lab edition\n") and "## Add a task" in readme
    provenance = read_provenance(project)
    assert (provenance.template_source, provenance.template_version) == ("bundled", latest)
    assert invoke("check", project).exit_code == 0


def test_set_renaming_onto_an_existing_file_is_refused(edited_project):
    (edited_project / "src" / "lab_pipeline").mkdir()
    (edited_project / "src" / "lab_pipeline" / "tasks.py").write_text("# mine\n")
    git("add", "-A", cwd=edited_project)
    git("commit", "-qm", "a file where the template will move tasks.py", cwd=edited_project)
    before = snapshot(edited_project)

    result = invoke("update", edited_project, "--set", "package_name=lab_pipeline")

    assert result.exit_code == 2
    assert "src/lab_pipeline/tasks.py" in result.stderr and "move that file away" in result.stderr
    assert snapshot(edited_project) == before


def test_check_sees_a_newer_commit_of_the_same_version(edited_project, team_template):
    (team_template.root / "NOTES.md").write_text("Template notes, outside the project.\n")
    git("add", "-A", cwd=team_template.root)
    git("commit", "-qm", "notes", cwd=team_template.root)
    newer = git("rev-parse", "HEAD", cwd=team_template.root)

    result = invoke("check", edited_project)

    assert result.exit_code == 1
    assert f"commit {newer[:12]} is newer" in result.output


def test_check_json_counts_a_newer_commit_as_a_template_change(edited_project, team_template):
    edit(
        team_template.root / "{{cookiecutter.project_slug}}" / "README.md",
        "## Run it",
        "## Run the pipeline",
    )
    git("commit", "-qam", "a heading nudged, same version", cwd=team_template.root)
    newer = git("rev-parse", "HEAD", cwd=team_template.root)

    result = invoke("check", edited_project, "--json")

    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["project_version"] == report["latest_version"] == team_template.version_a
    assert report["status"] == "outdated" and report["newer_commit"] == newer
    assert report["template_changed"] is True and report["change"] == "commit"


@pytest.fixture
def conflicted_project(tmp_path, team_template):
    project = make_project(team_template, tmp_path / "projects")
    user_edits(project, conflicting=True)
    team_template.release_b()
    assert invoke("update", project).exit_code == 1
    return project


def test_keeping_your_own_side_of_every_conflict_finishes_the_update(tmp_path, team_template):
    project = make_project(team_template, tmp_path / "projects")
    user_edits(project, conflicting=True)
    package = team_template.root / "{{cookiecutter.project_slug}}" / "src"
    edit(package / "{{cookiecutter.package_name}}" / "tasks.py", RED_DOC, TEMPLATE_RED_DOC)
    git("commit", "-qam", "only the line the user changed too", cwd=team_template.root)
    newer = git("rev-parse", "HEAD", cwd=team_template.root)
    yours = (project / TASKS).read_bytes()
    assert invoke("update", project).exit_code == 1
    (project / TASKS).write_bytes(yours)  # every conflict resolved as "yours"

    result = invoke("update", project, "--continue")

    assert result.exit_code == 0, result.output
    assert read_provenance(project).commit == newer
    assert not (project / ".scaffold-update.json").exists()
    git("add", "-A", cwd=project)
    git("commit", "-qm", "kept our red channel docstring", cwd=project)
    again = invoke("update", project)
    assert again.exit_code == 0 and "nothing to change" in again.output
    assert (project / TASKS).read_bytes() == yours


def test_continue_refuses_half_removed_markers(conflicted_project, team_template):
    tasks = (conflicted_project / TASKS).read_text()
    (conflicted_project / TASKS).write_text(tasks.replace("<<<<<<< yours\n", ""))

    result = invoke("update", conflicted_project, "--continue")

    assert result.exit_code == 1 and TASKS in result.stderr
    assert read_provenance(conflicted_project).template_version == team_template.version_a


def test_check_json_reports_a_waiting_update(conflicted_project):
    result = invoke("check", conflicted_project, "--json")

    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["status"] == "update waiting" and report["update_waiting_for"] == "9.0.0"
    assert TASKS in report["conflicted"]


def test_corrupt_pending_file_is_a_clean_error(conflicted_project):
    pending = conflicted_project / ".scaffold-update.json"
    data = json.loads(pending.read_text())
    pending.write_text(json.dumps({**data, "conflicts": None}))

    check = invoke("check", conflicted_project)
    finish = invoke("update", conflicted_project, "--continue")

    assert check.exit_code == 2 and finish.exit_code == 2
    assert "delete it" in check.stderr and "delete it" in finish.stderr


def test_markers_in_an_up_to_date_project_fail_check(edited_project):
    with open(edited_project / "README.md", "a") as handle:
        handle.write("<<<<<<< yours\nmine\n=======\ntheirs\n>>>>>>> other\n")

    result = invoke("check", edited_project, "--json")

    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["status"] == "conflicts" and report["conflicted"] == ["README.md"]


def test_bundled_project_can_move_to_a_team_copy_of_the_template(tmp_path):
    project = bake_bundled_version("1.0.0", "Team Pipeline", tmp_path)
    team_copy = tmp_path / "team-template"
    shutil.copytree(TEMPLATE_DIR, team_copy, ignore=shutil.ignore_patterns("__pycache__"))

    result = invoke("update", project, "--template", team_copy)

    assert result.exit_code == 0, result.output
    assert read_provenance(project).template_source == str(team_copy)
