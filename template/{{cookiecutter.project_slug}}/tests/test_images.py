import numpy as np
import pytest
from PIL import Image

from {{ cookiecutter.package_name }}.images import (
    IMAGE_EXTENSIONS,
    load_image,
    read_image,
    red_channel,
    to_numpy,
)

from conftest import EXT, gradient, needs_lossless, write_image


@needs_lossless
def test_read_image_returns_path_and_pixels(tmp_path):
    image = gradient()
    path = write_image(tmp_path / f"a{EXT}", image)

    filepath, pixels = read_image(str(path))

    assert filepath == str(path)
    np.testing.assert_array_equal(pixels, image)


@needs_lossless
def test_read_image_accepts_upper_case_extensions(tmp_path):
    path = write_image(tmp_path / f"A{IMAGE_EXTENSIONS[0].upper()}", gradient())
    assert read_image(str(path)) is not None


@needs_lossless
def test_read_image_skips_other_files(tmp_path):
    other = tmp_path / "notes.txt"
    other.write_text("not an image")
    assert read_image(str(other)) is None


@needs_lossless
def test_to_numpy_keeps_dtype_and_shape():
    image = gradient(channels=4, dtype=np.uint16)
    array = to_numpy(image)
    assert array.dtype == np.uint16
    assert array.shape == image.shape


@pytest.mark.parametrize("channels", [3, 4])
def test_red_channel_of_colour_image_is_channel_0(channels):
    image = gradient(channels=channels)
    np.testing.assert_array_equal(red_channel(image), image[:, :, 0])


@needs_lossless
def test_red_channel_of_grayscale_image_is_the_image():
    image = gradient(channels=1)
    np.testing.assert_array_equal(red_channel(image), image)


@needs_lossless
def test_red_channel_keeps_16_bit():
    image = gradient(channels=3, dtype=np.uint16)
    assert red_channel(image).dtype == np.uint16


@needs_lossless
def test_red_channel_refuses_other_shapes():
    with pytest.raises(ValueError, match="shape"):
        red_channel(np.zeros((2, 2, 2, 2)))


# Every format the reader handles, with Pillow's name for it; lossy ones are compared loosely.
FORMATS = {
    ".png": ("PNG", {}),
    ".jpg": ("JPEG", {"quality": 95}),
    ".jpeg": ("JPEG", {"quality": 95}),
    ".tif": ("TIFF", {}),
    ".tiff": ("TIFF", {}),
    ".bmp": ("BMP", {}),
    ".webp": ("WEBP", {"lossless": True}),
}


@pytest.mark.parametrize("extension", sorted(FORMATS))
def test_the_reader_reads_every_image_format_it_claims(tmp_path, extension):
    image = gradient(height=32, width=48, channels=3)
    image[:, :24] = 200  # a flat area, which JPEG keeps closely
    path = tmp_path / f"image{extension}"
    pillow_format, options = FORMATS[extension]
    Image.fromarray(image).save(path, pillow_format, **options)

    pixels = load_image(str(path))

    assert pixels.shape == image.shape and pixels.dtype == np.uint8
    if pillow_format == "JPEG":
        assert np.abs(pixels[:, :20].astype(int) - 200).max() <= 8
    else:
        np.testing.assert_array_equal(pixels, image)
    if extension in IMAGE_EXTENSIONS:
        assert read_image(str(path))[0] == str(path)
