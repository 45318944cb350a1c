"""`--directory`: a template in a subfolder of its source (git, folder or zip), as cookiecutter's
`directory` argument reads it, recorded so that check, update and add task find it again.

Several templates share one git repository, as teams keep them; one has a variable without a
default (null, given with --set) and a post-generation hook. Every result is compared with plain
cookiecutter's render of the same source and directory.
"""

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from cookiecutter.main import cookiecutter

from scaffold.provenance import Provenance, read_provenance
from tests.conftest import TEMPLATE_DIR
from tests.test_hostile_templates import git
from tests.test_team_templates import commit, files_of, write_files

SLUG = "{{cookiecutter.slug}}"
POST_HOOK = """\
with open("OWNER.txt", "w") as owner:
    owner.write("owned by {{ cookiecutter.owner }}\\n")
"""


def templates(version=1):
    """A repository of two templates, `python/` and `data/`, and a README at its top (no
    cookiecutter.json there: a template is only found with --directory)."""
    return {
        "README.md": "Our templates.\n",
        "python/cookiecutter.json": json.dumps(
            {
                "project_name": "Demo",
                "slug": "{{ cookiecutter.project_name.lower() }}",
                "owner": None,
            }
        ),  # fmt: skip
        "python/hooks/post_gen_project.py": POST_HOOK,
        f"python/{SLUG}/README.md": "# {{ cookiecutter.project_name }}\n\nline a\nline b\nline c\n",
        f"python/{SLUG}/src/{SLUG}/__init__.py": f'"""v{version}."""\n',
        "data/cookiecutter.json": json.dumps({"project_name": "Data", "slug": "data"}),
        f"data/{SLUG}/data.md": "data of {{ cookiecutter.project_name }}\n",
    }


ANSWERS = {"project_name": "Demo", "owner": "Team Blue"}


def run(*args, home, env=None):
    """`python -m scaffold` with a home folder of the test's own (no real ~/.cookiecutterrc)."""
    environment = {k: v for k, v in os.environ.items() if k != "COOKIECUTTER_CONFIG"}
    environment.update(HOME=str(home), **(env or {}))
    return subprocess.run(
        [sys.executable, "-m", "scaffold", *map(str, args)],
        capture_output=True,
        text=True,
        env=environment,
        check=False,
    )


def created(result):
    assert result.returncode == 0, result.stderr
    return Path(result.stdout.split("Created ", 1)[1].split("\n", 1)[0])


def new(source, out, *options, home):
    return created(
        run("new", "--no-input", "-o", out, "--template", source, *options,
            "--set", f"owner={ANSWERS['owner']}", ANSWERS["project_name"], home=home)
    )  # fmt: skip


def plain_cookiecutter(source, directory, out, tmp_path):
    """Plain cookiecutter's render, its clones and replays kept in the test's folder."""
    config = tmp_path / "plain-cookiecutter.yaml"
    config.write_text(
        f"cookiecutters_dir: {tmp_path / 'cc-clones'}\nreplay_dir: {tmp_path / 'cc-replay'}\n"
    )
    return Path(
        cookiecutter(str(source), directory=directory, no_input=True, extra_context=ANSWERS,
                     output_dir=str(out), config_file=str(config))
    )  # fmt: skip


@pytest.fixture
def repository(tmp_path):
    root = write_files(tmp_path / "templates", templates())
    git("init", "-q", cwd=root)
    commit(root, "v1")
    return root


def as_zip(root, zip_path):
    """The repository's files in a zip with one top folder, as cookiecutter expects."""
    with zipfile.ZipFile(zip_path, "w") as archive:
        archive.writestr("templates/", "")
        for path in sorted(root.rglob("*")):
            if path.is_file() and ".git" not in path.relative_to(root).parts:
                archive.write(path, f"templates/{path.relative_to(root).as_posix()}")
    return zip_path


@pytest.mark.parametrize("kind", ["git", "folder", "zip"])
def test_a_template_in_a_subfolder_renders_as_cookiecutter_renders_it(tmp_path, repository, kind):
    source = {
        "git": f"git+file://{repository}",
        "folder": str(repository),
        "zip": str(as_zip(repository, tmp_path / "templates.zip")) if kind == "zip" else "",
    }[kind]
    project = new(source, tmp_path / "out", "--directory", "python", home=tmp_path)

    expected = plain_cookiecutter(source, "python", tmp_path / "cc", tmp_path)
    assert files_of(project) == files_of(expected)
    assert (project / "OWNER.txt").read_text() == "owned by Team Blue\n"  # the hook ran
    provenance = read_provenance(project)
    assert provenance.directory == "python"
    assert provenance.template_name == "python"  # named after its folder, as cookiecutter does
    assert (provenance.commit is not None) == (kind != "zip")

    made = run("new", "--no-input", "-o", tmp_path / "out2", "--template", source,
               "--directory", "./data", home=tmp_path)  # fmt: skip
    other = created(made)
    assert (other / "data.md").read_text() == "data of Data\n"
    assert read_provenance(other).directory == "data"


def test_check_and_update_use_the_recorded_directory(tmp_path, repository):
    project = new(f"git+file://{repository}", tmp_path / "out", "--directory", "python",
                  home=tmp_path)  # fmt: skip
    readme = (project / "README.md").read_text().replace("line a", "line a, mine")
    (project / "README.md").write_text(readme)
    commit(project, "user work")
    assert run("check", project, home=tmp_path).returncode == 0

    files = templates(version=2)
    readme_2 = "# {{ cookiecutter.project_name }}\n\nline a\nline b\nline c 2\n"
    files[f"python/{SLUG}/README.md"] = readme_2
    write_files(repository, files)
    commit(repository, "v2")
    check = run("check", project, "--json", home=tmp_path)
    assert check.returncode == 1, check.stderr
    assert json.loads(check.stdout)["change"] == "commit"

    update = run("update", project, home=tmp_path)
    assert update.returncode == 0, update.stderr
    assert (project / "README.md").read_text() == "# Demo\n\nline a, mine\nline b\nline c 2\n"
    assert (project / "src/demo/__init__.py").read_text() == '"""v2."""\n'
    assert read_provenance(project).directory == "python"
    assert run("check", project, home=tmp_path).returncode == 0
    commit(project, "update")

    # The template moves inside its repository: --directory says where, once.
    git("mv", "python", "pipelines", cwd=repository)
    commit(repository, "move")
    check = run("check", project, home=tmp_path)
    assert check.returncode == 2 and "'python' (--directory) holds no" in check.stderr
    check = run("check", project, "--directory", "pipelines", home=tmp_path)
    assert check.returncode == 1, check.stderr
    update = run("update", project, "--directory", "pipelines", home=tmp_path)
    assert update.returncode == 0, update.stderr
    assert read_provenance(project).directory == "pipelines"
    assert run("check", project, home=tmp_path).returncode == 0


def test_add_task_reads_the_template_from_the_recorded_directory(tmp_path):
    """The bundled template kept in a subfolder of a team's repository."""
    root = tmp_path / "templates"
    shutil.copytree(TEMPLATE_DIR, root / "luisy", ignore=shutil.ignore_patterns("__pycache__"))
    (root / "README.md").write_text("Our templates.\n")
    git("init", "-q", cwd=root)
    commit(root, "v1")
    made = run("new", "--no-input", "--no-git", "-o", tmp_path / "out", "--template", root,
               "--directory", "luisy", "Lab Images", home=tmp_path)  # fmt: skip
    project = created(made)
    added = run("add", "task", "Blur", project, home=tmp_path)
    assert added.returncode == 0, added.stderr
    assert "class Blur" in (project / "src/lab_images/tasks.py").read_text()


@pytest.mark.parametrize(
    ("directory", "says"),
    [
        ("..", "climbs out with '..'"),
        ("python/../../elsewhere", "climbs out with '..'"),
        ("/python", "is not a relative path"),
        ("docs", "'docs' (--directory) holds no cookiecutter.json"),
        ("outside", "leads out of the template's source"),
    ],
)
@pytest.mark.parametrize("kind", ["git", "folder"])
def test_a_bad_directory_is_one_line_and_writes_nothing(tmp_path, repository, directory, says,
                                                        kind):  # fmt: skip
    elsewhere = write_files(tmp_path / "elsewhere", templates())
    (repository / "outside").symlink_to(elsewhere / "python")  # a link out of the source
    (repository / "docs").mkdir()
    (repository / "docs" / "index.md").write_text("no template here\n")
    commit(repository, "docs and a link")
    source = f"git+file://{repository}" if kind == "git" else repository
    out = tmp_path / "out"
    result = run("new", "--no-input", "-o", out, "--template", source, "--directory", directory,
                 "--set", "owner=x", "Demo", home=tmp_path)  # fmt: skip
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and says in result.stderr, result.stderr
    assert not out.exists()


def test_directory_needs_a_template_of_ones_own(tmp_path):
    result = run("new", "--no-input", "-o", tmp_path / "out", "--directory", "x", "Demo",
                 home=tmp_path)  # fmt: skip
    assert result.returncode == 2 and "--directory needs a template" in result.stderr
    assert not (tmp_path / "out").exists()


def test_a_provenance_without_directory_still_reads_and_writes_none(tmp_path):
    old = {
        "template_name": "t",
        "template_version": "1",
        "template_source": "https://example.com/t.git",
        "answers": {"project_name": "Demo"},
        "scaffold_version": "0.1.0",
    }
    (tmp_path / ".scaffold.json").write_text(json.dumps(old))
    provenance = read_provenance(tmp_path)
    assert provenance.directory is None
    assert "directory" not in json.loads(provenance.to_json())
    with_one = Provenance(**{**old, "directory": "python"})
    assert json.loads(with_one.to_json())["directory"] == "python"
