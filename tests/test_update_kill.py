"""A `scaffold update` killed at any moment: `scaffold recover` (or any command that changes
the project) leaves it wholly at the old version or wholly at the new one, with no temporary
file left; `check` refuses to read it until then."""

import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from scaffold.generate import new_project
from scaffold.journal import JOURNAL_FILE
from tests.test_hostile_templates import git, write_template

pytestmark = pytest.mark.slow

CHANGED, ADDED, TRIALS = 22, 400, 18


def snapshot(folder):
    """Every file and link of a project but its git folder, with its content."""
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(Path(folder).rglob("*"))
        if p.is_file() and ".git" not in p.relative_to(folder).parts
    }


def _journal(project):
    try:
        return (project / JOURNAL_FILE).read_text()
    except FileNotFoundError:
        return ""


def scaffold(*args, **kwargs):
    return subprocess.Popen(
        [sys.executable, "-m", "scaffold", *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kwargs,
    )


@pytest.fixture(scope="module")
def versions(tmp_path_factory):
    """A committed project at template version 1, and the files of version 2 after update."""
    root = tmp_path_factory.mktemp("kill")
    template = root / "template"
    files = {f"changed/f{i}.txt": f"version 1 of file {i}\n" for i in range(CHANGED)}
    write_template(template, {**files, "gone.txt": "dropped in version 2\n"})
    git("init", "-q", cwd=template)
    git("add", "-A", cwd=template)
    git("commit", "-qm", "v1", cwd=template)
    project = new_project("Pipe", output_dir=root / "out", template=str(template)).project_dir

    (template / "{{cookiecutter.project_slug}}" / "gone.txt").unlink()
    files = {f"changed/f{i}.txt": f"version 2 of file {i}\n" for i in range(CHANGED)}
    files |= {f"added/deep/n{i}.txt": f"new file {i}\n" for i in range(ADDED)}
    write_template(template, files, version="2.0.0")
    git("add", "-A", cwd=template)
    git("commit", "-qm", "v2", cwd=template)

    reference = root / "reference"
    shutil.copytree(project, reference, symlinks=True)
    started = time.monotonic()
    update = scaffold("update", reference)
    assert update.wait() == 0, update.communicate()
    duration = time.monotonic() - started
    new = snapshot(reference)
    assert len(new) == len(snapshot(project)) - 1 + ADDED
    return project, snapshot(project), new, duration


def test_a_killed_update_is_finished_or_undone_by_the_next_command(tmp_path, versions):
    project, old, new, duration = versions
    rng = random.Random(20261126)
    outcomes = {"old": 0, "new": 0, "finished": 0, "undone": 0}
    for trial in range(TRIALS):
        work = tmp_path / f"trial-{trial}"
        shutil.copytree(project, work, symlinks=True)
        update = scaffold("update", work)
        moment = trial % 3
        if moment == 0:  # anywhere in the whole command
            time.sleep(rng.uniform(0, duration * 1.5))
        else:  # while writing the new files, or in the renames after the commit point
            phase = "prepared" if moment == 1 else "committing"
            while update.poll() is None and phase not in _journal(work):
                time.sleep(0.0002)
            time.sleep(rng.uniform(0, 0.05 if moment == 1 else 0.01))
        update.kill()
        update.communicate()
        if (work / JOURNAL_FILE).exists():  # a reader refuses to see half a change
            refused = scaffold("check", work)
            assert refused.wait() == 2 and "scaffold recover" in refused.communicate()[1]

        recovery = scaffold("recover", work)
        _, stderr = recovery.communicate()
        assert recovery.returncode == 0, stderr
        check = scaffold("check", work, "--json")
        check.communicate()

        state = snapshot(work)
        assert state in (old, new), f"trial {trial}: a mix of versions or leftovers"
        is_new = state == new
        assert check.returncode == (0 if is_new else 1)
        outcomes["new" if is_new else "old"] += 1
        outcomes["finished"] += "finished a change" in stderr
        outcomes["undone"] += "undid a change" in stderr
        if not is_new and outcomes["old"] <= 2:  # and the next update goes through
            assert scaffold("update", work).wait() == 0
            assert snapshot(work) == new
    # The trials reached both halves of the change: before and after its commit point.
    assert outcomes["finished"] and outcomes["undone"], outcomes
    assert outcomes["old"] and outcomes["new"], outcomes
