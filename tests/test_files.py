"""Changes inside a project: paths checked, all files replaced or none, finished by the next
command after a kill."""

import json
import os
import subprocess

import pytest

from scaffold.errors import GenerationFailed, JournalError, ProjectBusy, UnsafePath
from scaffold.files import project_path
from scaffold.journal import (
    JOURNAL_FILE,
    FileWrite,
    change_files,
    open_project,
    reading_project,
    recover,
)
from scaffold.locks import project_lock, staging_folder


def test_a_failed_write_leaves_every_target_as_it_was(tmp_path):
    first = tmp_path / "first.txt"
    first.write_text("old\n")
    (tmp_path / "blocker").write_text("a file where a folder is needed\n")

    with pytest.raises(GenerationFailed, match="nothing changed"):
        change_files(
            tmp_path,
            [FileWrite("first.txt", b"new\n"), FileWrite("blocker/second.txt", b"new\n")],
        )

    assert first.read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["blocker", "first.txt"]


def test_a_folder_where_a_file_goes_changes_nothing(tmp_path):
    (tmp_path / "first.txt").write_text("old\n")
    (tmp_path / "taken").mkdir()

    with pytest.raises(GenerationFailed, match="taken"):
        change_files(tmp_path, [FileWrite("first.txt", b"new\n"), FileWrite("taken", b"x")])

    assert (tmp_path / "first.txt").read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["first.txt", "taken"]


def test_replaced_files_keep_the_mode_of_their_source(tmp_path):
    script = tmp_path / "run.sh"
    script.write_text("#!/bin/sh\n")
    script.chmod(0o755)

    change_files(tmp_path, [FileWrite("run.sh", b"#!/bin/sh\necho hi\n", mode_from="run.sh")])

    assert script.read_text() == "#!/bin/sh\necho hi\n"
    assert script.stat().st_mode & 0o777 == 0o755


def test_writes_and_removals_land_together_and_leave_no_journal(tmp_path):
    (tmp_path / "old" / "deep").mkdir(parents=True)
    (tmp_path / "old" / "deep" / "gone.txt").write_text("bye\n")

    change_files(tmp_path, [FileWrite("new/file.txt", b"hi\n")], removals=["old/deep/gone.txt"])

    assert (tmp_path / "new" / "file.txt").read_text() == "hi\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["new"]  # empty folders go too


@pytest.mark.parametrize("relative", ["../elsewhere.txt", "/etc/passwd", "a/../../b", ""])
def test_paths_may_not_leave_the_project(tmp_path, relative):
    with pytest.raises(UnsafePath):
        project_path(tmp_path, relative)


def test_paths_never_pass_through_a_symlink(tmp_path):
    victim = tmp_path / "victim"
    victim.mkdir()
    project = tmp_path / "project"
    project.mkdir()
    (project / "src").symlink_to(victim)

    with pytest.raises(UnsafePath, match="symbolic link.*src"):
        change_files(project, [FileWrite("src/module.py", b"x = 1\n")])

    assert list(victim.iterdir()) == []


def _interrupted(project, state):
    """A change stopped by a kill: its temporary file written, its journal in `state`."""
    (project / "kept.txt").write_text("old\n")
    temporary = ".kept.txt.scaffold-" + "0" * 32 + ".tmp"
    (project / temporary).write_text("new\n")
    (project / "gone.txt").write_text("bye\n")
    journal = {
        "state": state,
        "renames": [[temporary, "kept.txt"]],
        "removals": ["gone.txt"],
        "folders": [],
    }
    (project / JOURNAL_FILE).write_text(json.dumps(journal))


def test_the_next_command_finishes_a_committing_change(tmp_path):
    _interrupted(tmp_path, "committing")

    recover(tmp_path)

    assert sorted(p.name for p in tmp_path.iterdir()) == ["kept.txt"]
    assert (tmp_path / "kept.txt").read_text() == "new\n"


def test_the_next_command_undoes_a_prepared_change(tmp_path):
    _interrupted(tmp_path, "prepared")

    recover(tmp_path)

    assert sorted(p.name for p in tmp_path.iterdir()) == ["gone.txt", "kept.txt"]
    assert (tmp_path / "kept.txt").read_text() == "old\n"


@pytest.mark.parametrize(
    "renames, removals",
    [
        ([["../../x.scaffold-" + "0" * 32 + ".tmp", "x"]], []),  # a temporary outside
        ([[".x.scaffold-" + "0" * 32 + ".tmp", "../../x"]], []),  # a target outside
        ([["notes.txt", "x"]], []),  # not a temporary name: would move a user's file
        ([], ["/etc/passwd"]),  # a removal outside
        ([], [".git/HEAD"]),  # git's own files
    ],
)
def test_a_journal_naming_paths_outside_is_refused(tmp_path, renames, removals):
    project = tmp_path / "project"
    (project / ".git").mkdir(parents=True)
    (project / ".git" / "HEAD").write_text("ref\n")
    (project / "notes.txt").write_text("mine\n")
    journal = {"state": "committing", "renames": renames, "removals": removals, "folders": []}
    (project / JOURNAL_FILE).write_text(json.dumps(journal))

    with pytest.raises((JournalError, UnsafePath)):
        recover(project)

    assert (project / ".git" / "HEAD").read_text() == "ref\n"

    assert (project / "notes.txt").read_text() == "mine\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["project"]


def test_one_command_at_a_time_changes_a_project(tmp_path):
    with project_lock(tmp_path), pytest.raises(ProjectBusy, match="another scaffold command"):
        with open_project(tmp_path):
            pass
    with project_lock(tmp_path, shared=True), reading_project(tmp_path):
        pass  # readers share
    with reading_project(tmp_path), pytest.raises(ProjectBusy):
        with open_project(tmp_path):
            pass


def test_a_reader_refuses_while_a_stopped_change_waits(tmp_path):
    _interrupted(tmp_path, "committing")

    with pytest.raises(JournalError, match="scaffold recover"), reading_project(tmp_path):
        pass

    assert (tmp_path / JOURNAL_FILE).exists()  # a reader changes nothing


def test_a_journal_committed_to_git_is_never_acted_on(tmp_path):
    _interrupted(tmp_path, "committing")
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    subprocess.run(["git", "add", JOURNAL_FILE], cwd=tmp_path, check=True)

    with pytest.raises(JournalError, match="committed to git"):
        recover(tmp_path)

    assert (tmp_path / "gone.txt").exists() and (tmp_path / "kept.txt").read_text() == "old\n"


def test_a_recovery_that_fails_keeps_its_journal_and_says_why(tmp_path):
    temporary = ".taken.scaffold-" + "0" * 32 + ".tmp"
    (tmp_path / temporary).write_text("new\n")
    (tmp_path / "taken" / "inner").mkdir(parents=True)  # a folder where the file goes
    journal = {"state": "committing", "renames": [[temporary, "taken"]], "removals": [],
               "folders": []}  # fmt: skip
    (tmp_path / JOURNAL_FILE).write_text(json.dumps(journal))

    with pytest.raises(JournalError, match="scaffold recover"):
        recover(tmp_path)

    assert (tmp_path / JOURNAL_FILE).exists()


def test_undo_removes_only_the_folders_the_change_made(tmp_path):
    (tmp_path / "empty-but-mine").mkdir()
    _killed_before_commit(
        tmp_path, [FileWrite("empty-but-mine/a.txt", b"a"), FileWrite("new/deep/b.txt", b"b")]
    )

    recover(tmp_path)

    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty-but-mine"]


def test_a_kill_while_writing_leaves_no_temporary_file_after_the_next_command(tmp_path):
    """A child killed between its temporary files and the commit: recovery removes them."""
    (tmp_path / "a.txt").write_text("old\n")
    _killed_before_commit(tmp_path, [FileWrite("a.txt", b"new\n"), FileWrite("b.txt", b"b")])
    assert len(list(tmp_path.iterdir())) > 2  # temporary files and the journal were left

    with open_project(tmp_path):
        pass

    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt"]
    assert (tmp_path / "a.txt").read_text() == "old\n"


def test_a_killed_commands_staging_folder_goes_and_a_live_one_stays(tmp_path):
    dead = tmp_path / ".scaffold-staging-dead"
    (dead / "project").mkdir(parents=True)
    (dead / "project" / "half.txt").write_text("x")
    live = tmp_path / ".scaffold-staging-live"
    live.mkdir()

    with project_lock(live), staging_folder(tmp_path) as staging:  # live: another command's
        assert staging.is_dir()
        assert sorted(p.name for p in tmp_path.iterdir()) == sorted([live.name, staging.name])

    assert [p.name for p in tmp_path.iterdir()] == [live.name]


def _killed_before_commit(project, writes):
    """`change_files` in a child process that stops dead (no clean-up runs) just before the
    journal would turn "committing": its temporary files and prepared journal stay."""
    pid = os.fork()
    if pid == 0:
        import scaffold.journal as journal

        real = journal._write_journal

        def die_at_commit(project_dir, state, *args):
            if state == journal.COMMITTING:
                os._exit(9)
            real(project_dir, state, *args)

        journal._write_journal = die_at_commit
        journal.change_files(project, writes)
        os._exit(0)
    os.waitpid(pid, 0)
