"""A luisy run is one build: it looks at each folder once, and the next run sees what changed."""

import subprocess
import sys
import types

from luisy import Config, luigi_interface
from sample_pipeline.tasks import ExportDirectory, RedChannel, ToNumpy

from luisy_directory_tasks import builds
from luisy_directory_tasks.inputs import folder_survey, survey_input

from conftest import EXT, TESTS, build, gradient, needs_lossless, write_image

pytestmark = needs_lossless


def surveyed(task):
    """The relative paths a survey of `task`'s input finds."""
    read, _ = survey_input(task.input())
    return [relative for relative, _, _ in read]


def test_outside_a_build_each_look_sees_the_folder_as_it_is_now(workspace):
    write_image(workspace.raw / f"a{EXT}", gradient(seed=1))
    assert surveyed(ToNumpy()) == [f"a{EXT}"]

    write_image(workspace.raw / f"b{EXT}", gradient(seed=2))

    assert surveyed(ToNumpy()) == [f"a{EXT}", f"b{EXT}"]


def test_in_a_build_a_folder_is_looked_at_once_and_the_next_build_sees_the_change(workspace):
    write_image(workspace.raw / f"a{EXT}", gradient(seed=1))
    with builds.one_build():
        first = folder_survey(ExportDirectory().output())
        write_image(workspace.raw / f"b{EXT}", gradient(seed=2))
        with builds.one_build():  # a nested build is part of the outer one
            assert folder_survey(ExportDirectory().output()) is first
        assert surveyed(ToNumpy()) == [f"a{EXT}"]

    assert surveyed(ToNumpy()) == [f"a{EXT}", f"b{EXT}"]


def test_a_file_added_during_a_build_is_processed_by_the_next_one(workspace):
    write_image(workspace.raw / f"a{EXT}", gradient(seed=1))
    with builds.one_build():
        assert surveyed(ToNumpy()) == [f"a{EXT}"]
        write_image(workspace.raw / f"b{EXT}", gradient(seed=2))  # after the build looked
        assert build(RedChannel()).scheduling_succeeded
        assert RedChannel().complete()  # as the build saw the input
    assert [entry["source"] for entry in ToNumpy().output().load()["files"]] == [f"a{EXT}"]

    assert not RedChannel().complete()
    assert build(RedChannel()).scheduling_succeeded

    written = [entry["source"] for entry in RedChannel().output().load()["files"]]
    assert written == ["a.npy", "b.npy"]


def test_outputs_removed_after_a_build_are_noticed_by_the_next_one(workspace):
    write_image(workspace.raw / f"a{EXT}", gradient(seed=1))
    with builds.one_build():
        assert build(RedChannel()).scheduling_succeeded
        assert ToNumpy().output().exists()
    (workspace.to_numpy / "a.npy").unlink()

    assert not ToNumpy().output().exists()
    with builds.one_build():
        assert not ToNumpy().output().exists()
        assert build(RedChannel()).scheduling_succeeded
        assert ToNumpy().output().exists() and (workspace.to_numpy / "a.npy").is_file()


class Coordinator(luigi_interface.Coordinator):
    """luisy's Coordinator without its hashing, whose work looks at the input folder twice with
    a file added in between."""

    def __init__(self, raw):
        Config().set_param("dry_run", False)
        self.hash_synchronizer = types.SimpleNamespace(set_files_to_download=lambda: None)
        self.raw = raw
        self.looks = []

    def initialize_hash_synchronization(self):
        pass

    def initialize_printer(self):
        pass

    def print_approvals(self):
        pass

    def run_coordinator(self):
        self.looks.append(surveyed(ToNumpy()))
        write_image(self.raw / f"b{EXT}", gradient(seed=2))
        self.looks.append(surveyed(ToNumpy()))
        return False


def test_a_luisy_run_is_one_build(workspace):
    write_image(workspace.raw / f"a{EXT}", gradient(seed=1))
    coordinator = Coordinator(workspace.raw)

    assert coordinator.run() == 0

    assert coordinator.looks == [[f"a{EXT}"], [f"a{EXT}"]]
    assert surveyed(ToNumpy()) == [f"a{EXT}", f"b{EXT}"]  # the build ended with the run


FROZEN_AT_EXIT = """
import atexit, gc, sys
from pathlib import Path
atexit.register(lambda: print("frozen at exit:", gc.get_freeze_count() > 0))  # runs last
sys.path.insert(0, sys.argv[1])
from luisy import Config
from test_builds import Coordinator
Config().set_param("working_dir", sys.argv[2])
Coordinator(Path(sys.argv[2]) / "sample_pipeline" / "raw").run()
"""


def test_a_process_that_ran_luisy_ends_without_the_last_full_collection(workspace):
    write_image(workspace.raw / f"a{EXT}", gradient(seed=1))
    command = [sys.executable, "-c", FROZEN_AT_EXIT, str(TESTS), str(workspace.root)]

    result = subprocess.run(command, capture_output=True, text=True, timeout=300)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("frozen at exit: True")


def test_a_commit_neither_parses_its_manifest_again_nor_walks_its_folder(workspace, monkeypatch):
    """In the build that commits a manifest, the manifest written is the one read, and its
    files are known to be there; another process's commit is read and checked."""
    from luisy_directory_tasks import manifests

    write_image(workspace.raw / f"a{EXT}", gradient(seed=1))
    assert build(ToNumpy()).scheduling_succeeded
    target = ToNumpy().output()
    committed = target.load()
    walks = []
    monkeypatch.setattr(
        manifests.ManifestTarget, "_listed_files_there", lambda self, m: walks.append(m) or True
    )
    with builds.one_build():
        target.write(committed)  # as a commit does, once the files are in place
        assert target.load() is committed
        assert target.exists() and walks == []

    with open(target.path, encoding="utf-8") as handle:
        text = handle.read()
    with open(target.path, "w", encoding="utf-8") as handle:  # as another process commits
        handle.write(text)
    assert target.load() is not committed and target.load() == committed


def test_a_run_that_finds_nothing_changed_makes_no_entry_of_a_manifest(workspace, monkeypatch):
    """A manifest's files are read as columns; a dict per file is made only when one is used
    (a no-op over hundreds of thousands of files needs none)."""
    from luisy_directory_tasks.manifests import FileEntries, read_manifest

    for seed in range(3):
        write_image(workspace.raw / f"img{seed}{EXT}", gradient(seed=seed))
    assert build(RedChannel()).scheduling_succeeded
    made = []
    entries = FileEntries.entries
    monkeypatch.setattr(FileEntries, "entries", lambda self: made.append(self) or entries(self))
    path = str(ToNumpy().output().path)
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    with open(path, "w", encoding="utf-8") as handle:  # a new version: read from disk again
        handle.write(text)

    with builds.one_build():
        assert RedChannel().complete()
    assert made == []

    files = read_manifest(path)["files"]
    assert [entry["source"] for entry in files] == [f"img{seed}{EXT}" for seed in range(3)]
    assert made and files[0]["file"] == "img0.npy"
    assert files.entries() is files.entries()  # made once
