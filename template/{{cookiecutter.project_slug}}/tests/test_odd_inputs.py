"""Inputs that once gave wrong output without a word: colour spaces, pages, restored mtimes."""

import os

import numpy as np
import pytest
from PIL import Image

from {{ cookiecutter.package_name }}.directories import BadFilesError
from {{ cookiecutter.package_name }}.images import ImageRefusedError, load_image
from {{ cookiecutter.package_name }}.tasks import RedChannel, ToNumpy

from conftest import EXT, build, gradient, needs_lossless, write_image


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
