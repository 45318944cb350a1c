"""Reading images into arrays, for a project's per-file functions (`load_image`).

The arrays hold what an image viewer shows: the file's EXIF orientation applied, colour
converted to sRGB from an embedded ICC profile, and the file's bit depth (8 or 16) kept. Both
are settings under [images] in luigi.cfg (see view_settings).
"""

import contextlib
import io
import math
import os

import numpy as np
from PIL import Image, UnidentifiedImageError

# Larger images are refused before they are decoded (a small file can decode to gigabytes).
DEFAULT_MAX_PIXELS = 100_000_000
# Colour spaces a reader may report that are not RGB: converted, so channel 0 is red.
CONVERTED_MODES = ("CMYK", "YCbCr", "LAB", "HSV")
# The settings of what the arrays hold, under this section of luigi.cfg.
SETTINGS_SECTION = "images"
COLOUR_PROFILES = ("convert", "keep")
# The EXIF tag of the orientation, and the numpy operation that undoes each of its values.
ORIENTATION_TAG = 0x0112
ORIENTATIONS = {
    2: lambda a: a[:, ::-1],  # mirrored left to right
    3: lambda a: a[::-1, ::-1],  # rotated 180 degrees
    4: lambda a: a[::-1],  # mirrored top to bottom
    5: lambda a: a.swapaxes(0, 1),  # transposed
    6: lambda a: np.rot90(a, -1),  # stored rotated 90 degrees anticlockwise
    7: lambda a: a[::-1, ::-1].swapaxes(0, 1),  # transverse
    8: lambda a: np.rot90(a, 1),  # stored rotated 90 degrees clockwise
}
# How the files of each format this project reads begin.
SIGNATURES = {
    "PNG": (b"\x89PNG\r\n\x1a\n",),
    "JPEG": (b"\xff\xd8\xff",),
    "TIFF": (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"),
    "BMP": (b"BM",),
    "WebP": (b"RIFF",),
}
FORMATS = {
    ".png": "PNG",
    ".jpg": "JPEG",
    ".jpeg": "JPEG",
    ".tif": "TIFF",
    ".tiff": "TIFF",
    ".bmp": "BMP",
    ".webp": "WebP",
}


class ImageRefusedError(ValueError):
    """An image this project does not read (too large, several pages, not an image)."""


def view_settings() -> dict:
    """{'orientation': bool, 'profiles': 'convert' or 'keep'} from [images] in luigi.cfg
    (apply_orientation, colour_profiles); true and convert when not set."""
    import luigi

    config = luigi.configuration.get_config()
    profiles = config.get(SETTINGS_SECTION, "colour_profiles", "convert")
    if profiles not in COLOUR_PROFILES:
        raise ValueError(
            f"colour_profiles under [{SETTINGS_SECTION}] in luigi.cfg is {profiles!r};"
            " it is convert or keep"
        )
    orientation = config.getboolean(SETTINGS_SECTION, "apply_orientation", True)
    return {"orientation": orientation, "profiles": profiles}


def load_image(
    filepath: str,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    orientation: bool = True,
    profiles: str = "convert",
) -> np.ndarray:
    """The pixels of a single-page image as grayscale or RGB(A), 8 or 16 bits as stored;
    `max_pixels` 0: no limit.

    The file's header is read first: an image above the pixel limit or with several pages
    (TIFF, GIF, APNG) is refused before it is decoded. CMYK and other colour spaces become
    RGB. `orientation`: the EXIF orientation is applied; `profiles` 'convert': an embedded
    ICC colour profile is converted to sRGB, 'keep': the stored values are kept.
    """
    with _only_this_pixel_limit():
        try:
            probe = Image.open(filepath)
        except UnidentifiedImageError:  # a format Pillow does not know: decode, then check
            return _one_page(decode_unknown(filepath), max_pixels)
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
            turn = exif_orientation(probe) if orientation else 1
            profile = probe.info.get("icc_profile") if profiles == "convert" else None
            if probe.mode in CONVERTED_MODES:
                image = np.asarray(to_rgb(probe, profile))
                profile = None
            elif probe.format == "PNG" and _rawmode(probe):
                image = png_16_bit_colour(filepath, _rawmode(probe))
            else:
                image = None
        if image is None:
            # The decoder may see pages the header did not show (an ImageJ stack in one page).
            image = _one_page(decode(filepath), max_pixels)
    if profile:
        image = to_srgb(image, profile)
    return np.ascontiguousarray(ORIENTATIONS[turn](image)) if turn in ORIENTATIONS else image


def exif_orientation(probe: Image.Image) -> int:
    """The EXIF orientation of an opened image (1: as stored), read without decoding it."""
    if probe.format == "PNG" and "exif" not in probe.info:
        return 1  # Pillow would decode the whole PNG to look for an eXIf chunk after the pixels
    return probe.getexif().get(ORIENTATION_TAG, 1)


def _rawmode(probe: Image.Image) -> str:
    """How Pillow unpacks an opened PNG's pixels if they are 16-bit RGB(A), else ''. (16-bit
    gray and alpha has no unpacker for its low bytes: Pillow makes it 8-bit RGBA.)"""
    rawmode = probe.tile[0][3] if probe.tile else ""
    return rawmode if rawmode in ("RGB;16B", "RGBA;16B") else ""


def png_16_bit_colour(filepath: str, rawmode: str) -> np.ndarray:
    """The pixels of a 16-bit colour PNG, all 16 bits (Pillow's RGB and RGBA hold 8): decoded
    twice, unpacked from `rawmode` for the high byte and then for the low one."""
    halves = []
    for end in ("16B", "16L"):  # read as little-endian, the high byte is the low one
        with Image.open(filepath) as image:
            image.tile = [(*tile[:3], rawmode[:-3] + end) for tile in image.tile]
            halves.append(np.asarray(image).astype(np.uint16))
    return halves[0] << 8 | halves[1]


def to_rgb(probe: Image.Image, profile: bytes | None) -> Image.Image:
    """An image in CMYK or another colour space as RGB: through its ICC profile to sRGB when
    one is given, else by Pillow's formulas."""
    if not profile:
        return probe.convert("RGB")
    ImageCms = _colour_management()
    source = ImageCms.ImageCmsProfile(io.BytesIO(profile))
    srgb = ImageCms.createProfile("sRGB")
    return ImageCms.profileToProfile(probe, source, srgb, outputMode="RGB")


def to_srgb(image: np.ndarray, profile: bytes) -> np.ndarray:
    """An RGB(A) `image` converted from its ICC `profile` to sRGB (alpha kept); a grayscale
    image, or one whose profile is sRGB already, is returned as it is."""
    if image.ndim == 2 or image.shape[2] < 3:
        return image
    ImageCms = _colour_management()
    source = ImageCms.ImageCmsProfile(io.BytesIO(profile))
    name = ImageCms.getProfileDescription(source).strip()
    if name.lower().startswith("srgb"):
        return image
    if image.dtype != np.uint8:
        raise ImageRefusedError(
            f"a {image.dtype.itemsize * 8}-bit colour image with the colour profile {name!r}:"
            " Pillow converts 8-bit colour only; set colour_profiles = keep under"
            f" [{SETTINGS_SECTION}] in luigi.cfg to read its stored values"
        )
    rgb = Image.fromarray(np.ascontiguousarray(image[:, :, :3]))
    srgb = ImageCms.createProfile("sRGB")
    converted = np.asarray(ImageCms.profileToProfile(rgb, source, srgb, outputMode="RGB"))
    return np.dstack([converted, image[:, :, 3:]]) if image.shape[2] == 4 else converted


def _colour_management():
    """Pillow's ImageCms, or an error saying how to do without it."""
    try:
        from PIL import ImageCms
    except ImportError as error:
        raise ImageRefusedError(
            "the image has a colour profile and this Pillow has no colour management"
            f" (ImageCms); set colour_profiles = keep under [{SETTINGS_SECTION}] in luigi.cfg"
        ) from error
    return ImageCms


def decode_unknown(filepath: str) -> np.ndarray:
    """Decode a file Pillow does not recognise (a TIFF only tifffile reads), or say what it is
    not: a file whose first bytes are no image format's."""
    with open(filepath, "rb") as file:
        start = file.read(12)
    known = any(start.startswith(signatures) for signatures in SIGNATURES.values())
    if known and (not start.startswith(b"RIFF") or start[8:12] == b"WEBP"):
        return decode(filepath)
    expected = FORMATS.get(os.path.splitext(filepath)[1].lower())
    if expected:
        raise ImageRefusedError(
            f"not a {expected} image: the file does not start with a {expected} signature"
        )
    try:
        return decode(filepath)
    except Exception as error:
        raise ImageRefusedError("not an image file this project can read") from error


def decode(filepath: str) -> np.ndarray:
    """The pixels of an image file, decoded by scikit-image (imported on first use: a run
    that finds nothing to do does not pay for it)."""
    from skimage import io

    return io.imread(filepath)


def tiff_pages(filepath: str) -> int:
    """The number of images in a TIFF's first series, from its header (as the decoder sees it:
    every axis but height, width and samples)."""
    import tifffile

    with tifffile.TiffFile(filepath) as tiff:
        series = tiff.series[0]
        sizes = zip(series.shape, series.axes, strict=True)
        return math.prod(size for size, axis in sizes if axis not in "YXS")


def _one_page(image: np.ndarray, max_pixels: int) -> np.ndarray:
    """`image` if it is one page of grayscale or up to 4 channels within the pixel limit."""
    if image.ndim > 3 or (image.ndim == 3 and image.shape[2] > 4):
        raise ImageRefusedError(
            f"decodes to several pages (shape {image.shape}); only single-page images are"
            " read: save each page as its own file"
        )
    check_pixels(image.shape[1], image.shape[0], max_pixels)
    return image


def check_pixels(width: int, height: int, max_pixels: int) -> None:
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
