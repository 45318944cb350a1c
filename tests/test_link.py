"""`scaffold link`: projects made by plain cookiecutter and by cruft come under scaffold."""

import json
from pathlib import Path

import pytest
from cookiecutter.main import cookiecutter

from scaffold.provenance import read_provenance
from tests.conftest import GitTemplate, git, invoke


def snapshot(folder):
    return {
        path.relative_to(folder).as_posix(): path.read_bytes()
        for path in sorted(Path(folder).rglob("*"))
        if path.is_file() and ".git" not in path.parts
    }


@pytest.fixture
def template(tmp_path):
    return GitTemplate(tmp_path / "team-template", "lab")


@pytest.fixture
def user_config(tmp_path, monkeypatch):
    """A cookiecutter config of the user's own, with its replay folder in the test's."""
    config = tmp_path / "cookiecutterrc.yaml"
    config.write_text(
        f"replay_dir: {tmp_path / 'replay'}\ncookiecutters_dir: {tmp_path / 'clones'}\n"
    )
    monkeypatch.setenv("COOKIECUTTER_CONFIG", str(config))
    return config


def made_by_cookiecutter(template, folder, **answers):
    """A project as plain cookiecutter makes it (it saves its answers in the replay folder)."""
    made = cookiecutter(str(template.root), no_input=True, output_dir=str(folder),
                        extra_context=answers)  # fmt: skip
    git("init", "-q", cwd=made)
    git("add", "-A", cwd=made)
    git("commit", "-qm", "made with cookiecutter", cwd=made)
    return Path(made)


def test_a_cookiecutter_project_links_with_its_replayed_answers_and_then_updates(
    template, tmp_path, user_config
):
    project = made_by_cookiecutter(template, tmp_path / "work", slug="weather")
    before = snapshot(project)

    result = invoke("link", template.root, project)

    assert result.exit_code == 0, result.output
    assert "answers from cookiecutter's replay file" in result.output
    after = snapshot(project)
    assert after.pop(".scaffold.json") and after == before  # nothing else written
    recorded = read_provenance(project)
    assert recorded.answers == {"slug": "weather"}
    assert recorded.commit == git("rev-parse", "HEAD", cwd=template.root)
    assert invoke("check", project).exit_code == 0
    (project / "settings.txt").write_text("speed = 2\n")
    git("add", "-A", cwd=project)
    git("commit", "-qm", "linked, and faster", cwd=project)
    template.release("1.1.0", "# {{cookiecutter.slug}}\n\nVersion two.\n")

    check = invoke("check", project)
    update = invoke("update", project)

    assert check.exit_code == 1 and "Edited since generation (1):\n  settings.txt" in check.output
    assert update.exit_code == 0, update.output
    assert (project / "README.md").read_text() == "# weather\n\nVersion two.\n"
    assert (project / "settings.txt").read_text() == "speed = 2\n"


def test_set_wins_over_the_replay_file_and_edits_show_in_check(template, tmp_path, user_config):
    project = made_by_cookiecutter(template, tmp_path / "work", slug="weather")
    (project / "README.md").write_text("# weather\n\nOur own words.\n")

    result = invoke("link", template.root, project, "--set", "slug=weather")

    assert result.exit_code == 0, result.output
    assert "answers from --set" in result.output
    check = invoke("check", project)
    assert check.exit_code == 0 and "Edited since generation (1):\n  README.md" in check.output


def test_a_cruft_project_links_in_one_command(template, tmp_path):
    cruft = pytest.importorskip("cruft")  # in the test extra
    cruft.create(str(template.root), output_dir=tmp_path / "work", no_input=True,
                 extra_context={"slug": "tides"})  # fmt: skip
    project = tmp_path / "work" / "tides"
    git("init", "-q", cwd=project)
    git("add", "-A", cwd=project)
    git("commit", "-qm", "made with cruft", cwd=project)
    cruft_file = json.loads((project / ".cruft.json").read_text())

    result = invoke("link", project)

    assert result.exit_code == 0, result.output
    assert "answers from .cruft.json" in result.output
    recorded = read_provenance(project)
    assert recorded.answers == {"slug": "tides"}
    assert recorded.commit == cruft_file["commit"]
    assert invoke("check", project).exit_code == 0
    git("add", "-A", cwd=project)
    git("commit", "-qm", "linked", cwd=project)
    template.release("1.1.0", "# {{cookiecutter.slug}}\n\nVersion two.\n")
    assert invoke("update", project).exit_code == 0
    assert (project / "README.md").read_text() == "# tides\n\nVersion two.\n"


def test_an_already_linked_project_is_refused_unless_forced(template, tmp_path, user_config):
    project = made_by_cookiecutter(template, tmp_path / "work", slug="weather")
    assert invoke("link", template.root, project).exit_code == 0

    refused = invoke("link", template.root, project, "--set", "slug=other")
    forced = invoke("link", template.root, project, "--set", "slug=weather", "--force")

    assert refused.exit_code == 2 and "already has a .scaffold.json" in refused.output
    assert forced.exit_code == 0
    assert read_provenance(project).answers == {"slug": "weather"}


def test_a_cruft_file_naming_an_unreachable_template_writes_nothing(tmp_path):
    project = tmp_path / "old"
    project.mkdir()
    (project / ".cruft.json").write_text(json.dumps({
        "template": str(tmp_path / "gone"), "commit": None, "checkout": None,
        "context": {"cookiecutter": {"slug": "old"}},
    }))  # fmt: skip
    before = snapshot(project)

    result = invoke("link", project)

    assert result.exit_code == 2
    assert "gone" in result.output
    assert snapshot(project) == before


@pytest.mark.parametrize(
    ("content", "message"),
    [(None, "has no .cruft.json: give the TEMPLATE"), ("[1]", "is not a cruft file"),
     ('{"template": "x", "context": {"cookiecutter": {}}, "commit": 5}', "must be text")],
)  # fmt: skip
def test_without_a_template_the_cruft_file_must_say_it(tmp_path, content, message):
    project = tmp_path / "p"
    project.mkdir()
    if content is not None:
        (project / ".cruft.json").write_text(content)

    result = invoke("link", project)

    assert result.exit_code == 2, result.output
    assert message in result.output
    assert not (project / ".scaffold.json").exists()
