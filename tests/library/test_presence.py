"""A commit records its output folders' stamps; a later run trusts them instead of listing the
folders only while they hold, and notices any change to a folder's entries."""

import json
import os
import time

import pytest
from sample_pipeline.tasks import ToNumpy

from luisy_directory_tasks import presence
from luisy_directory_tasks.manifest_checks import ManifestError, check_folder_stamps

from conftest import EXT, build, gradient, needs_lossless, write_image

pytestmark = needs_lossless
real_time_ns = time.time_ns


def committed(workspace, names):
    for index, name in enumerate(names):
        write_image(workspace.raw / f"{name}{EXT}", gradient(seed=index))
    build(ToNumpy())
    return json.loads(manifest_path(workspace).read_text())


def manifest_path(workspace):
    return workspace.to_numpy.parent / "ToNumpy.json"


def test_a_commit_stamps_its_folders_and_the_next_run_lists_none(workspace, monkeypatch):
    manifest = committed(workspace, ["a", "sub/b", "sub/c"])
    assert sorted(manifest["folders"]) == ["", "sub"]
    assert [len(record) for record in manifest["folders"].values()] == [4, 4]  # all stamped
    assert manifest["folders"]["sub"][0] == 2  # files in it
    monkeypatch.setattr(presence, "all_present", lambda *args: pytest.fail("listed a folder"))

    assert ToNumpy().output().exists() and ToNumpy().complete()


@pytest.mark.parametrize(
    "change",
    [
        lambda folder: os.remove(folder / "sub" / "b.npy"),
        lambda folder: os.rename(folder / "sub" / "b.npy", folder / "sub" / "x.npy"),
        lambda folder: os.rename(folder / "sub", folder / "moved"),
        lambda folder: os.remove(folder / "a.npy"),
    ],
    ids=["removed", "renamed", "folder moved", "removed at the top"],
)
def test_a_removed_or_renamed_output_is_noticed(workspace, change):
    committed(workspace, ["a", "sub/b", "sub/c"])

    change(workspace.to_numpy)

    assert not ToNumpy().output().exists() and not ToNumpy().complete()
    build(ToNumpy())
    assert (workspace.to_numpy / "sub" / "b.npy").is_file() and ToNumpy().complete()


def test_a_folder_the_commit_did_not_change_keeps_its_stamp_unlisted(workspace, monkeypatch):
    first = committed(workspace, ["one/a", "two/b"])
    write_image(workspace.raw / "two" / f"c{EXT}", gradient(seed=9))
    listed = []
    all_present = presence.all_present
    monkeypatch.setattr(
        presence,
        "all_present",
        lambda folder, names: listed.append(names) or all_present(folder, names),
    )

    second = committed(workspace, [])

    assert second["folders"]["one"] == first["folders"]["one"]
    assert second["folders"]["two"] != first["folders"]["two"]
    assert [sorted(names) for names in listed] == [["two"]]


def test_a_folder_not_settled_gets_no_stamp_and_is_listed_on_every_run(workspace, monkeypatch):
    monkeypatch.setattr(presence, "_settled", lambda stamp, now: False)
    manifest = committed(workspace, ["a", "sub/b"])
    assert manifest["folders"] == {"": [1], "sub": [1]}  # how many files, no stamp
    assert ToNumpy().output().exists()

    os.remove(workspace.to_numpy / "sub" / "b.npy")

    assert not ToNumpy().output().exists()


@pytest.mark.parametrize(
    "stamp, now, settled",
    [
        ([1, 2, 5 * 10**9 + 7], 6 * 10**9, True),
        ([1, 2, 5 * 10**9 + 7], 5 * 10**9 + 8, False),  # changed moments before
        ([1, 2, 5 * 10**9], 9 * 10**9, False),  # whole seconds: a coarse file system
    ],
)
def test_only_a_stamp_that_tells_every_later_change_is_recorded(stamp, now, settled):
    assert presence._settled(stamp, now) is settled


def test_a_manifest_without_stamps_is_checked_by_listing(workspace):
    manifest = committed(workspace, ["a", "sub/b"])
    del manifest["folders"]  # as an earlier version wrote it
    manifest_path(workspace).write_text(json.dumps(manifest))
    assert ToNumpy().output().exists()

    os.remove(workspace.to_numpy / "sub" / "b.npy")

    assert not ToNumpy().output().exists()


@pytest.mark.parametrize(
    "stamps",
    [
        [],
        {"../..": [1, 2, 3, 4]},
        {"/etc": [1]},
        {"a": [1, 2, 3]},
        {"a": [1, 2, 3, True]},
        {"a": "x"},
        {"a": None},
        {"a": [-1]},
    ],
)
def test_folder_stamps_that_are_not_ours_are_refused(stamps):
    with pytest.raises(ManifestError):
        check_folder_stamps(stamps, "ToNumpy.json")


def test_a_manifest_with_a_stamp_outside_its_folder_is_not_used(workspace):
    manifest = committed(workspace, ["a", "b"])
    manifest["folders"] = {"../..": [2, *presence.stamp(str(workspace.root))]}
    manifest_path(workspace).write_text(json.dumps(manifest))

    assert not ToNumpy().output().exists()
    build(ToNumpy())
    assert ToNumpy().complete()
    assert json.loads(manifest_path(workspace).read_text())["folders"].keys() == {""}


def test_a_folder_whose_stamp_changed_is_listed_and_may_still_hold_every_file(workspace):
    committed(workspace, ["a", "sub/b"])

    (workspace.to_numpy / "sub" / "notes.txt").write_text("a file of the user's")

    assert ToNumpy().output().exists()


@pytest.mark.parametrize(
    "edit",
    [
        lambda folders: folders.pop("sub"),
        lambda folders: folders.clear(),
        lambda folders: folders.update({"sub": [0, *folders["sub"][1:]]}),
    ],
    ids=["a folder left out", "no folder", "a count changed"],
)
def test_stamps_that_do_not_account_for_every_file_are_not_trusted(workspace, edit):
    manifest = committed(workspace, ["a", "sub/b"])
    edit(manifest["folders"])  # a manifest edited by hand
    manifest_path(workspace).write_text(json.dumps(manifest))
    assert ToNumpy().output().exists()

    os.remove(workspace.to_numpy / "sub" / "b.npy")

    assert not ToNumpy().output().exists()


def test_a_commit_waits_no_longer_than_the_settling_time_whatever_the_clocks(
    workspace, monkeypatch
):
    """A file server whose clock is an hour ahead of this machine's: its folders look changed
    in the future, and the commit still waits at most SETTLED_NS (the folders get no stamp)."""
    waits = []
    monkeypatch.setattr(presence.time, "sleep", waits.append)
    monkeypatch.setattr(presence.time, "time_ns", lambda: real_time_ns() - 3600 * 10**9)

    manifest = committed(workspace, ["a"])

    assert waits and max(waits) <= presence.SETTLED_NS / 10**9
    assert manifest["folders"] == {"": [1]}
    assert ToNumpy().output().exists()


def test_an_output_name_a_hand_edit_gave_to_another_file_is_repaired(workspace):
    """The manifest says a.png's output is b.npy; then b.png arrives, whose output is b.npy
    too: the commit retires the listed b.npy before moving the new one in, and the next run
    rebuilds what the edit broke."""
    manifest = committed(workspace, ["a"])
    manifest["files"]["file"] = ["b.npy"]
    manifest_path(workspace).write_text(json.dumps(manifest))
    os.rename(workspace.to_numpy / "a.npy", workspace.to_numpy / "b.npy")
    write_image(workspace.raw / f"b{EXT}", gradient(seed=5))

    build(ToNumpy())
    build(ToNumpy())

    assert ToNumpy().complete()
    outputs = sorted(entry["file"] for entry in ToNumpy().output().load()["files"])
    assert outputs == ["a.npy", "b.npy"]
    assert (workspace.to_numpy / "a.npy").is_file() and (workspace.to_numpy / "b.npy").is_file()
