"""Nothing of scaffold's stays behind: not in the system temporary folder, not after a kill.

Every command runs as `python -m scaffold` with TMPDIR pointed at a fresh folder, so that what
it (and cookiecutter under it) leaves there is seen.
"""

import json
import os
import signal
import subprocess
import sys
import time

from tests.test_hostile_templates import git
from tests.test_team_templates import commit, version_1, version_2, write_files

STALL_HOOK = '#!/bin/sh\ntouch "$SCAFFOLD_TEST_MARK"\nsleep 120\n'


def scaffold(*args, tmpdir, extra_env=None, **popen):
    env = {**os.environ, "TMPDIR": str(tmpdir), **(extra_env or {})}
    command = [sys.executable, "-m", "scaffold", *map(str, args)]
    if popen:
        return subprocess.Popen(command, env=env, **popen)
    return subprocess.run(command, env=env, capture_output=True, text=True, check=False)


def git_template(tmp_path):
    template = write_files(tmp_path / "team-template", version_1(tmp_path, tmp_path / "marks"))
    git("init", "-q", cwd=template)
    commit(template, "v1")
    return template


def test_new_and_update_leave_nothing_in_the_temp_folder(tmp_path):
    template = git_template(tmp_path)  # its hooks are rendered to files by cookiecutter
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()

    new = scaffold("new", "Demo", "--no-input", "-o", tmp_path / "out", "--template",
                   f"git+file://{template}", "--set", "license=BSD", tmpdir=tmpdir)  # fmt: skip
    assert new.returncode == 0, new.stderr
    assert sorted(os.listdir(tmpdir)) == []

    write_files(template, version_2(tmp_path, tmp_path / "marks"))
    commit(template, "v2")
    update = scaffold("update", tmp_path / "out" / "demo", tmpdir=tmpdir)
    assert update.returncode == 0, update.stderr
    assert sorted(os.listdir(tmpdir)) == []


def _killed_while(tmp_path, tmpdir, out, template, extra_env):
    """Run `scaffold new` until the stall hook marks that it runs, then SIGKILL it and all
    its children."""
    mark = tmp_path / "mark"
    process = scaffold("new", "Demo", "--no-input", "-o", out, "--template", template,
                       "--set", "license=BSD", tmpdir=tmpdir, start_new_session=True,
                       extra_env={**extra_env, "SCAFFOLD_TEST_MARK": str(mark)},
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while not mark.exists():
            assert process.poll() is None and time.monotonic() < deadline, "it never stalled"
            time.sleep(0.05)
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def test_a_new_killed_during_its_clone_leaves_nothing_after_the_next_new(tmp_path):
    template = git_template(tmp_path)
    hooks = tmp_path / "git-hooks"  # git runs post-checkout inside `git clone`
    hooks.mkdir()
    (hooks / "post-checkout").write_text(STALL_HOOK)
    (hooks / "post-checkout").chmod(0o755)
    tmpdir, out = tmp_path / "tmp", tmp_path / "out"
    tmpdir.mkdir()
    stall = {"GIT_CONFIG_COUNT": "1", "GIT_CONFIG_KEY_0": "core.hooksPath",
             "GIT_CONFIG_VALUE_0": str(hooks)}  # fmt: skip

    _killed_while(tmp_path, tmpdir, out, f"git+file://{template}", stall)
    assert os.listdir(tmpdir)  # the killed command's clone is there

    again = scaffold("new", "Demo", "--no-input", "-o", out, "--template",
                     f"git+file://{template}", "--set", "license=BSD", tmpdir=tmpdir)  # fmt: skip
    assert again.returncode == 0, again.stderr
    assert os.listdir(tmpdir) == []
    assert os.listdir(out) == ["demo"]


def test_a_new_killed_in_its_post_generation_hook_leaves_complete_provenance(tmp_path):
    files = version_1(tmp_path, tmp_path / "marks")
    files["hooks/post_gen_project.py"] = (
        "import os, pathlib, time\n"
        "pathlib.Path(os.environ['SCAFFOLD_TEST_MARK']).touch()\n"
        "time.sleep(120)\n"
    )
    template = write_files(tmp_path / "stalling-template", files)
    tmpdir, out = tmp_path / "tmp", tmp_path / "out"
    tmpdir.mkdir()

    _killed_while(tmp_path, tmpdir, out, template, {})

    project = out / "demo"  # the hook runs in the project's place, so it is there
    generated = json.loads((project / ".scaffold.json").read_text())["generated"]
    assert set(generated) == {"README.md", ".gitignore", "LICENSE_MIT.txt", "docs/guide.md",
                              "src/demo/__init__.py"}  # fmt: skip
