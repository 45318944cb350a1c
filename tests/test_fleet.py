"""`check --all` and `update --all`: a monorepo with projects from two git templates."""

import json
from pathlib import Path

import pytest

from scaffold import sources
from scaffold.generate import new_project
from scaffold.provenance import read_provenance
from tests.conftest import GitTemplate, git, invoke


@pytest.fixture
def monorepo(tmp_path):
    """Three projects from two templates in one git repository, and one in an ignored folder."""
    first, second = (
        GitTemplate(tmp_path / "first", "alpha"),
        GitTemplate(tmp_path / "second", "gamma"),
    )
    repo = tmp_path / "mono"
    (repo / "pipelines").mkdir(parents=True)
    git("init", "-q", cwd=repo)
    projects = [(first, "alpha", "pipelines"), (first, "beta", "pipelines"),
                (second, "gamma", "tools"), (first, "ignored", "build")]  # fmt: skip
    for template, slug, folder in projects:
        new_project(None, output_dir=repo / folder, template=str(template.root),
                    settings={"slug": slug}, no_input=True)  # fmt: skip
    (repo / ".gitignore").write_text("build/\n")
    git("add", "-A", cwd=repo)
    git("commit", "-qm", "projects", cwd=repo)
    return repo, first, second


def test_check_all_reports_each_project_and_exits_with_the_worst(monorepo):
    repo, first, _ = monorepo
    assert invoke("check", "--all", repo).exit_code == 0
    first.release("1.1.0", "# {{cookiecutter.slug}}\n\nVersion two.\n")

    result = invoke("check", "--all", repo)

    assert result.exit_code == 1, result.output
    lines = result.output.splitlines()
    assert lines[:3] == [
        "pipelines/alpha: made with first 1.0.0; 1.1.0 is available (run `scaffold update`)",
        "pipelines/beta: made with first 1.0.0; 1.1.0 is available (run `scaffold update`)",
        "tools/gamma: made with second 1.0.0; up to date",
    ]
    assert lines[3] == "3 projects: 1 up to date, 2 behind their template or waiting for you"


def test_check_all_json_is_one_object_per_project_and_errors_do_not_stop_it(monorepo):
    repo, _, _ = monorepo
    (repo / "tools" / "gamma" / ".scaffold.json").write_text("{not json")

    result = invoke("check", "--all", repo, "--json")

    assert result.exit_code == 2
    reports = json.loads(result.output)
    assert [Path(r["project"]).name for r in reports] == ["alpha", "beta", "gamma"]
    assert [r["status"] for r in reports][2] == "error"
    assert reports[0]["status"] == "up to date"


def test_update_all_updates_each_and_lists_the_ones_that_need_you(monorepo):
    repo, first, _ = monorepo
    beta = repo / "pipelines" / "beta"
    (beta / "README.md").write_text("# beta\n\nOur own line.\n")
    git("commit", "-qam", "beta's own readme", cwd=repo)
    first.release("1.1.0", "# {{cookiecutter.slug}}\n\nVersion two.\n")

    result = invoke("update", "--all", repo)

    assert result.exit_code == 1, result.output
    alpha = repo / "pipelines" / "alpha"
    assert (alpha / "README.md").read_text() == "# alpha\n\nVersion two.\n"
    assert read_provenance(alpha).template_version == "1.1.0"
    assert "<<<<<<<" in (beta / "README.md").read_text()
    assert "3 projects: 1 updated, 1 up to date, 1 with conflicts" in result.output
    assert "Needs you (1):\n  pipelines/beta: conflict markers in 1 file(s)" in result.output
    assert not (repo / "build" / "ignored" / "README.md").read_text().endswith("two.\n")


def test_update_all_keeps_the_uncommitted_rule_per_project(monorepo):
    repo, first, _ = monorepo
    (repo / "pipelines" / "alpha" / "notes.txt").write_text("draft\n")  # uncommitted
    first.release("1.1.0", "# {{cookiecutter.slug}}\n\nVersion two.\n")

    result = invoke("update", "--all", repo)

    assert result.exit_code == 2
    assert "pipelines/alpha: error:" in result.output and "uncommitted changes" in result.output
    assert (repo / "pipelines" / "alpha" / "README.md").read_text().endswith("one.\n")
    assert (repo / "pipelines" / "beta" / "README.md").read_text().endswith("two.\n")


def test_all_on_a_folder_without_projects_is_an_error(tmp_path):
    result = invoke("check", "--all", tmp_path)

    assert result.exit_code == 2
    assert "no scaffold project (no .scaffold.json) below" in result.output


def test_all_refuses_options_that_name_one_projects_template(monorepo):
    repo, _, _ = monorepo

    result = invoke("update", "--all", repo, "--checkout", "main")

    assert result.exit_code == 2
    assert "--checkout applies to one project; --all takes each project's own" in result.output


def test_projects_outside_git_are_found_by_walking(tmp_path):
    template = GitTemplate(tmp_path / "t", "solo")
    for slug in ("one", "two"):
        new_project(None, output_dir=tmp_path / "work" / slug[0], template=str(template.root),
                    settings={"slug": slug}, no_input=True, git=False)  # fmt: skip

    result = invoke("check", "--all", tmp_path / "work")

    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == "2 projects: 2 up to date"


@pytest.fixture
def remote_projects(tmp_path):
    """Three projects made from one git template reached by URL (file://, as a remote)."""
    template = GitTemplate(tmp_path / "remote", "alpha")
    for slug in ("one", "two", "three"):
        new_project(None, output_dir=tmp_path / "fleet", template=f"git+file://{template.root}",
                    settings={"slug": slug}, no_input=True, git=False)  # fmt: skip
    return tmp_path / "fleet", template


def counting(monkeypatch, module, name):
    """Count the calls of module.name, which still runs."""
    calls = []
    original = getattr(module, name)

    def counted(*args, **kwargs):
        calls.append(args)
        return original(*args, **kwargs)

    monkeypatch.setattr(module, name, counted)
    return calls


def test_an_unmoved_remote_template_is_asked_not_fetched(remote_projects, monkeypatch):
    fleet, template = remote_projects
    fetches = counting(monkeypatch, sources, "_fetched")
    asked = counting(monkeypatch, sources, "remote_commit")

    result = invoke("check", "--all", fleet)

    assert result.exit_code == 0, result.output
    assert fetches == [] and len(asked) == 1  # one `git ls-remote` for the three projects
    template.release("1.1.0", "# {{cookiecutter.slug}}\n\nVersion two.\n")

    moved = invoke("check", "--all", fleet)

    assert moved.exit_code == 1
    assert moved.output.count("1.1.0 is available") == 3
    assert len(fetches) == 1  # one fetch of the template for the three projects


def test_one_project_checks_its_remote_template_without_a_clone(remote_projects, monkeypatch):
    fleet, template = remote_projects
    fetches = counting(monkeypatch, sources, "_fetched")

    assert invoke("check", fleet / "one").exit_code == 0
    template.release("1.1.0", "# {{cookiecutter.slug}}\n\nVersion two.\n")
    assert invoke("check", fleet / "one").exit_code == 1

    assert len(fetches) == 1
