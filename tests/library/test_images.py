import io
import struct
import zlib

import luigi
import numpy as np
import pytest
import tifffile
from PIL import Image, ImageOps
from sample_pipeline.images import IMAGE_EXTENSIONS, read_image, red_channel, to_numpy
from sample_pipeline.tasks import ToNumpy

from luisy_directory_tasks.errors import BadFilesError
from luisy_directory_tasks.images import ImageRefusedError, load_image

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


# Pillow's name for each format the reader handles, and how it writes it losslessly if it can.
PILLOW = {
    ".png": ("PNG", {}),
    ".jpg": ("JPEG", {"quality": 95}),
    ".jpeg": ("JPEG", {"quality": 95}),
    ".tif": ("TIFF", {}),
    ".tiff": ("TIFF", {}),
    ".bmp": ("BMP", {}),
    ".webp": ("WEBP", {"lossless": True, "exact": True}),  # exact: colour under alpha 0 too
}
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def write_16_bit_png(path, image):
    """`image` (uint16, gray, RGB or RGBA) as a PNG of 16 bits per sample, written byte by
    byte: Pillow and imageio write 16-bit gray only. Rows alternate PNG's Sub and Up filters,
    so the reader's unfiltering must know the size of a pixel."""
    height, width = image.shape[:2]
    colour_type = {2: 0, 3: 2, 4: 6}[image.ndim if image.ndim == 2 else image.shape[2]]
    rows = image.astype(">u2").reshape(height, -1).view(np.uint8)
    pixel = rows.shape[1] // width
    lines = []
    for index, row in enumerate(rows):
        if index % 2:  # Up: the difference to the row above
            lines.append(b"\x02" + (row - rows[index - 1]).tobytes())
        else:  # Sub: the difference to the same sample of the pixel to the left
            lines.append(
                b"\x01" + np.concatenate([row[:pixel], row[pixel:] - row[:-pixel]]).tobytes()
            )
    header = struct.pack(">IIBBBBB", width, height, 16, colour_type, 0, 0, 0)
    path.write_bytes(
        PNG_SIGNATURE
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", zlib.compress(b"".join(lines)))
        + png_chunk(b"IEND", b"")
    )
    return path


def png_depth_and_colour(path):
    """(bit depth, colour type) from a PNG's header: 16 and 2 for 16-bit RGB."""
    data = path.read_bytes()
    assert data.startswith(PNG_SIGNATURE) and data[12:16] == b"IHDR"
    return data[24], data[25]


def write_any(path, image):
    """`image` as a real file in the format of `path`'s extension: 16-bit PNG colour byte by
    byte, 16-bit PNG gray with Pillow, TIFF with tifffile, the rest with Pillow."""
    extension = path.suffix
    if extension in (".tif", ".tiff"):
        tifffile.imwrite(path, image, photometric="minisblack" if image.ndim == 2 else "rgb")
    elif extension == ".png" and image.dtype == np.uint16 and image.ndim == 3:
        write_16_bit_png(path, image)
    else:
        pillow_format, options = PILLOW[extension]
        Image.fromarray(image).save(path, pillow_format, **options)
    return path


# (extension, bits, channels) for each bit depth and layout the format can hold.
CASES = [
    *(
        (ext, bits, channels)
        for ext in (".png", ".tif", ".tiff")
        for bits in (8, 16)
        for channels in (1, 3, 4)
    ),
    *((ext, 8, channels) for ext in (".jpg", ".jpeg", ".bmp") for channels in (1, 3)),
    *((".webp", 8, channels) for channels in (3, 4)),
]


@pytest.mark.parametrize(("extension", "bits", "channels"), CASES)
def test_dtype_and_shape_are_kept_for_every_format_and_depth(tmp_path, extension, bits, channels):
    dtype = np.uint16 if bits == 16 else np.uint8
    image = gradient(height=32, width=48, channels=channels, dtype=dtype)
    lossy = extension in (".jpg", ".jpeg")
    if lossy:
        image[:] = 200  # flat, which JPEG keeps closely
    path = write_any(tmp_path / f"image{extension}", image)
    if extension == ".png" and channels > 1:
        assert png_depth_and_colour(path) == (bits, 2 if channels == 3 else 6)

    pixels = load_image(str(path))

    assert (pixels.dtype, pixels.shape) == (image.dtype, image.shape)
    if lossy:
        assert np.abs(pixels.astype(int) - 200).max() <= 8
    else:
        np.testing.assert_array_equal(pixels, image)
    np.testing.assert_array_equal(to_numpy(pixels), pixels)


def test_a_16_bit_rgb_png_keeps_its_low_byte(tmp_path):
    image = np.zeros((4, 4, 3), dtype=np.uint16)
    image[0, :, 0] = [3, 774, 1545, 2316]
    path = write_16_bit_png(tmp_path / "deep.png", image)
    assert png_depth_and_colour(path) == (16, 2)

    _, pixels = read_image(str(path))

    assert pixels.dtype == np.uint16
    assert red_channel(pixels)[0].tolist() == [3, 774, 1545, 2316]


def with_orientation(orientation):
    """EXIF bytes that give `orientation`, for Pillow's `exif=`."""
    exif = Image.Exif()
    exif[0x0112] = orientation
    return exif.tobytes()


@pytest.mark.parametrize("orientation", range(1, 9))
def test_the_exif_orientation_is_applied_as_a_viewer_does(tmp_path, orientation):
    stored = gradient(height=16, width=24)
    stored[:8, :12] = (250, 0, 0)  # a red corner, to see where it went
    path = tmp_path / "photo.jpg"
    Image.fromarray(stored).save(path, quality=95, exif=with_orientation(orientation))

    pixels = load_image(str(path))

    with Image.open(path) as image:
        shown = np.asarray(ImageOps.exif_transpose(image))
    np.testing.assert_array_equal(pixels, shown)


def write_turned(path, stored, orientation):
    """Write 16-bit RGB `stored` as a PNG or TIFF (by `path`'s extension) that carries the EXIF
    `orientation`; return the path."""
    if path.suffix in (".tif", ".tiff"):
        tag = (0x0112, "H", 1, orientation, True)
        tifffile.imwrite(path, stored, photometric="rgb", extratags=[tag])
    else:
        write_16_bit_png(path, stored)
        data = path.read_bytes()  # an eXIf chunk before the pixels, as PNG wants it
        path.write_bytes(data[:33] + png_chunk(b"eXIf", with_orientation(orientation)) + data[33:])
    return path


@pytest.mark.parametrize("extension", [".png", ".tif", ".webp"])
def test_the_orientation_is_applied_to_every_format_and_keeps_16_bits(tmp_path, extension):
    bits = 8 if extension == ".webp" else 16
    stored = gradient(height=16, width=24, dtype=np.uint16 if bits == 16 else np.uint8)
    path = tmp_path / f"turned{extension}"
    if extension == ".webp":
        Image.fromarray(stored).save(path, lossless=True, exif=with_orientation(6))
    else:
        write_turned(path, stored, 6)

    pixels = load_image(str(path))

    assert pixels.dtype == stored.dtype
    np.testing.assert_array_equal(pixels, np.rot90(stored, -1))  # turned clockwise, as shown
    np.testing.assert_array_equal(load_image(str(path), orientation=False), stored)


@pytest.fixture
def images_setting():
    """Set an option under [images] for one test."""
    config = luigi.configuration.get_config()
    names = []

    def use(name, value):
        if not config.has_section("images"):
            config.add_section("images")
        config.set("images", name, value)
        names.append(name)

    yield use
    for name in names:
        config.remove_option("images", name)


@needs_lossless
def test_the_settings_under_images_are_read(tmp_path, images_setting):
    stored = gradient(height=8, width=12, dtype=np.uint16)
    path = write_turned(tmp_path / f"turned{EXT}", stored, 8)  # a format this project reads
    assert read_image(str(path))[1].shape == (12, 8, 3)

    images_setting("apply_orientation", "false")
    assert read_image(str(path))[1].shape == (8, 12, 3)

    images_setting("colour_profiles", "rotate")
    with pytest.raises(ValueError, match="colour_profiles under \\[images\\].*convert or keep"):
        read_image(str(path))


def s15_fixed_16(*values):
    return b"".join(struct.pack(">i", round(value * 65536)) for value in values)


def swapped_profile():
    """An RGB ICC profile (version 2, primaries and a 2.2 gamma) whose red is sRGB's green and
    whose green is sRGB's red: converted to sRGB, stored red shows green."""
    red, green, blue = (0.4361, 0.2225, 0.0139), (0.3851, 0.7169, 0.0971), (0.1431, 0.0606, 0.7141)
    white = s15_fixed_16(0.9642, 1.0, 0.8249)  # D50, the profile connection space's white
    name = b"Red and green swapped\x00"
    gamma = b"curv" + bytes(4) + struct.pack(">IH", 1, 0x0233) + bytes(2)
    tags = {
        b"desc": b"desc" + bytes(4) + struct.pack(">I", len(name)) + name + bytes(78),
        b"wtpt": b"XYZ " + bytes(4) + white,
        b"rXYZ": b"XYZ " + bytes(4) + s15_fixed_16(*green),
        b"gXYZ": b"XYZ " + bytes(4) + s15_fixed_16(*red),
        b"bXYZ": b"XYZ " + bytes(4) + s15_fixed_16(*blue),
        b"rTRC": gamma,
        b"gTRC": gamma,
        b"bTRC": gamma,
    }
    start = 128 + 4 + 12 * len(tags)
    table, body = b"", b""
    for signature, data in tags.items():
        table += signature + struct.pack(">II", start + len(body), len(data))
        body += data + bytes(-len(data) % 4)
    header = struct.pack(">I4sI", start + len(body), bytes(4), 0x02100000) + b"mntrRGB XYZ "
    header += bytes(12) + b"acsp" + bytes(28) + white
    return header + bytes(128 - len(header)) + struct.pack(">I", len(tags)) + table + body


def test_the_test_profile_is_what_pillow_reads():
    from PIL import ImageCms

    profile = ImageCms.ImageCmsProfile(io.BytesIO(swapped_profile()))
    assert ImageCms.getProfileDescription(profile).strip() == "Red and green swapped"


@pytest.mark.parametrize("extension", [".png", ".jpg", ".tif", ".webp"])
def test_a_colour_profile_is_converted_to_srgb_or_kept(tmp_path, extension):
    pytest.importorskip("PIL.ImageCms")
    stored = np.zeros((8, 8, 3), dtype=np.uint8)
    stored[..., 0] = 255  # red as stored: green once the profile is applied
    path = tmp_path / f"tagged{extension}"
    pillow_format, options = PILLOW[extension]
    Image.fromarray(stored).save(path, pillow_format, icc_profile=swapped_profile(), **options)

    converted = load_image(str(path))
    kept = load_image(str(path), profiles="keep")

    assert converted.shape == stored.shape and converted.dtype == np.uint8
    assert np.abs(converted.astype(int) - [0, 255, 0]).max() <= 3
    assert np.abs(kept.astype(int) - stored).max() <= 3


def test_a_16_bit_colour_image_with_a_profile_is_refused_unless_kept(tmp_path):
    stored = gradient(channels=3, dtype=np.uint16)
    path = tmp_path / "deep.tif"
    profile = swapped_profile()
    tifffile.imwrite(
        path, stored, photometric="rgb", extratags=[(34675, 7, len(profile), profile, True)]
    )

    with pytest.raises(ImageRefusedError, match="16-bit colour image with the colour profile 'Red"):
        load_image(str(path))
    np.testing.assert_array_equal(load_image(str(path), profiles="keep"), stored)


def test_an_srgb_profile_changes_nothing(tmp_path):
    from PIL import ImageCms

    stored = gradient(channels=3)
    path = tmp_path / "srgb.png"
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    Image.fromarray(stored).save(path, icc_profile=srgb)

    np.testing.assert_array_equal(load_image(str(path)), stored)


def test_a_text_file_named_png_is_refused_with_a_clear_reason(tmp_path):
    path = tmp_path / "x.png"
    path.write_text("just some notes, not a picture\n")

    with pytest.raises(ImageRefusedError) as caught:
        load_image(str(path))

    assert str(caught.value) == "not a PNG image: the file does not start with a PNG signature"


@needs_lossless
def test_a_text_file_with_an_image_extension_is_a_bad_file_with_that_reason(workspace):
    write_image(workspace.raw / f"good{EXT}", gradient())
    (workspace.raw / f"x{EXT}").write_text("just some notes, not a picture\n")
    expected = {".png": "PNG", ".tif": "TIFF", ".tiff": "TIFF"}[EXT]

    with pytest.raises(BadFilesError) as caught:
        ToNumpy().run()

    reason = f"not a {expected} image: the file does not start with a {expected} signature"
    assert f"x{EXT}: ImageRefusedError: {reason}" in str(caught.value)
    assert "backend" not in str(caught.value)
