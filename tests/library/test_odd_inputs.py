"""Inputs that once gave wrong output without a word: colour spaces, pages, restored mtimes."""

import json
import os
import subprocess

import luigi
import numpy as np
import pytest
from PIL import Image
from sample_pipeline.tasks import RedChannel, ToNumpy

from luisy_directory_tasks.errors import BadFilesError
from luisy_directory_tasks.images import ImageRefusedError, load_image

from conftest import (
    EXT,
    PROJECT_ROOT,
    Workspace,
    build,
    gradient,
    luisy_command,
    needs_lossless,
    write_image,
)


def test_a_cmyk_jpeg_is_converted_to_rgb(tmp_path):
    rgb = np.zeros((8, 8, 3), dtype=np.uint8)
    rgb[..., 0], rgb[..., 1] = 200, 50
    path = tmp_path / "cmyk.jpg"
    Image.fromarray(rgb).convert("CMYK").save(path, quality=100)
    assert Image.open(path).mode == "CMYK"

    image = load_image(str(path))

    assert image.shape == (8, 8, 3)
    assert np.abs(image[..., 0].astype(int) - 200).max() <= 3  # red, not cyan (55)


@pytest.mark.parametrize("name", ["pages.tif", "pages.gif"])
def test_a_multi_page_file_is_refused_with_its_page_count(tmp_path, name):
    pages = [Image.fromarray(gradient(seed=seed)) for seed in range(3)]
    path = tmp_path / name
    pages[0].save(path, save_all=True, append_images=pages[1:])

    with pytest.raises(ImageRefusedError, match=r"multi-page file \(3 pages\)"):
        load_image(str(path))


@needs_lossless
def test_a_multi_page_input_is_a_bad_file_naming_the_reason(workspace):
    write_image(workspace.raw / f"one{EXT}", gradient())
    pages = [Image.fromarray(gradient(seed=seed)) for seed in range(2)]
    pages[0].save(workspace.raw / f"two{EXT}", save_all=True, append_images=pages[1:])
    if getattr(Image.open(workspace.raw / f"two{EXT}"), "n_frames", 1) < 2:
        pytest.skip(f"Pillow cannot write several pages into {EXT}")

    with pytest.raises(BadFilesError, match=rf"two{EXT}: ImageRefusedError: a multi-page"):
        ToNumpy().run()


@needs_lossless
def test_a_same_size_rewrite_with_its_mtime_restored_is_noticed(workspace):
    path = write_image(workspace.raw / f"a{EXT}", gradient(seed=1))
    build(RedChannel())
    stat = path.stat()
    changed = gradient(seed=1)
    changed[0, 0] = 255 - changed[0, 0]
    write_image(path, changed)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert path.stat().st_size == stat.st_size and path.stat().st_mtime_ns == stat.st_mtime_ns

    assert not ToNumpy().complete()
    build(RedChannel())

    np.testing.assert_array_equal(np.load(workspace.red_channel / "a.npy"), changed[..., 0])


@needs_lossless
def test_odd_files_are_reported_not_read_and_nothing_hangs(tmp_path):
    space = Workspace(tmp_path / "data")
    write_image(space.raw / f"good{EXT}", gradient(seed=1))
    write_image(space.raw / f"new\nline{EXT}", gradient(seed=2))
    os.mkfifo(space.raw / f"fifo{EXT}")
    os.symlink(space.raw / f"missing{EXT}", space.raw / f"broken{EXT}")
    os.symlink(space.raw / f"loop{EXT}", space.raw / f"loop{EXT}")
    elsewhere = tmp_path / "elsewhere"
    write_image(elsewhere / f"linked{EXT}", gradient(seed=3))
    os.symlink(elsewhere, space.raw / "linked-folder")
    (space.raw / "notes.txt").write_text("not an image")
    write_image(space.raw / f".hidden{EXT}", gradient(seed=4))

    result = subprocess.run(
        luisy_command(space.root, "ToNumpy", "--directory-tasks-lenient"),
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,  # a FIFO that is opened blocks for ever
    )

    assert result.returncode == 0, result.stdout + result.stderr
    manifest = json.loads((space.project / "interim" / "ToNumpy.json").read_text())
    assert manifest["files"]["source"] == [f"good{EXT}", f"new\nline{EXT}"]
    skipped = {entry["source"]: entry["reason"] for entry in manifest["skipped"]}
    assert skipped == {
        f"broken{EXT}": "a broken symbolic link (what it points to does not exist)",
        f"fifo{EXT}": "not a regular file: a named pipe (FIFO)",
        f"loop{EXT}": "a symbolic link that loops",
    }
    ignored = {entry["source"]: entry["reason"] for entry in manifest["ignored"]}
    assert ignored == {
        f".hidden{EXT}": "a hidden file",
        "linked-folder": "a symbolic link to a folder (not followed)",
        "notes.txt": "not a file type this task reads",
    }
    assert "did not read 3 other file(s)" in result.stdout + result.stderr


@needs_lossless
def test_the_pixel_limit_refuses_large_images_before_decoding(workspace):
    write_image(workspace.raw / f"small{EXT}", gradient())
    write_image(workspace.raw / f"large{EXT}", np.zeros((1200, 1000), dtype=np.uint8))
    luigi.configuration.get_config().set("directory_tasks", "max_pixels", "1000000")
    try:
        with pytest.raises(BadFilesError) as caught:
            ToNumpy().run()
    finally:
        luigi.configuration.get_config().remove_option("directory_tasks", "max_pixels")

    assert f"large{EXT}: ImageRefusedError: 1000x1200 is 1,200,000 pixels" in str(caught.value)
    assert f"small{EXT}" not in str(caught.value)


def test_the_pixel_limit_holds_for_tiff_too(tmp_path):
    """A 40 KB TIFF of 25 million pixels: tifffile itself has no limit."""
    tifffile = pytest.importorskip("tifffile")
    path = tmp_path / "bomb.tif"
    tifffile.imwrite(path, np.zeros((5000, 5000), dtype=np.uint8), compression="zlib")
    assert path.stat().st_size < 100_000

    with pytest.raises(ImageRefusedError, match="25,000,000 pixels, above the limit of 1,000,000"):
        load_image(str(path), max_pixels=1_000_000)
    assert load_image(str(path), max_pixels=0).shape == (5000, 5000)


def test_a_stack_in_one_tiff_page_is_refused_not_read_as_its_first_image(tmp_path):
    """An ImageJ stack shows one page to Pillow; the decoder sees them all."""
    tifffile = pytest.importorskip("tifffile")
    path = tmp_path / "stack.tif"
    tifffile.imwrite(path, np.zeros((3, 10, 10), dtype=np.uint8), imagej=True, truncate=True)
    assert Image.open(path).n_frames == 1

    with pytest.raises(ImageRefusedError, match=r"multi-page file \(3 pages\)"):
        load_image(str(path))


def test_a_newline_in_a_bad_files_name_cannot_forge_a_line():
    error = BadFilesError([("evil\n  logo.png: fine actually.png", "corrupt")])

    assert "  logo.png: fine" not in str(error).splitlines()
    assert "evil\\n  logo.png" in str(error)
