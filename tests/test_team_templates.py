"""Any template plain cookiecutter renders, through its whole life: new, check, update.

The templates here follow the patterns of widely used public templates: no `_template_name`
or `_template_version`, raw Jinja and `sys.exit` in a pre-generation hook, hooks that print,
a post-generation hook that builds a virtualenv-like tree with absolute links and removes files
by an answer, choice variables, a path variable renamed between versions, tags, and folder and
zip templates. Every result is compared with plain cookiecutter's render of the same version.
"""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from cookiecutter.main import cookiecutter

from scaffold.provenance import read_provenance
from tests.conftest import invoke
from tests.test_hostile_templates import git

ANSWERS = {"project_name": "Demo", "license": "BSD"}

PRE_HOOK = """\
import sys

name = "{{ cookiecutter.import_name }}"
if not name.isidentifier():
    print(f"ERROR: {name!r} is not a valid Python module name", file=sys.stderr)
    sys.exit(1)
print("the pre-generation hook checked", name)
with open({marks!r}, "a") as marks:
    marks.write("pre\\n")
"""

# A virtualenv-like tree whose files name the project's absolute path, and a file removed
# by an answer, as post-generation hooks of public templates do.
POST_HOOK = """\
import os

print("the post-generation hook runs in", os.getcwd())
os.makedirs(".env/bin")
os.makedirs(".env/lib")
with open(".env/lib/real", "w") as real:
    real.write("the real thing\\n")
os.symlink(os.path.join(os.getcwd(), ".env", "lib", "real"), ".env/bin/link")
with open(".env/bin/activate", "w") as activate:
    activate.write("VIRTUAL_ENV=" + os.path.join(os.getcwd(), ".env") + "\\n")
if "{{ cookiecutter.license }}" != "MIT":
    os.remove("LICENSE_MIT.txt")
"""

PROJECT = "{{cookiecutter.project_slug}}"


def version_1(root, marks):
    return {
        "cookiecutter.json": json.dumps(
            {
                "project_name": "Demo",
                "project_slug": "{{ cookiecutter.project_name.lower().replace(' ', '-') }}",
                "import_name": "{{ cookiecutter.project_slug.replace('-', '_') }}",
                "license": ["MIT", "BSD"],
            }
        ),
        "hooks/pre_gen_project.py": PRE_HOOK.replace("{marks!r}", repr(str(marks))),
        "hooks/post_gen_project.py": POST_HOOK,
        f"{PROJECT}/README.md": "# {{ cookiecutter.project_name }}\n\nline a\nline b\nline c\n",
        f"{PROJECT}/.gitignore": ".env/\n",
        f"{PROJECT}/LICENSE_MIT.txt": "MIT\n",
        f"{PROJECT}/docs/guide.md": "A guide.\n",
        f"{PROJECT}/src/{{{{cookiecutter.project_slug}}}}/__init__.py": '"""v1."""\n',
    }


def version_2(root, marks):
    """The path variable renamed (it renders the same), a new file, a changed line, and the
    choice's options changed (BSD still among them)."""
    files = version_1(root, marks)
    del files[f"{PROJECT}/src/{{{{cookiecutter.project_slug}}}}/__init__.py"]
    context = json.loads(files["cookiecutter.json"])
    context["license"] = ["Apache", "MIT", "BSD"]
    return {
        **files,
        "cookiecutter.json": json.dumps(context),
        f"{PROJECT}/README.md": "# {{ cookiecutter.project_name }}\n\nline a\nline b\nline c 2\n",
        f"{PROJECT}/src/{{{{cookiecutter.import_name}}}}/__init__.py": '"""v2."""\n',
        f"{PROJECT}/src/{{{{cookiecutter.import_name}}}}/core.py": "VALUE = 2\n",
    }


def write_files(root, files):
    """Replace the template at `root` (its git folder kept) with `files`."""
    root = Path(root)
    for path in list(root.iterdir()) if root.exists() else []:
        if path.name != ".git":
            shutil.rmtree(path) if path.is_dir() else path.unlink()
    for relative, text in files.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(text)
    return root


def commit(root, message, tag=None):
    git("add", "-A", cwd=root)
    git("commit", "-qm", message, cwd=root)
    if tag:
        git("tag", tag, cwd=root)


def scaffold(*args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "scaffold", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        check=False,
    )


def settings(answers):
    return [item for key, value in answers.items() for item in ("--set", f"{key}={value}")]


def new(template, out, *options, answers=ANSWERS):
    result = scaffold("new", "--no-input", "-o", out, "--template", template, *options,
                      *settings({k: v for k, v in answers.items() if k != "project_name"}),
                      answers["project_name"])  # fmt: skip
    assert result.returncode == 0, result.stderr
    return Path(result.stdout.split("Created ", 1)[1].split("\n", 1)[0])


def cookiecutter_render(template, out, answers=ANSWERS):
    """Plain cookiecutter's render of the template as it is now."""
    return Path(cookiecutter(str(template), no_input=True, extra_context=answers, output_dir=out))


def files_of(project):
    """Content of each file, left out: git, what .gitignore excludes here (.env) and scaffold's
    provenance."""
    return {
        p.relative_to(project).as_posix(): p.read_bytes()
        for p in sorted(Path(project).rglob("*"))
        if p.is_file()
        and not {".git", ".env"} & set(p.relative_to(project).parts)
        and p.name != ".scaffold.json"
    }


def test_a_team_template_through_its_whole_life(tmp_path):
    marks = tmp_path / "marks"
    template = write_files(tmp_path / "team-template", version_1(tmp_path, marks))
    git("init", "-q", cwd=template)
    commit(template, "v1")

    # new: the same files as plain cookiecutter, each hook run once, in the project's place.
    project = new(template, tmp_path / "out")
    assert marks.read_text() == "pre\n"
    assert files_of(project) == files_of(cookiecutter_render(template, tmp_path / "cc1"))
    link = project / ".env" / "bin" / "link"
    assert link.resolve() == (project / ".env" / "lib" / "real").resolve()
    assert link.read_text() == "the real thing\n"
    assert f"VIRTUAL_ENV={project}/.env" in (project / ".env/bin/activate").read_text()
    assert not (project / "LICENSE_MIT.txt").exists()  # the hook removed it for BSD
    provenance = read_provenance(project)
    assert provenance.template_name == "team-template"  # from its source, no _template_name

    # The user's work: an edited line, a deleted file, an own file.
    readme = (project / "README.md").read_text().replace("line a", "line a, mine")
    (project / "README.md").write_text(readme)
    (project / "docs" / "guide.md").unlink()
    (project / "notes.txt").write_text("mine\n")
    commit(project, "user work")

    check = scaffold("check", project, "--json")
    report = json.loads(check.stdout)  # stdout is JSON alone
    assert check.returncode == 0, check.stderr
    assert (report["edited"], report["deleted"]) == (["README.md"], ["docs/guide.md"])

    write_files(template, version_2(tmp_path, marks))
    commit(template, "v2")
    check = scaffold("check", project, "--json")
    assert check.returncode == 1 and json.loads(check.stdout)["status"] == "outdated"

    update = scaffold("update", project)
    assert update.returncode == 0, update.stderr
    assert "the pre-generation hook checked" in update.stderr  # hook output: stderr only
    assert "hook" not in update.stdout
    assert scaffold("check", project).returncode == 0

    expected = files_of(cookiecutter_render(template, tmp_path / "cc2"))
    assert "src/demo/__init__.py" in expected and "src/demo/core.py" in expected
    mine = files_of(project)
    assert mine.pop("notes.txt") == b"mine\n"
    assert mine.pop("README.md") == b"# Demo\n\nline a, mine\nline b\nline c 2\n"
    del expected["README.md"], expected["docs/guide.md"]  # edited, and deleted by the user
    assert mine == expected
    assert link.read_text() == "the real thing\n"  # the project's own .env is untouched


def version_1_project(tmp_path):
    """The team template at version 1 in git, and a project made from it, in git too."""
    template = write_files(tmp_path / "team-template", version_1(tmp_path, tmp_path / "marks"))
    git("init", "-q", cwd=template)
    commit(template, "v1")
    project = new(template, tmp_path / "out")
    return template, project


def test_a_conflict_is_resolved_and_continued(tmp_path):
    template, project = version_1_project(tmp_path)
    (project / "README.md").write_text("# Demo\n\nline a\nline b\nline c, mine\n")
    commit(project, "user work")
    write_files(template, version_2(tmp_path, tmp_path / "marks"))
    commit(template, "v2")

    update = scaffold("update", project)

    assert update.returncode == 1, update.stderr
    readme = (project / "README.md").read_text()
    assert "<<<<<<< yours\nline c, mine\n=======\nline c 2\n>>>>>>>" in readme
    assert scaffold("check", project).returncode == 1
    (project / "README.md").write_text("# Demo\n\nline a\nline b\nline c 2, mine\n")
    finished = scaffold("update", project, "--continue")
    assert finished.returncode == 0, finished.stderr
    assert scaffold("check", project).returncode == 0
    assert (project / "src" / "demo" / "core.py").read_text() == "VALUE = 2\n"


def test_the_hooks_own_answer_check_refuses_with_its_message(tmp_path):
    marks = tmp_path / "marks"
    template = write_files(tmp_path / "team-template", version_1(tmp_path, marks))
    out = tmp_path / "out"

    result = scaffold("new", "--no-input", "-o", out, "--template", template,
                      "--set", "import_name=not-a-module", "Demo")  # fmt: skip

    assert result.returncode == 2
    assert "'not-a-module' is not a valid Python module name" in result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""
    assert not out.exists() and not marks.exists()


def test_a_choice_answer_the_new_version_no_longer_offers_is_a_clear_error(tmp_path):
    template, project = version_1_project(tmp_path)
    files = version_2(tmp_path, tmp_path / "marks")
    context = json.loads(files["cookiecutter.json"])
    context["license"] = ["Apache", "MIT"]
    write_files(template, {**files, "cookiecutter.json": json.dumps(context)})
    commit(template, "v2 drops BSD")

    update = scaffold("update", project)

    assert update.returncode == 2
    assert "license" in update.stderr and "BSD" in update.stderr
    assert "--set license=" in update.stderr
    assert scaffold("update", project, "--set", "license=MIT").returncode == 0
    assert read_provenance(project).answers["license"] == "MIT"


def test_a_project_pinned_to_a_tag_follows_its_tag(tmp_path):
    template = write_files(tmp_path / "team-template", version_1(tmp_path, tmp_path / "marks"))
    git("init", "-q", cwd=template)
    commit(template, "v1", tag="v1")
    project = new(template, tmp_path / "out", "--checkout", "v1")
    write_files(template, version_2(tmp_path, tmp_path / "marks"))
    commit(template, "v2", tag="v2")

    assert scaffold("check", project).returncode == 0  # v1 has not moved
    assert scaffold("check", project, "--checkout", "v2").returncode == 1
    update = scaffold("update", project, "--checkout", "v2")
    assert update.returncode == 0, update.stderr
    assert read_provenance(project).checkout == "v2"
    assert (project / "src" / "demo" / "core.py").exists()
    assert scaffold("check", project).returncode == 0


@pytest.mark.parametrize("kind", ["folder", "zip"])
def test_a_folder_or_zip_template_without_version_that_changed(tmp_path, kind):
    folder = write_files(tmp_path / "plain", version_1(tmp_path, tmp_path / "marks"))
    source = folder
    if kind == "zip":
        source = Path(shutil.make_archive(str(tmp_path / "plain"), "zip", tmp_path, "plain"))
    project = new(source, tmp_path / "out")
    assert scaffold("check", project).returncode == 0

    write_files(folder, version_2(tmp_path, tmp_path / "marks"))
    if kind == "zip":
        shutil.make_archive(str(tmp_path / "plain"), "zip", tmp_path, "plain")

    check = scaffold("check", project, "--json")
    report = json.loads(check.stdout)
    assert check.returncode == 1 and report["status"] == "outdated"
    assert report["template_changed"] is True
    assert report["edited"] == [] and report["deleted"] == []  # nothing the user did
    update = scaffold("update", project)
    assert update.returncode == 2
    assert "kept nowhere" in update.stderr and "git" in update.stderr
    assert scaffold("update", project, "--dry-run").returncode == 2
    assert not (project / "src" / "demo" / "core.py").exists()


def test_checkout_of_a_folder_template_is_refused(tmp_path):
    folder = write_files(tmp_path / "plain", version_1(tmp_path, tmp_path / "marks"))

    result = scaffold("new", "--no-input", "-o", tmp_path / "out", "--template", folder,
                      "--checkout", "v1", "Demo")  # fmt: skip

    assert result.returncode == 2
    assert "--checkout 'v1' needs a git template" in result.stderr


def test_scaffolds_own_name_rules_apply_to_the_bundled_template_only(tmp_path):
    """A team template may allow what the bundled one refuses (an upper-case slug here)."""
    template = write_files(tmp_path / "team-template", version_1(tmp_path, tmp_path / "marks"))
    answers = {**ANSWERS, "project_slug": "Demo_Lab", "import_name": "demo_lab"}

    project = new(template, tmp_path / "out", answers=answers)

    assert project.name == "Demo_Lab"
    expected = cookiecutter_render(template, tmp_path / "cc", answers=answers)
    assert files_of(project) == files_of(expected)
    bundled = scaffold("new", "--no-input", "-o", tmp_path / "b", "--set",
                       "project_slug=Demo_Lab", "Demo")  # fmt: skip
    assert bundled.returncode == 2 and "project slug" in bundled.stderr


def test_update_brings_the_templates_permission_bits_unless_the_user_changed_them(tmp_path):
    template = write_files(tmp_path / "t", {
        "cookiecutter.json": json.dumps({"project_name": "Demo", "project_slug": "demo"}),
        f"{PROJECT}/run.sh": "#!/bin/sh\n", f"{PROJECT}/mine.sh": "#!/bin/sh\n",
    })  # fmt: skip
    for name in ("run.sh", "mine.sh"):
        (template / PROJECT / name).chmod(0o755)
    git("init", "-q", cwd=template)
    commit(template, "v1")
    project = new(template, tmp_path / "out", answers={"project_name": "Demo"})
    (project / "mine.sh").chmod(0o700)  # the user's own choice (git sees no change in it)
    (template / PROJECT / "new.sh").write_text("#!/bin/sh\n")
    (template / PROJECT / "new.sh").chmod(0o755)
    for name in ("run.sh", "mine.sh"):
        (template / PROJECT / name).write_text("#!/bin/sh\necho 2\n")
        (template / PROJECT / name).chmod(0o644)
    commit(template, "v2")

    assert scaffold("update", project).returncode == 0

    def mode(name):
        return (project / name).stat().st_mode & 0o777

    assert mode("new.sh") & 0o111, "a new script is executable, as the template has it"
    assert not mode("run.sh") & 0o111, "the template made it non-executable"
    assert mode("mine.sh") == 0o700, "the user's own permission bits stay"
    assert (project / "mine.sh").read_text() == "#!/bin/sh\necho 2\n"


def test_a_template_without_project_name_needs_no_name(tmp_path):
    template = write_files(tmp_path / "t", {
        "cookiecutter.json": json.dumps({"repo": "r"}), "{{cookiecutter.repo}}/a.txt": "a\n",
    })  # fmt: skip

    made = scaffold("new", "--no-input", "-o", tmp_path / "out", "--template", template,
                    "--set", "repo=lab")  # fmt: skip
    named = scaffold("new", "x", "--no-input", "-o", tmp_path / "o2", "--template", template)

    assert made.returncode == 0, made.stderr
    assert (tmp_path / "out" / "lab" / "a.txt").read_text() == "a\n"
    assert named.returncode == 2 and "has no project_name variable" in named.stderr


@pytest.mark.parametrize("exists", [True, False], ids=["repository", "no-folder"])
def test_a_plus_inside_a_git_url_is_one_line_on_stderr(tmp_path, exists):
    template = tmp_path / "a+b.git"
    if exists:
        write_files(template, version_1(tmp_path, tmp_path / "marks"))
        git("init", "-q", cwd=template)
        commit(template, "v1")
    out = tmp_path / "out"

    result = scaffold("new", "--no-input", "-o", out, "--template", f"git+file://{template}")

    assert result.returncode == 2
    assert result.stderr.startswith("Error: ") and result.stderr.count("\n") == 1
    assert "Traceback" not in result.stderr and "folder path" in result.stderr
    assert not out.exists()


def test_a_template_in_a_folder_whose_name_holds_a_plus(tmp_path):
    template = write_files(tmp_path / "a+b.git", version_1(tmp_path, tmp_path / "marks"))
    git("init", "-q", cwd=template)
    commit(template, "v1")

    project = new(template, tmp_path / "out")

    assert files_of(project) == files_of(cookiecutter_render(template, tmp_path / "cc"))
    provenance = read_provenance(project)
    assert provenance.template_source == str(template) and provenance.commit


GIT_HOOK = """
import subprocess

for command in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "Initial commit"]):
    subprocess.run(["git", "-c", "user.name=Hook", "-c", "user.email=hook@example.com",
                    "-c", "commit.gpgsign=false", *command], check=True)
"""


def test_a_post_generation_hook_that_commits_leaves_a_clean_repository(tmp_path):
    files = version_1(tmp_path, tmp_path / "marks")
    files["hooks/post_gen_project.py"] = POST_HOOK + GIT_HOOK  # it removes a file, then commits
    template = write_files(tmp_path / "committing-template", files)

    result = scaffold("new", "--no-input", "-o", tmp_path / "out", "--template", template,
                      "--set", "license=BSD", "Demo")  # fmt: skip

    assert result.returncode == 0, result.stderr
    project = tmp_path / "out" / "demo"
    status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=all"],
                            cwd=project, capture_output=True, text=True, check=True)  # fmt: skip
    assert status.stdout == ""
    assert "Started" not in result.stdout  # the hook made the repository, scaffold did not
    assert "LICENSE_MIT.txt" not in read_provenance(project).generated


def nested_templates(root):
    """A template repository in cookiecutter's nested form: a `templates` key naming two."""
    (root).mkdir(parents=True)
    (root / "cookiecutter.json").write_text(json.dumps({"templates": {
        "api": {"path": "./api", "title": "An API", "description": "a service"},
        "batch": {"path": "./batch", "title": "A batch job", "description": "a job"},
    }}))  # fmt: skip
    for kind in ("api", "batch"):
        folder = root / kind / "{{cookiecutter.slug}}"
        folder.mkdir(parents=True)
        (root / kind / "cookiecutter.json").write_text(json.dumps({"slug": f"my-{kind}"}))
        (folder / "KIND.txt").write_text(f"{kind} for {{{{cookiecutter.slug}}}}\n")
    git("init", "-q", cwd=root)
    git("add", "-A", cwd=root)
    git("commit", "-qm", "nested", cwd=root)
    return root


def test_a_nested_template_is_chosen_without_a_prompt_and_recorded(tmp_path):
    source = nested_templates(tmp_path / "nested")
    plain = cookiecutter(str(source), no_input=True, output_dir=str(tmp_path / "plain"))

    first = invoke("new", "--template", source, "-o", tmp_path / "a", "--no-input", "--no-git")
    second = invoke("new", "--template", source, "-o", tmp_path / "b", "--no-input", "--no-git",
                    "--set", "template=batch")  # fmt: skip

    assert first.exit_code == 0, first.output
    assert (tmp_path / "a" / "my-api" / "KIND.txt").read_text() == (
        Path(plain) / "KIND.txt"
    ).read_text()  # cookiecutter's choice without input: the first
    assert second.exit_code == 0, second.output
    project = tmp_path / "b" / "my-batch"
    assert (project / "KIND.txt").read_text() == "batch for my-batch\n"
    assert read_provenance(project).directory == "batch"
    assert invoke("check", project).exit_code == 0


def test_an_unknown_nested_template_is_named_and_nothing_is_written(tmp_path):
    source = nested_templates(tmp_path / "nested")

    result = invoke("new", "--template", source, "-o", tmp_path / "out", "--no-input",
                    "--set", "template=web")  # fmt: skip

    assert result.exit_code == 2
    assert "'web' is not a template of" in result.output and "api, batch" in result.output
    assert not (tmp_path / "out").exists()
