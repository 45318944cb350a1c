"""The user's cookiecutter configuration, read as cookiecutter reads it: `COOKIECUTTER_CONFIG`,
`~/.cookiecutterrc`, `--config-file`, `--default-config`; its `default_context` and
`abbreviations` (cookiecutter's `gh:`, `gl:`, `bb:` and the user's own), and `cookiecutters_dir`.

Every run has a home folder of its own, so that the real ~/.cookiecutterrc is never read.
"""

import json

import pytest
from cookiecutter.main import cookiecutter

from scaffold.provenance import read_provenance
from scaffold.sources import expand_source
from scaffold.user_config import load_user_config
from tests.test_directory import created, run, templates
from tests.test_hostile_templates import git
from tests.test_team_templates import commit, files_of, write_files


@pytest.fixture
def repository(tmp_path):
    root = write_files(tmp_path / "repos" / "templates", templates())
    git("init", "-q", cwd=root)
    commit(root, "v1")
    return root


def write_config(tmp_path, name="cookiecutter.yaml", **extra):
    """A config with defaults, an abbreviation `team:` to the test's git repositories, and
    cookiecutter's own folders in the test's folder."""
    config = tmp_path / name
    lines = [
        "default_context:",
        "  owner: Ada Lovelace",
        "  author: Ada Lovelace",
        "  project_name: From Config",
        "abbreviations:",
        f"  team: git+file://{tmp_path / 'repos'}/{{0}}",
        f"cookiecutters_dir: {tmp_path / 'cookiecutters'}",
        f"replay_dir: {tmp_path / 'replay'}",
        *extra.get("lines", []),
    ]
    config.write_text("\n".join(lines) + "\n")
    return config


def test_default_context_and_an_own_abbreviation_render_as_cookiecutter(tmp_path, repository):
    config = write_config(tmp_path)
    env = {"COOKIECUTTER_CONFIG": str(config)}
    made = run("new", "--no-input", "-o", tmp_path / "out", "--template", "team:templates",
               "--directory", "python", home=tmp_path / "home", env=env)  # fmt: skip
    project = created(made)
    assert project.name == "from config"  # the config's project_name, as cookiecutter takes it
    assert (project / "OWNER.txt").read_text() == "owned by Ada Lovelace\n"

    plain = cookiecutter("team:templates", directory="python", no_input=True,
                         output_dir=str(tmp_path / "cc"), config_file=str(config))  # fmt: skip
    assert files_of(project) == files_of(plain)
    provenance = read_provenance(project)
    assert provenance.template_source == f"git+file://{repository}"  # expanded
    assert provenance.answers["owner"] == "Ada Lovelace"

    # NAME and --set win over the config's defaults.
    made = run("new", "--no-input", "-o", tmp_path / "out2", "--template", "team:templates",
               "--directory", "python", "--set", "owner=Grace", "Demo",
               home=tmp_path / "home", env=env)  # fmt: skip
    project = created(made)
    assert project.name == "demo"
    assert (project / "OWNER.txt").read_text() == "owned by Grace\n"

    # check and update read the recorded, expanded source; --template takes an abbreviation.
    assert run("check", project, home=tmp_path / "home", env=env).returncode == 0
    check = run("check", project, "--template", "team:templates", home=tmp_path / "home", env=env)
    assert check.returncode == 0, check.stderr


def test_default_context_applies_to_the_bundled_template(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    (home / ".cookiecutterrc").write_text("default_context:\n  author: Ada Lovelace\n")
    made = run("new", "--no-input", "--no-git", "-o", tmp_path / "out", "Lab Images", home=home)
    pyproject = (created(made) / "pyproject.toml").read_text()
    assert 'name = "Ada Lovelace"' in pyproject

    made = run("new", "--no-input", "--no-git", "-o", tmp_path / "out2", "--set",
               "author=Grace Hopper", "Lab Images", home=home)  # fmt: skip
    assert 'name = "Grace Hopper"' in (created(made) / "pyproject.toml").read_text()

    made = run("new", "--no-input", "--no-git", "-o", tmp_path / "out3", "--default-config",
               "Lab Images", home=home)  # fmt: skip
    assert "Ada Lovelace" not in (created(made) / "pyproject.toml").read_text()


def test_config_file_option_wins_over_the_environment(tmp_path, repository):
    ignored = tmp_path / "ignored.yaml"
    ignored.write_text("default_context:\n  owner: Nobody\n")
    config = write_config(tmp_path)
    made = run("new", "--no-input", "-o", tmp_path / "out", "--config-file", config,
               "--template", "team:templates", "--directory", "python", "Demo",
               home=tmp_path / "home", env={"COOKIECUTTER_CONFIG": str(ignored)})  # fmt: skip
    assert (created(made) / "OWNER.txt").read_text() == "owned by Ada Lovelace\n"


def test_update_takes_new_variables_default_from_the_config(tmp_path, repository):
    config = write_config(tmp_path)
    env = {"COOKIECUTTER_CONFIG": str(config)}
    made = run("new", "--no-input", "-o", tmp_path / "out", "--template", "team:templates",
               "--directory", "data", home=tmp_path / "home", env=env)  # fmt: skip
    project = created(made)
    files = templates()
    context = json.loads(files["data/cookiecutter.json"])
    files["data/cookiecutter.json"] = json.dumps({**context, "author": "Someone"})
    files["data/{{cookiecutter.slug}}/AUTHOR.txt"] = "{{ cookiecutter.author }}\n"
    write_files(repository, files)
    commit(repository, "an author")
    update = run("update", project, "--config-file", config, home=tmp_path / "home")
    assert update.returncode == 0, update.stderr
    assert (project / "AUTHOR.txt").read_text() == "Ada Lovelace\n"


def test_a_template_cloned_into_cookiecutters_dir_is_found_by_name(tmp_path):
    config = write_config(tmp_path)
    write_files(tmp_path / "cookiecutters" / "kept", templates())
    made = run("new", "--no-input", "-o", tmp_path / "out", "--config-file", config,
               "--template", "kept", "--directory", "data", home=tmp_path / "home")  # fmt: skip
    project = created(made)
    assert (project / "data.md").read_text() == "data of From Config\n"
    assert read_provenance(project).template_source == str(tmp_path / "cookiecutters" / "kept")


def test_cookiecutters_builtin_abbreviations_expand():
    defaults = load_user_config(default_config=True)
    assert expand_source("gh:team/pipe", defaults) == "https://github.com/team/pipe.git"
    assert expand_source("gl:team/pipe", defaults) == "https://gitlab.com/team/pipe.git"
    assert expand_source("bb:team/pipe", defaults) == "https://bitbucket.org/team/pipe"
    assert expand_source("./gh-like/folder", defaults) == "./gh-like/folder"


@pytest.mark.parametrize(
    ("setup", "says"),
    [
        ("missing-option", "(--config-file) does not exist"),
        ("missing-environment", "(COOKIECUTTER_CONFIG) does not exist"),
        ("bad-yaml", "not valid YAML"),
        ("not-a-mapping", "should be an object"),
        ("bad-abbreviations", "'abbreviations' that is not a mapping"),
        ("unknown-abbreviation", "'nope:' is no abbreviation of your cookiecutter config"),
    ],
)
def test_bad_config_or_source_is_one_line_and_writes_nothing(tmp_path, setup, says):
    home = tmp_path / "home"
    options, env = ["--template", "team:templates"], {}
    broken = tmp_path / "broken.yaml"
    if setup == "missing-option":
        options += ["--config-file", tmp_path / "missing.yaml"]
    elif setup == "missing-environment":
        env["COOKIECUTTER_CONFIG"] = str(tmp_path / "missing.yaml")
    elif setup == "unknown-abbreviation":
        options = ["--config-file", write_config(tmp_path), "--template", "nope:templates"]
    else:
        broken.write_text(
            {
                "bad-yaml": "default_context: [unclosed\n",
                "not-a-mapping": "- a list\n",
                "bad-abbreviations": "abbreviations: [gh]\n",
            }[setup]
        )
        options += ["--config-file", broken]
    out = tmp_path / "out"
    result = run("new", "--no-input", "-o", out, *options, "Demo", home=home, env=env)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and says in result.stderr, result.stderr
    assert not out.exists()
