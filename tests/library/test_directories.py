import json
import os

import numpy as np
import pytest
from sample_pipeline.images import IMAGE_EXTENSIONS
from sample_pipeline.tasks import ExportDirectory, RedChannel, ToNumpy

from luisy_directory_tasks.errors import (
    BadFilesError,
    EmptyInputError,
    IdCollisionError,
)
from luisy_directory_tasks.files import (
    load_array,
    move_file,
    save_array,
)
from luisy_directory_tasks.inputs import file_id
from luisy_directory_tasks.manifests import (
    GENERATION_FILE,
    ManifestTarget,
    from_columns,
    manifest_text,
)
from luisy_directory_tasks.number_columns import decoded
from luisy_directory_tasks.staging import Staging

from conftest import EXT, build, gradient, layer_contents, needs_lossless, write_image


@pytest.mark.parametrize(
    ("relative", "expected"),
    [(f"a{EXT}", "a"), (f"cats/a.b{EXT}", "cats/a.b"), ("x.tar.gz", "x.tar"), ("noext", "noext")],
)
def test_file_id_drops_only_the_last_extension(relative, expected):
    assert file_id(relative) == expected


@pytest.mark.parametrize(
    "relative",
    [".hidden", "..x", "a/.b", "a/..b.c", "a.b/c", "a.b/.c", "...", "a/b.", ".a.b", "a/.b.c.",
     "ä.ß"],
)  # fmt: skip
def test_file_id_cuts_as_splitext_does(relative):
    assert file_id(relative) == os.path.splitext(relative)[0]


@needs_lossless
def test_save_and_load_round_trip(tmp_path):
    array = gradient(dtype=np.uint16)
    path = tmp_path / "deep" / "a.npy"
    save_array(str(path), array)
    loaded = load_array(str(path))
    assert loaded.dtype == np.uint16
    np.testing.assert_array_equal(loaded, array)


@needs_lossless
def test_load_array_refuses_pickled_data(tmp_path):
    path = tmp_path / "evil.npy"
    np.save(path, np.array([{"code": "runs on load"}], dtype=object), allow_pickle=True)
    with pytest.raises(ValueError, match="allow_pickle"):
        load_array(str(path))


@needs_lossless
def test_move_file_creates_parents(tmp_path):
    source = tmp_path / "a.txt"
    source.write_text("x")
    destination = move_file(str(source), str(tmp_path / "b" / "c" / "a.txt"))
    assert open(destination).read() == "x"
    assert not source.exists()


@needs_lossless
def test_raw_folder_is_read_recursively_sorted_without_hidden_files(workspace):
    for relative in [
        f"b{EXT}",
        f"a/z{EXT}",
        f"a/b{EXT}",
        f".hidden{EXT}",
        f".cache/x{EXT}",
        "notes.txt",
    ]:
        if relative.endswith(f"{EXT}"):
            write_image(workspace.raw / relative, gradient())
        else:
            (workspace.raw / relative).write_text("x")

    paths = [path for path, _ in ExportDirectory().output().read()]

    relative = [os.path.relpath(path, workspace.raw) for path in paths]
    assert relative == [f"a/b{EXT}", f"a/z{EXT}", f"b{EXT}"]


@needs_lossless
def test_to_numpy_and_red_channel_mirror_subfolders(workspace):
    colour, gray = gradient(channels=3, seed=1), gradient(channels=1, seed=2)
    write_image(workspace.raw / "cats" / f"a.b{EXT}", colour)
    write_image(workspace.raw / f"gray{EXT}", gray)

    build(RedChannel())

    np.testing.assert_array_equal(np.load(workspace.to_numpy / "cats" / "a.b.npy"), colour)
    np.testing.assert_array_equal(
        np.load(workspace.red_channel / "cats" / "a.b.npy"), colour[..., 0]
    )
    np.testing.assert_array_equal(np.load(workspace.red_channel / "gray.npy"), gray)
    manifest = RedChannel().output()
    assert manifest.read() == [
        str(workspace.red_channel / "cats" / "a.b.npy"),
        str(workspace.red_channel / "gray.npy"),
    ]
    assert [entry["id"] for entry in manifest.load()["files"]] == ["cats/a.b", "gray"]


@needs_lossless
def test_colliding_ids_fail_naming_both_files(workspace):
    first = IMAGE_EXTENSIONS[0]
    second = IMAGE_EXTENSIONS[1] if len(IMAGE_EXTENSIONS) > 1 else first.upper()
    write_image(workspace.raw / f"x{first}", gradient())
    write_image(workspace.raw / f"x{second}", gradient())

    with pytest.raises(IdCollisionError) as caught:
        ToNumpy().run()

    assert f"x{first}" in str(caught.value) and f"x{second}" in str(caught.value)
    assert not ToNumpy().output().exists()


@needs_lossless
def test_empty_raw_folder_says_where_to_put_images(workspace):
    with pytest.raises(EmptyInputError, match="put your files there") as caught:
        ToNumpy().run()
    assert str(workspace.raw) in str(caught.value)


@needs_lossless
def test_missing_raw_folder_says_where_to_put_images(workspace, caplog):
    workspace.raw.rmdir()

    result = build(RedChannel())

    assert result.status.name == "MISSING_EXT"
    assert f"Input folder {workspace.raw}/ does not exist" in caplog.text
    assert not workspace.red_channel.exists()


@needs_lossless
def test_bad_files_are_all_listed_and_nothing_is_committed(workspace):
    write_image(workspace.raw / f"good{EXT}", gradient())
    (workspace.raw / f"empty{EXT}").write_bytes(b"")
    (workspace.raw / "sub").mkdir()
    (workspace.raw / "sub" / f"garbage{EXT}").write_bytes(b"not a png at all")
    good = (workspace.raw / f"good{EXT}").read_bytes()
    (workspace.raw / f"truncated{EXT}").write_bytes(good[: len(good) // 2])

    with pytest.raises(BadFilesError) as caught:
        ToNumpy().run()

    message = str(caught.value)
    for name in [f"empty{EXT}", f"sub/garbage{EXT}", f"truncated{EXT}"]:
        assert name in message
    assert f"good{EXT}" not in message
    assert "empty (0 bytes)" in message
    assert not ToNumpy().output().exists()
    assert not workspace.to_numpy.exists()
    assert layer_contents(workspace.to_numpy.parent) == []


@needs_lossless
def test_lenient_mode_skips_bad_files_and_records_them(workspace, lenient, caplog):
    write_image(workspace.raw / f"good{EXT}", gradient())
    (workspace.raw / f"empty{EXT}").write_bytes(b"")

    with caplog.at_level("INFO"):
        ToNumpy().run()

    manifest = ToNumpy().output()
    assert manifest.path.endswith("interim/ToNumpy.json")
    assert [entry["id"] for entry in manifest.load()["files"]] == ["good"]
    (skipped,) = manifest.load()["skipped"]
    assert skipped["source"] == f"empty{EXT}"
    assert skipped["reason"] == "the file is empty (0 bytes)"
    assert "skipped 1 unreadable file(s)" in caplog.text


@needs_lossless
def test_failed_run_leaves_the_earlier_result_intact(workspace, monkeypatch):
    write_image(workspace.raw / f"a{EXT}", gradient())
    build(ToNumpy())
    before = workspace.outputs(workspace.to_numpy.parent)
    write_image(workspace.raw / f"b{EXT}", gradient(seed=1))

    def explode(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(Staging, "commit", explode)
    with pytest.raises(RuntimeError):
        ToNumpy().run()

    assert workspace.outputs(workspace.to_numpy.parent) == before
    assert ToNumpy().output().exists()


@needs_lossless
def test_staging_leftovers_are_removed_by_the_next_run(workspace):
    write_image(workspace.raw / f"a{EXT}", gradient())
    leftover = workspace.to_numpy.parent / ".ToNumpy.staging-killed"
    (leftover / "a.npy").parent.mkdir(parents=True)
    (leftover / "a.npy").write_bytes(b"half")

    build(ToNumpy())

    assert not leftover.exists()
    assert layer_contents(workspace.to_numpy.parent) == [
        "ToNumpy",
        "ToNumpy.json",
    ]


@needs_lossless
def test_manifest_without_matching_folder_is_not_complete(workspace):
    write_image(workspace.raw / f"a{EXT}", gradient())
    build(ToNumpy())
    target = ToNumpy().output()
    assert target.exists()

    (workspace.to_numpy / GENERATION_FILE).write_text("another run\n")
    assert not target.exists()

    os.remove(workspace.to_numpy / GENERATION_FILE)
    assert not target.exists()


@needs_lossless
def test_manifest_is_json_listing_committed_files(workspace):
    write_image(workspace.raw / f"a{EXT}", gradient())
    build(ToNumpy())
    data = json.loads((workspace.to_numpy.parent / "ToNumpy.json").read_text())
    files = data["files"]  # one list per field
    assert (files["file"], files["source"]) == (["a.npy"], [f"a{EXT}"])
    stat = (workspace.raw / f"a{EXT}").stat()
    # each fingerprint as one column of 64-bit integers per position, in base64
    stored = [list(decoded(column, 1)) for column in files["source_fingerprint"]]
    assert stored == [[stat.st_size], [stat.st_mtime_ns], [stat.st_ctime_ns]]
    assert list(decoded(files["fingerprint"][0], 1)) == [
        (workspace.to_numpy / "a.npy").stat().st_size
    ]
    assert data["skipped"] == []
    target = ManifestTarget(path=str(workspace.to_numpy) + ".json")
    (entry,) = target.load()["files"]
    assert (entry["id"], entry["file"], entry["source"]) == ("a", "a.npy", f"a{EXT}")
    assert entry["source_fingerprint"] == [stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns]
    assert target.read() == [str(workspace.to_numpy / "a.npy")]


def test_manifest_text_stores_files_as_columns_and_reads_back():
    entries = [
        {"id": f"d/a{i}", "file": f"d/a{i}.npy", "source": f"d/a{i}.png",
         "source_fingerprint": [i, 10 + i, 20 + i], "fingerprint": [30 + i, 40 + i]}
        for i in range(1000)
    ]  # fmt: skip
    manifest = {
        "task": 'To"Numpy',
        "files": entries,
        "skipped": [{"source": "bad.png", "source_fingerprint": [0, 1, 2], "reason": "empty"}],
        "ignored": [],
        "generation": "g",
        "manifest_version": 2,
    }
    text = manifest_text(manifest)
    assert len(text.splitlines()) < 20
    assert from_columns(json.loads(text), "ToNumpy.json") == manifest
