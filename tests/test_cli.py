"""The scaffold command line, command by command, through Typer's CliRunner."""

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from scaffold import __version__
from scaffold.cli import app
from tests.conftest import BAD_PACKAGE_NAMES, TEMPLATE_DIR

runner = CliRunner()


def invoke(*args):
    return runner.invoke(app, [str(arg) for arg in args], catch_exceptions=False)


def tree(folder):
    return sorted(p.relative_to(folder).as_posix() for p in Path(folder).rglob("*"))


def test_help_lists_commands():
    result = invoke("--help")
    assert result.exit_code == 0
    assert "new" in result.output and "templates" in result.output


def test_new_help_describes_options():
    result = invoke("new", "--help")
    assert result.exit_code == 0
    for option in ["--output-dir", "--set", "--template", "--checkout", "--dry-run", "--force"]:
        assert option in result.output


def test_version():
    result = invoke("--version")
    assert result.exit_code == 0
    assert result.output.strip() == f"scaffold {__version__}"


def test_templates_lists_variables_with_defaults():
    result = invoke("templates")
    assert result.exit_code == 0
    assert "luisy-pipeline" in result.output
    assert "image_extensions = 'png,jpg,jpeg,tif,tiff,bmp,webp'" in result.output
    assert "project_slug = 'my-image-pipeline'  (follows the answers above)" in result.output
    assert "{{" not in result.output
    assert "_reserved_packages" not in result.output
    assert "luisy-pipeline (version 2.0.0): scaffold new NAME --template images" in result.output
    assert "luisy-curves (version 1.0.0): scaffold new NAME --template curves" in result.output
    assert "project_slug = 'my-curve-pipeline'" in result.output


def test_new_writes_project_and_prints_next_steps(tmp_path):
    result = invoke("new", "My Image Pipeline", "--no-input", "-o", tmp_path)

    project = tmp_path / "my-image-pipeline"
    assert result.exit_code == 0, result.output
    assert (project / "src" / "my_image_pipeline" / "tasks.py").is_file()
    assert f"Created {project}" in result.output
    assert "python -m my_image_pipeline run" in result.output
    assert [p.name for p in tmp_path.iterdir()] == ["my-image-pipeline"]


def test_slug_is_accepted_as_name_and_output_dir_is_created(tmp_path):
    target = tmp_path / "new" / "folder"
    result = invoke("new", "my-image-pipeline", "--no-input", "--output-dir", target)
    assert result.exit_code == 0, result.output
    assert (target / "my-image-pipeline" / "src" / "my_image_pipeline").is_dir()


def test_set_overrides_derived_names(tmp_path):
    result = invoke(
        "new", "Pipe", "--no-input", "-o", tmp_path,
        "--set", "project_slug=custom-dir", "--set", "package_name=custom_pkg",
        "--set", "author=Ada",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    project = tmp_path / "custom-dir"
    assert (project / "src" / "custom_pkg").is_dir()
    provenance = json.loads((project / ".scaffold.json").read_text())
    assert provenance["answers"]["author"] == "Ada"
    assert provenance["template_source"] == "bundled"
    assert provenance["scaffold_version"] == __version__


def test_unknown_set_key_lists_known_keys(tmp_path):
    result = invoke("new", "Pipe", "--no-input", "-o", tmp_path, "--set", "colour=red")
    assert result.exit_code == 2
    assert "unknown template variable 'colour'" in result.output
    assert "image_extensions" in result.output and "package_name" in result.output
    assert tree(tmp_path) == []


def test_set_without_equals_is_an_error(tmp_path):
    result = invoke("new", "Pipe", "--no-input", "-o", tmp_path, "--set", "author")
    assert result.exit_code == 2
    assert "KEY=VALUE" in result.output
    assert tree(tmp_path) == []


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("!!!", "no letters or digits"),
        *BAD_PACKAGE_NAMES,
        ("../evil", "path separator"),
        ("a/b", "path separator"),
        ("a\\b", "path separator"),
        ("x" * 65, "longer than 64"),
    ],
)
def test_bad_names_fail_cleanly_and_write_nothing(tmp_path, name, message):
    result = runner.invoke(app, ["new", name, "--no-input", "-o", str(tmp_path)])

    assert result.exit_code == 2, result.output
    assert message in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert "Traceback" not in result.output
    assert tree(tmp_path) == []


def test_bad_package_override_fails_cleanly(tmp_path):
    result = runner.invoke(
        app, ["new", "Fine", "--no-input", "-o", str(tmp_path), "--set", "package_name=numpy"]
    )
    assert result.exit_code == 2
    assert "numpy" in result.output and "--set package_name" in result.output
    assert tree(tmp_path) == []


def test_existing_target_is_refused_without_force(tmp_path):
    existing = tmp_path / "my-image-pipeline"
    existing.mkdir()
    (existing / "keep.txt").write_text("mine")

    result = invoke("new", "My Image Pipeline", "--no-input", "-o", tmp_path)

    assert result.exit_code == 2
    assert "--force" in result.output
    assert tree(tmp_path) == ["my-image-pipeline", "my-image-pipeline/keep.txt"]


def test_force_generates_into_existing_directory(tmp_path):
    existing = tmp_path / "my-image-pipeline"
    existing.mkdir()
    (existing / "keep.txt").write_text("mine")
    (existing / "README.md").write_text("old readme")

    result = invoke("new", "My Image Pipeline", "--no-input", "-o", tmp_path, "--force")

    assert result.exit_code == 0, result.output
    assert (existing / "keep.txt").read_text() == "mine"
    assert (existing / "README.md").read_text().startswith("# My Image Pipeline")
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".scaffold-")]


def test_dry_run_lists_files_and_writes_nothing(tmp_path):
    result = invoke("new", "My Image Pipeline", "--no-input", "-o", tmp_path / "out", "--dry-run")

    assert result.exit_code == 0, result.output
    assert "src/my_image_pipeline/tasks.py" in result.output
    assert ".scaffold.json" in result.output
    assert not (tmp_path / "out").exists()


def make_team_template(folder):
    """A copy of the bundled template with a team's own change."""
    template = folder / "team-template"
    shutil.copytree(TEMPLATE_DIR, template)
    readme = template / "{{cookiecutter.project_slug}}" / "README.md"
    readme.write_text("# Team {{ cookiecutter.project_name }}\n" + readme.read_text())
    return template


def test_template_from_local_directory(tmp_path):
    template = make_team_template(tmp_path)
    result = invoke("new", "Pipe", "--no-input", "-o", tmp_path / "out", "--template", template)
    assert result.exit_code == 0, result.output
    project = tmp_path / "out" / "pipe"
    assert (project / "README.md").read_text().startswith("# Team Pipe")
    assert json.loads((project / ".scaffold.json").read_text())["template_source"] == str(template)


def test_template_from_zip_file(tmp_path):
    template = make_team_template(tmp_path)
    archive = tmp_path / "team-template.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.write(template, template.name)
        for path in sorted(template.rglob("*")):
            zipped.write(path, path.relative_to(tmp_path).as_posix())
    result = invoke("new", "Pipe", "--no-input", "-o", tmp_path / "out", "--template", archive)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out" / "pipe" / "README.md").read_text().startswith("# Team Pipe")


def git(*args, cwd):
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@t", *args],
        cwd=cwd, check=True, capture_output=True,
    )  # fmt: skip


def test_template_from_git_url_with_checkout(tmp_path):
    template = make_team_template(tmp_path)
    git("init", "-q", "-b", "main", cwd=template)
    git("add", "-A", cwd=template)
    git("commit", "-qm", "v1", cwd=template)
    git("tag", "v1", cwd=template)
    readme = template / "{{cookiecutter.project_slug}}" / "README.md"
    readme.write_text(readme.read_text().replace("# Team", "# Team v2"))
    git("commit", "-qam", "v2", cwd=template)
    url = f"git+file://{template}"

    result = invoke(
        "new", "Pipe", "--no-input", "-o", tmp_path / "out", "--template", url, "--checkout", "v1"
    )

    assert result.exit_code == 0, result.output
    project = tmp_path / "out" / "pipe"
    assert (project / "README.md").read_text().startswith("# Team Pipe")
    provenance = json.loads((project / ".scaffold.json").read_text())
    assert provenance["checkout"] == "v1"
    assert len(provenance["commit"]) == 40


def test_missing_template_is_a_clear_error(tmp_path):
    result = runner.invoke(
        app, ["new", "Pipe", "--no-input", "-o", str(tmp_path), "--template", str(tmp_path / "x")]
    )
    assert result.exit_code == 2
    assert "cannot use template" in result.output
    assert tree(tmp_path) == []


def test_prompts_on_a_terminal(tmp_path, monkeypatch):
    """NAME and --set answers are not asked again; a bad answer is asked again with its rule."""
    monkeypatch.setattr("scaffold.generate.is_interactive", lambda: True)
    # project_slug, package_name, author, email, image_extensions (twice): not project_name
    # (NAME) nor description (--set).
    answers = "\n".join(["", "", "Ada", "", "png, jpg, TIF", "png,tif"]) + "\n"
    result = runner.invoke(
        app,
        ["new", "Prompted", "-o", str(tmp_path), "--set", "description=Given"],
        input=answers,
    )
    assert result.exit_code == 0, result.output
    recorded = json.loads((tmp_path / "prompted" / ".scaffold.json").read_text())["answers"]
    assert recorded["project_name"] == "Prompted" and recorded["description"] == "Given"
    assert recorded["author"] == "Ada"
    assert recorded["image_extensions"] == "png,tif"
    assert "Author (Your Name)" in result.stdout  # the prompts are seen here
    # each question says what format it expects
    assert "Image extensions to read, comma-separated (e.g. png,jpg,tif)" in result.stdout
    assert "Project name" not in result.stdout and "description" not in result.stdout
    assert result.stderr.count("image_extensions 'png, jpg, TIF' must be") == 1


def test_python_dash_m_scaffold_works():
    result = subprocess.run(
        [sys.executable, "-m", "scaffold", "--version"], capture_output=True, text=True
    )
    assert result.returncode == 0
    assert result.stdout.strip() == f"scaffold {__version__}"


def test_installed_console_script_generates_a_project(tmp_path):
    script = Path(sys.executable).parent / "scaffold"
    result = subprocess.run(
        [str(script), "new", "Console Project", "--no-input"],
        cwd=tmp_path, capture_output=True, text=True,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "console-project" / "pyproject.toml").is_file()


def test_help_does_not_import_heavy_libraries():
    code = (
        "import sys; from scaffold.cli import app\n"
        "try:\n    app(['new', '--help'], prog_name='scaffold')\nexcept SystemExit:\n    pass\n"
        "heavy = {'luisy', 'luigi', 'pyspark', 'numpy', 'skimage', 'cookiecutter'}\n"
        "print(sorted(heavy & {m.split('.')[0] for m in sys.modules}))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip().splitlines()[-1] == "[]", result.stdout + result.stderr


def test_answers_are_data_not_templates(tmp_path):
    injection = "{{ cycler.__init__.__globals__.os.system('touch pwned') }} {% raw %}"
    result = invoke(
        "new", "Pipe", "--no-input", "-o", tmp_path, "--set", f"description={injection}"
    )
    assert result.exit_code == 0, result.output
    project = tmp_path / "pipe"
    assert not (tmp_path / "pwned").exists() and not Path("pwned").exists()
    assert json.loads((project / ".scaffold.json").read_text())["answers"]["description"] == (
        injection
    )
    assert injection in (project / "README.md").read_text()


def add_post_hook_that_fails(template):
    (template / "hooks" / "post_gen_project.py").write_text("import sys\nsys.exit(3)\n")


def add_undefined_variable(template):
    broken = template / "{{cookiecutter.project_slug}}" / "broken.txt"
    broken.write_text("{{ cookiecutter.no_such_variable }}")


def add_syntax_error(template):
    (template / "{{cookiecutter.project_slug}}" / "broken.txt").write_text("{{ oops")


@pytest.mark.parametrize(
    ("breakage", "message"),
    [
        (add_post_hook_that_fails, "Hook script failed"),
        (add_undefined_variable, "no_such_variable"),
        (add_syntax_error, "failed to render"),
    ],
)
def test_broken_team_template_fails_and_leaves_nothing(tmp_path, breakage, message):
    template = make_team_template(tmp_path)
    breakage(template)
    existing, created = tmp_path / "existing", tmp_path / "created"
    existing.mkdir()
    for out in (existing, created):
        result = runner.invoke(
            app, ["new", "Pipe", "--no-input", "-o", str(out), "--template", str(template)]
        )
        assert result.exit_code == 2
        assert message in result.output
        assert len(result.output.strip().splitlines()) == 1
    assert tree(existing) == []
    assert not created.exists()


def test_full_disk_part_way_leaves_nothing(tmp_path, monkeypatch):
    import errno

    import cookiecutter.generate

    real_generate_file = cookiecutter.generate.generate_file
    written = []

    def fill_disk_after_three_files(*args, **kwargs):
        if len(written) == 3:
            raise OSError(errno.ENOSPC, "No space left on device")
        written.append(args)
        return real_generate_file(*args, **kwargs)

    monkeypatch.setattr(cookiecutter.generate, "generate_file", fill_disk_after_three_files)
    result = runner.invoke(app, ["new", "Pipe", "--no-input", "-o", str(tmp_path)])

    assert result.exit_code == 2
    assert "No space left on device" in result.output
    assert len(written) == 3
    assert tree(tmp_path) == []


def git_out(*args, cwd):
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout.strip()


def test_new_outside_git_starts_the_project_repository(tmp_path):
    result = invoke("new", "My Image Pipeline", "--no-input", "-o", tmp_path)

    project = tmp_path / "my-image-pipeline"
    assert result.exit_code == 0, result.output
    assert "Started a git repository" in result.output
    assert git_out("status", "--porcelain", "--untracked-files=all", cwd=project) == ""
    assert len(git_out("log", "--format=%H", cwd=project).split()) == 1
    update = invoke("update", project)
    assert update.exit_code == 0 and "nothing to change" in update.output


def test_no_git_starts_no_repository(tmp_path):
    result = invoke("new", "My Image Pipeline", "--no-input", "-o", tmp_path, "--no-git")

    assert result.exit_code == 0, result.output
    assert not (tmp_path / "my-image-pipeline" / ".git").exists()
    assert "Started a git repository" not in result.output


def test_new_inside_a_work_tree_leaves_committing_to_its_owner(tmp_path):
    git("init", "-q", cwd=tmp_path)

    result = invoke("new", "My Image Pipeline", "--no-input", "-o", tmp_path)

    assert result.exit_code == 0, result.output
    assert not (tmp_path / "my-image-pipeline" / ".git").exists()
    assert git_out("log", "--all", "--oneline", cwd=tmp_path) == ""  # no commit made for it


def test_first_commit_without_a_git_identity_uses_the_author_answer(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    env = {**os.environ, "HOME": str(home), "XDG_CONFIG_HOME": str(home),
           "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_COUNT": "1",
           "GIT_CONFIG_KEY_0": "user.useConfigOnly", "GIT_CONFIG_VALUE_0": "true"}  # fmt: skip
    for key in ("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "EMAIL"):
        env.pop(key, None)

    result = subprocess.run(
        [sys.executable, "-m", "scaffold", "new", "Pipe", "--no-input", "-o", str(tmp_path),
         "--set", "author=Zoë <O'Brien>", "--set", "email=zoe@example.com"],
        capture_output=True, text=True, env=env, check=False,
    )  # fmt: skip

    assert result.returncode == 0, result.stderr
    assert "committed as Zoë O'Brien <zoe@example.com>" in result.stdout
    project = tmp_path / "pipe"
    who = git_out("log", "--format=%an <%ae> %cn <%ce>", cwd=project)
    assert who == "Zoë O'Brien <zoe@example.com> Zoë O'Brien <zoe@example.com>"
    assert git_out("status", "--porcelain", cwd=project) == ""
    assert "user.name" not in git_out("config", "--local", "--list", cwd=project)
