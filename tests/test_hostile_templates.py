"""Hostile templates: scaffold never writes outside its target and runs hooks only where the
trust model says (README, "Trust").

Each template here is written by the test. Every command is checked for files appearing
outside the target (the test's `outside` folder must stay as it was) and for hook marks.
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from scaffold.cli import app
from scaffold.provenance import read_provenance, write_provenance

runner = CliRunner()


def invoke(*args, cwd=None):
    if cwd is None:
        return runner.invoke(app, [str(arg) for arg in args], catch_exceptions=False)
    before = Path.cwd()
    os.chdir(cwd)
    try:
        return runner.invoke(app, [str(arg) for arg in args], catch_exceptions=False)
    finally:
        os.chdir(before)


def git(*args, cwd):
    subprocess.run(
        ["git", "-c", "user.name=T", "-c", "user.email=t@example.com", "-c", "commit.gpgsign=false",
         "-c", "init.defaultBranch=main", *args],
        cwd=cwd, check=True, capture_output=True,
    )  # fmt: skip


def tree(folder):
    return sorted(p.relative_to(folder).as_posix() for p in Path(folder).rglob("*"))


def write_template(
    root, files, variables=None, marks=None, version="1.0.0", folder="{{cookiecutter.project_slug}}"
):
    """A cookiecutter template at `root`: project files (paths may hold Jinja), variables,
    and, with `marks`, pre- and post-generation hooks that each append a line to a file there."""
    root = Path(root)
    context = {
        "_template_name": "hostile",
        "_template_version": version,
        "project_name": "Pipe",
        "project_slug": "pipe",
        **(variables or {}),
    }
    root.mkdir(parents=True, exist_ok=True)
    (root / "cookiecutter.json").write_text(json.dumps(context))
    for relative, text in files.items():
        path = root / folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    if marks is not None:
        (root / "hooks").mkdir(exist_ok=True)
        for hook in ("pre_gen_project", "post_gen_project"):
            (root / "hooks" / f"{hook}.py").write_text(
                f"with open({str(Path(marks) / hook)!r}, 'a') as f:\n    f.write('ran\\n')\n"
            )
    return root


@pytest.fixture
def places(tmp_path):
    """(output folder, a folder outside it that nothing may touch, the hooks' marks folder)."""
    out, outside, marks = tmp_path / "out", tmp_path / "outside", tmp_path / "marks"
    for folder in (out, outside, marks):
        folder.mkdir()
    (outside / "victim.txt").write_text("keep me\n")
    return out, outside, marks


HOSTILE_PATHS = {
    "absolute file": ("{{cookiecutter.where}}", lambda outside: str(outside / "pwned.txt")),
    "dot-dot file": ("{{cookiecutter.where}}", lambda outside: "../../outside/pwned.txt"),
    "absolute folder": ("{{cookiecutter.where}}/x.txt", lambda outside: str(outside / "pwned")),
    "dot-dot folder": ("sub/{{cookiecutter.where}}/x.txt", lambda outside: "../../../outside/p"),
}


@pytest.mark.parametrize(
    "options", [[], ["--dry-run"], ["--force"]], ids=["new", "dry-run", "force"]
)
@pytest.mark.parametrize("case", sorted(HOSTILE_PATHS))
def test_new_refuses_a_path_that_renders_outside(tmp_path, places, case, options):
    out, outside, marks = places
    pattern, answer = HOSTILE_PATHS[case]
    template = write_template(
        tmp_path / "template", {"ok.txt": "fine\n", pattern: "pwned\n"}, {"where": ""}, marks
    )

    result = invoke("new", "Pipe", "--no-input", "-o", out, "--template", template,
                    "--set", f"where={answer(outside)}", *options)  # fmt: skip

    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("Error: the template would write outside the project")
    assert pattern.split("/")[-2 if "x.txt" in pattern else -1] in result.stderr
    assert tree(outside) == ["victim.txt"]
    assert tree(out) == []
    assert tree(marks) == []  # refused before any hook ran


def test_new_refuses_a_project_folder_that_renders_outside(tmp_path, places):
    out, outside, marks = places
    folder = "{{cookiecutter.folder}}"
    template = write_template(
        tmp_path / "template", {"ok.txt": "fine\n"}, {"folder": "x"}, marks, folder=folder
    )

    for name in (str(outside / "project"), "../outside/project", "a/b", ".."):
        result = invoke("new", "Pipe", "--no-input", "-o", out, "--template", template,
                        "--set", f"folder={name}")  # fmt: skip

        assert result.exit_code == 2, result.output
        assert result.stderr.startswith("Error: the template would write outside")
        assert folder in result.stderr
    assert tree(outside) == ["victim.txt"]
    assert tree(out) == [] and tree(marks) == []


def test_force_never_follows_a_symlink_in_the_target(tmp_path, places):
    out, outside, _ = places
    template = write_template(tmp_path / "template", {"README.md": "hi\n", "src/mod.py": "x\n"})
    target = out / "pipe"
    target.mkdir()
    (target / "src").symlink_to(outside)

    result = invoke("new", "Pipe", "--no-input", "-o", out, "--template", template, "--force")

    assert result.exit_code == 2, result.output
    assert "symbolic link" in result.stderr and "src" in result.stderr
    assert tree(outside) == ["victim.txt"]
    assert tree(target) == ["src"]  # all or nothing: README.md was not placed either


def test_force_refuses_a_target_that_is_a_symlink(tmp_path, places):
    out, outside, _ = places
    template = write_template(tmp_path / "template", {"README.md": "hi\n"})
    (out / "pipe").symlink_to(outside, target_is_directory=True)

    result = invoke("new", "Pipe", "--no-input", "-o", out, "--template", template, "--force")

    assert result.exit_code == 2, result.output
    assert tree(outside) == ["victim.txt"]


def test_force_replaces_template_files_and_keeps_others(tmp_path, places):
    out, _, _ = places
    template = write_template(tmp_path / "template", {"README.md": "new\n", "src/mod.py": "x\n"})
    target = out / "pipe"
    (target / "src").mkdir(parents=True)
    (target / "README.md").write_text("old\n")
    (target / "mine.txt").write_text("mine\n")

    result = invoke("new", "Pipe", "--no-input", "-o", out, "--template", template, "--force")

    assert result.exit_code == 0, result.output
    assert (target / "README.md").read_text() == "new\n"
    assert (target / "mine.txt").read_text() == "mine\n"
    assert tree(target) == [".scaffold.json", "README.md", "mine.txt", "src", "src/mod.py"]


def make_project(template, out):
    result = invoke("new", "Pipe", "--no-input", "-o", out, "--template", template)
    assert result.exit_code == 0, result.output
    return out / "pipe"  # in the git repository `new` started


def test_check_and_update_refuse_recorded_answers_that_render_outside(tmp_path, places):
    out, outside, marks = places
    template = write_template(
        tmp_path / "template", {"{{cookiecutter.where}}": "x\n"}, {"where": "notes.txt"}
    )
    git("init", "-q", cwd=template)
    git("add", "-A", cwd=template)
    git("commit", "-qm", "v1", cwd=template)
    project = make_project(template, out)
    provenance = read_provenance(project)
    provenance.answers["where"] = str(outside / "pwned.txt")  # a hostile edit, committed
    write_provenance(project, provenance)
    git("commit", "-qam", "edit answers", cwd=project)

    for command in (["update"], ["update", "--dry-run"]):
        result = invoke(*command, project)

        assert result.exit_code == 2, (command, result.output)
        assert "outside the project" in result.stderr
        assert tree(outside) == ["victim.txt"]
    # check compares with the digests recorded at generation: it renders nothing.
    assert invoke("check", project).exit_code == 0
    assert tree(outside) == ["victim.txt"]
    provenance.generated = None  # as in projects made before digests were recorded
    write_provenance(project, provenance)
    for command in (["check"], ["check", "--json"]):
        result = invoke(*command, project)

        assert result.exit_code == 2, (command, result.output)
        assert "outside the project" in result.stderr
        assert tree(outside) == ["victim.txt"]


def test_update_refuses_a_new_template_version_that_writes_outside(tmp_path, places):
    out, outside, _ = places
    template = write_template(tmp_path / "template", {"ok.txt": "fine\n"}, {"where": "x"})
    git("init", "-q", cwd=template)
    git("add", "-A", cwd=template)
    git("commit", "-qm", "v1", cwd=template)
    project = make_project(template, out)
    new_variable = {"where": "x", "later": "../../../outside/p.txt"}  # a default, not an answer
    write_template(template, {"{{cookiecutter.later}}": "x"}, new_variable, version="2")
    git("add", "-A", cwd=template)
    git("commit", "-qm", "v2", cwd=template)
    before = tree(project)

    result = invoke("update", project)

    assert result.exit_code == 2, result.output
    assert tree(outside) == ["victim.txt"]
    assert tree(project) == before


def test_update_refuses_to_write_through_a_symlink_in_the_project(tmp_path, places):
    out, outside, _ = places
    template = write_template(tmp_path / "template", {"src/mod.py": "x = 1\n"})
    git("init", "-q", cwd=template)
    git("add", "-A", cwd=template)
    git("commit", "-qm", "v1", cwd=template)
    project = make_project(template, out)
    (project / "src" / "mod.py").unlink()
    (project / "src").rmdir()
    (project / "src").symlink_to(outside)
    git("add", "-A", cwd=project)
    git("commit", "-qm", "link", cwd=project)
    write_template(template, {"src/mod.py": "x = 2\n", "src/new.py": "y\n"}, version="2")
    git("add", "-A", cwd=template)
    git("commit", "-qm", "v2", cwd=template)

    result = invoke("update", project)

    assert result.exit_code == 2, result.output
    assert "symbolic link" in result.stderr
    assert tree(outside) == ["victim.txt"]


class TestHooks:
    """Generation runs a template's hooks; --dry-run, check and --no-hooks run none."""

    @pytest.fixture
    def template(self, tmp_path, places):
        template = write_template(tmp_path / "template", {"a.txt": "a\n"}, marks=places[2])
        git("init", "-q", cwd=template)
        git("add", "-A", cwd=template)
        git("commit", "-qm", "v1", cwd=template)
        return template

    def test_new_runs_hooks_once_each(self, template, places):
        out, _, marks = places
        invoke("new", "Pipe", "--no-input", "-o", out, "--template", template)

        assert tree(marks) == ["post_gen_project", "pre_gen_project"]
        assert (marks / "pre_gen_project").read_text() == "ran\n"
        assert (marks / "post_gen_project").read_text() == "ran\n"

    @pytest.mark.parametrize("option", ["--dry-run", "--no-hooks"])
    def test_new_dry_run_and_no_hooks_run_none(self, template, places, option):
        out, _, marks = places
        result = invoke("new", "Pipe", "--no-input", "-o", out, "--template", template, option)

        assert result.exit_code == 0, result.output
        assert tree(marks) == []

    def test_check_runs_no_hooks(self, template, places):
        out, _, marks = places
        project = make_project(template, out)
        for mark in marks.iterdir():
            mark.unlink()

        for options in ([], ["--json"]):
            result = invoke("check", project, *options)
            assert result.exit_code == 0, result.output
        assert tree(marks) == []

    def test_check_runs_no_hooks_of_a_template_named_by_an_edited_provenance(
        self, tmp_path, places
    ):
        out, _, marks = places
        benign = write_template(tmp_path / "benign", {"a.txt": "a\n"})
        project = make_project(benign, out)
        evil = write_template(tmp_path / "evil", {"a.txt": "a\n"}, marks=marks)
        provenance = read_provenance(project)
        provenance.template_source = str(evil)
        write_provenance(project, provenance)

        result = invoke("check", project, "--json")

        assert json.loads(result.stdout)["status"] == "outdated"  # another template's content
        assert tree(marks) == []

    def test_update_runs_hooks_unless_refused(self, template, places):
        out, _, marks = places
        project = make_project(template, out)
        write_template(template, {"a.txt": "a\n", "b.txt": "b\n"}, marks=marks, version="2")
        git("add", "-A", cwd=template)
        git("commit", "-qm", "v2", cwd=template)
        for mark in marks.iterdir():
            mark.unlink()

        refused = invoke("update", project, "--dry-run", "--no-hooks")
        assert refused.exit_code == 0, refused.output
        assert tree(marks) == []

        result = invoke("update", project)
        assert result.exit_code == 0, result.output
        assert (project / "b.txt").read_text() == "b\n"
        # Both versions rendered in a throwaway folder, each with its two hooks.
        assert (marks / "pre_gen_project").read_text() == "ran\n" * 2
        assert (marks / "post_gen_project").read_text() == "ran\n" * 2


def test_a_relative_template_path_is_recorded_where_it_resolves(tmp_path, places):
    out, _, _ = places
    write_template(tmp_path / "template", {"a.txt": "a\n"})

    result = invoke("new", "Pipe", "--no-input", "-o", out, "--template", "template", cwd=tmp_path)

    assert result.exit_code == 0, result.output
    project = out / "pipe"
    assert read_provenance(project).template_source == str((tmp_path / "template").resolve())
    checked = invoke("check", ".", cwd=project)
    assert checked.exit_code == 0, checked.output


def test_a_project_name_given_twice_is_refused(tmp_path, places):
    out, _, _ = places

    result = invoke("new", "Pipe", "--no-input", "-o", out, "--set", "project_name=Other")

    assert result.exit_code == 2
    assert "project_name" in result.stderr and "give the project name once" in result.stderr
    assert tree(out) == []


def test_hook_output_goes_to_stderr(tmp_path, places):
    out, _, _ = places
    template = write_template(tmp_path / "template", {"a.txt": "a\n"})
    (template / "hooks").mkdir()
    (template / "hooks" / "post_gen_project.py").write_text("print('hello from the hook')\n")

    result = subprocess.run(
        [sys.executable, "-m", "scaffold", "new", "Pipe", "--no-input", "-o", str(out),
         "--template", str(template)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip

    assert result.returncode == 0, result.stderr
    assert "hello from the hook" in result.stderr
    assert result.stdout.startswith("Created ") and "hello" not in result.stdout


@pytest.mark.slow
def test_check_compares_big_files_without_holding_them_in_memory(tmp_path, places):
    out, _, _ = places
    template = write_template(tmp_path / "template", {"a.txt": "a\n"})
    size = 256 * 2**20
    with open(template / "{{cookiecutter.project_slug}}" / "big.bin", "wb") as handle:
        handle.truncate(size)  # zeros: a binary file, copied as it is
    assert invoke("new", "Pipe", "--no-input", "-o", out, "--template", template).exit_code == 0
    with open(out / "pipe" / "big.bin", "r+b") as handle:
        handle.seek(size - 1)
        handle.write(b"\1")  # an edit at the very end

    measure = (
        "import resource, subprocess, sys;"
        "result = subprocess.run([sys.executable, '-m', 'scaffold', 'check', sys.argv[1]],"
        " capture_output=True, text=True);"
        "print(result.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss);"
        "print(result.stdout)"
    )
    result = subprocess.run(
        [sys.executable, "-c", measure, str(out / "pipe")], capture_output=True, text=True
    )

    first_line, report = result.stdout.split("\n", 1)
    exit_code, peak_kib = map(int, first_line.split())
    assert exit_code == 0 and "big.bin" in report  # listed as edited
    assert peak_kib < 160 * 1024, f"check peaked at {peak_kib // 1024} MiB for a 256 MiB file"


def test_answers_holding_jinja_never_reach_cookiecutters_second_render(tmp_path, places):
    """cookiecutter renders a folder's whole path again: an answer that makes the project
    folder `{{cookiecutter.x}}` must not turn into '../../victim' there."""
    out, outside, _ = places
    (outside / "static").mkdir()
    (outside / "static" / "keep.txt").write_text("precious\n")
    template = write_template(
        tmp_path / "template",
        {"sub/a.txt": "a\n", "static/s.txt": "s\n"},
        {"project_slug": "{{ cookiecutter.project_name.lower() }}", "x": "",
         "_copy_without_render": ["static"]},
    )  # fmt: skip

    result = invoke("new", "{{cookiecutter.x}}", "--no-input", "-o", out, "--template", template,
                    "--set", "x=../../outside")  # fmt: skip

    assert result.exit_code == 2, result.output
    assert "Jinja syntax" in result.stderr
    assert tree(outside) == ["static", "static/keep.txt", "victim.txt"]
    assert tree(out) == []


def test_an_output_folder_holding_jinja_is_refused(tmp_path, places):
    out, outside, _ = places
    template = write_template(tmp_path / "template", {"sub/a.txt": "a\n"}, {"x": "../outside"})
    weird = out / "{{cookiecutter.x}}"

    result = invoke("new", "Pipe", "--no-input", "-o", weird, "--template", template)

    assert result.exit_code == 2, result.output
    assert "Jinja syntax" in result.stderr
    assert tree(outside) == ["victim.txt"]


@pytest.mark.parametrize(
    "name, message",
    [("{{cookiecutter.nope}}.txt", "nope"), ("{% if x %}.txt", "failed to render")],
)
def test_a_path_that_cannot_render_is_a_clean_error(tmp_path, places, name, message):
    out, _, _ = places
    template = write_template(tmp_path / "template", {name: "x\n"})

    result = invoke("new", "Pipe", "--no-input", "-o", out, "--template", template)

    assert result.exit_code == 2, result.output
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert tree(out) == []


def test_a_template_may_not_write_scaffolds_own_files(tmp_path, places):
    out, _, _ = places
    template = write_template(tmp_path / "template", {".scaffold-journal.json": "{}"})

    result = invoke("new", "Pipe", "--no-input", "-o", out, "--template", template)

    assert result.exit_code == 2 and "scaffold keeps for itself" in result.stderr


def test_check_reads_a_link_as_an_edit_and_never_follows_it(tmp_path, places):
    out, outside, _ = places
    template = write_template(tmp_path / "template", {"docs/a.md": "a\n", "b.txt": "b\n"})
    project = make_project(template, out)
    shutil.rmtree(project / "docs")
    (project / "docs").symlink_to(outside)

    result = invoke("check", project, "--json")

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["edited"] == ["docs/a.md"]
