"""Per-file work on images: plain functions on arrays, no luisy in sight."""

import contextlib
import math
import re

import numpy as np
from PIL import Image, UnidentifiedImageError

# Extensions read from the raw folder, compared case-insensitively.
{%- set extensions = cookiecutter.image_extensions.split(",") | map("trim") | list %}
IMAGE_EXTENSIONS = (
    {%- for extension in extensions %}".{{ extension.lstrip('.') }}"{{ ", " if not loop.last }}{% endfor %}
    {%- if extensions | length == 1 %},{% endif %})
# What the run says about files of other types in the raw folder.
HOW_TO_READ_MORE = "add their extensions to IMAGE_EXTENSIONS in images.py"
# The same list as a luisy directory-output regex, searched in each file name as luisy does.
IMAGE_PATTERN = r"(?i)\.(" + "|".join(re.escape(ext[1:]) for ext in IMAGE_EXTENSIONS) + r")\Z"
# Larger images are refused before they are decoded (a small file can decode to gigabytes).
DEFAULT_MAX_PIXELS = 100_000_000
# Colour spaces a reader may report that are not RGB: converted, so channel 0 is red.
CONVERTED_MODES = ("CMYK", "YCbCr", "LAB", "HSV")


class ImageRefusedError(ValueError):
    """An image this project does not read (too large, several pages)."""


def read_image(filepath, max_pixels=DEFAULT_MAX_PIXELS):
    """Return (filepath, image) for a supported image file, None for any other file."""
    if not filepath.lower().endswith(IMAGE_EXTENSIONS):
        return None
    return filepath, load_image(filepath, max_pixels)


def load_image(filepath, max_pixels=DEFAULT_MAX_PIXELS):
    """The pixels of a single-page image as grayscale or RGB(A); `max_pixels` 0: no limit.

    The file's header is read first: an image above the pixel limit or with several pages
    (TIFF, GIF, APNG) is refused before it is decoded, and CMYK or other colour spaces are
    converted to RGB.
    """
    with _only_this_pixel_limit():
        try:
            probe = Image.open(filepath)
        except UnidentifiedImageError:  # a format Pillow does not know: decode, then check
            return _one_page(decode(filepath), max_pixels)
        with probe:
            check_pixels(*probe.size, max_pixels)
            pages = getattr(probe, "n_frames", 1)
            if probe.format == "TIFF":  # Pillow sees one page of an ImageJ stack; tifffile all
                pages = max(pages, tiff_pages(filepath))
            if pages > 1:
                raise ImageRefusedError(
                    f"a multi-page file ({pages} pages); only single-page images are read:"
                    " save each page as its own file"
                )
            if probe.mode in CONVERTED_MODES:
                return np.asarray(probe.convert("RGB"))
        # The decoder may see pages the header did not show (an ImageJ stack in one TIFF page).
        return _one_page(decode(filepath), max_pixels)


def decode(filepath):
    """The pixels of an image file, decoded by scikit-image (imported on first use: a run
    that finds nothing to do does not pay for it)."""
    from skimage import io

    return io.imread(filepath)


def tiff_pages(filepath):
    """The number of images in a TIFF's first series, from its header (as the decoder sees it:
    every axis but height, width and samples)."""
    import tifffile

    with tifffile.TiffFile(filepath) as tiff:
        series = tiff.series[0]
        sizes = zip(series.shape, series.axes, strict=True)
        return math.prod(size for size, axis in sizes if axis not in "YXS")


def _one_page(image, max_pixels):
    """`image` if it is one page of grayscale or up to 4 channels within the pixel limit."""
    if image.ndim > 3 or (image.ndim == 3 and image.shape[2] > 4):
        raise ImageRefusedError(
            f"decodes to several pages (shape {image.shape}); only single-page images are"
            " read: save each page as its own file"
        )
    check_pixels(image.shape[1], image.shape[0], max_pixels)
    return image


def check_pixels(width, height, max_pixels):
    """Refuse an image of more than `max_pixels` pixels (0: no limit)."""
    if max_pixels and width * height > max_pixels:
        raise ImageRefusedError(
            f"{width}x{height} is {width * height:,} pixels, above the limit of"
            f" {max_pixels:,} (max_pixels under [directory_tasks] in luigi.cfg, or"
            " --directory-tasks-max-pixels)"
        )


@contextlib.contextmanager
def _only_this_pixel_limit():
    """Switch Pillow's own limit off while reading: `max_pixels` is the one limit for every
    format (Pillow's applies to the formats it decodes, tifffile has none)."""
    saved = Image.MAX_IMAGE_PIXELS
    Image.MAX_IMAGE_PIXELS = None
    try:
        yield
    finally:
        Image.MAX_IMAGE_PIXELS = saved


def to_numpy(image: np.ndarray) -> np.ndarray:
    """The image as a plain numpy array; dtype and shape are kept."""
    return np.asarray(image)


def red_channel(image: np.ndarray) -> np.ndarray:
    """Channel 0 of a colour image (RGB, RGBA); a grayscale (2-D) image is returned as it is."""
    if image.ndim == 2:
        return image
    if image.ndim == 3 and image.shape[2] in (2, 3, 4):
        return np.ascontiguousarray(image[:, :, 0])
    raise ValueError(f"expected a grayscale or colour image, got an array of shape {image.shape}")
