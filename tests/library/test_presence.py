"""A commit records its output folders' stamps; a later run trusts them instead of listing the
folders only while they hold, and notices any change to a folder's entries."""

import json
import os

import pytest
from sample_pipeline.tasks import ToNumpy

from luisy_directory_tasks import presence
from luisy_directory_tasks.manifest_checks import ManifestError, check_folder_stamps

from conftest import EXT, build, gradient, needs_lossless, write_image

pytestmark = needs_lossless


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
    assert all(stamp is not None for stamp in manifest["folders"].values())
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
    assert manifest["folders"] == {"": None, "sub": None}
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
    [[], {"../..": [1, 2, 3]}, {"/etc": None}, {"a": [1, 2]}, {"a": [1, 2, True]}, {"a": "x"}],
)
def test_folder_stamps_that_are_not_ours_are_refused(stamps):
    with pytest.raises(ManifestError):
        check_folder_stamps(stamps, "ToNumpy.json")


def test_a_manifest_with_a_stamp_outside_its_folder_is_not_used(workspace):
    manifest = committed(workspace, ["a", "b"])
    manifest["folders"] = {"../..": presence.stamp(str(workspace.root))}
    manifest_path(workspace).write_text(json.dumps(manifest))

    assert not ToNumpy().output().exists()
    build(ToNumpy())
    assert ToNumpy().complete()
    assert json.loads(manifest_path(workspace).read_text())["folders"].keys() == {""}


def test_a_folder_whose_stamp_changed_is_listed_and_may_still_hold_every_file(workspace):
    committed(workspace, ["a", "sub/b"])

    (workspace.to_numpy / "sub" / "notes.txt").write_text("a file of the user's")

    assert ToNumpy().output().exists()
