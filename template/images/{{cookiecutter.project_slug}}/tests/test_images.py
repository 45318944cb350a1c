"""The per-file functions of images.py."""

import re

import numpy as np
import pytest

from {{ cookiecutter.package_name }}.images import (
    IMAGE_EXTENSIONS,
    IMAGE_PATTERN,
    read_image,
    red_channel,
    to_numpy,
)

from conftest import EXT, gradient, needs_lossless, write_image


@pytest.mark.parametrize("channels", [3, 4])
def test_red_channel_of_a_colour_image_is_its_first_channel(channels):
    image = gradient(channels=channels)

    np.testing.assert_array_equal(red_channel(image), image[:, :, 0])


def test_red_channel_keeps_a_grayscale_image_and_refuses_other_shapes():
    gray = gradient(channels=1)

    assert red_channel(gray) is gray
    with pytest.raises(ValueError, match="shape"):
        red_channel(np.zeros((2, 2, 2, 2)))


def test_to_numpy_keeps_dtype_and_shape():
    image = gradient(channels=1, dtype=np.uint16)

    array = to_numpy(image)

    assert array.dtype == np.uint16 and array.shape == image.shape


@needs_lossless
def test_read_image_reads_what_was_written_and_skips_other_files(tmp_path):
    image = gradient(seed=3)
    path = write_image(tmp_path / f"a{EXT}", image)
    (tmp_path / "notes.txt").write_text("not an image")

    read_path, read = read_image(str(path))

    assert read_path == str(path)
    np.testing.assert_array_equal(read, image)
    assert read_image(str(tmp_path / "notes.txt")) is None


def test_the_pattern_matches_every_extension_in_any_case_and_nothing_else():
    for extension in IMAGE_EXTENSIONS:
        assert re.search(IMAGE_PATTERN, f"a{extension.upper()}")
        assert not re.search(IMAGE_PATTERN, f"a{extension}.txt")
