"""Per-file work on images: plain functions on arrays, no luisy in sight.

`load_image` (from the library) gives what an image viewer shows: EXIF orientation applied,
colour converted to sRGB from an embedded ICC profile, bit depth kept; both are settings under
[images] in luigi.cfg.
"""

import re

import numpy as np
from luisy_directory_tasks.images import DEFAULT_MAX_PIXELS, load_image, view_settings

# Extensions read from the raw folder, compared case-insensitively.
{%- set extensions = cookiecutter.image_extensions.split(",") | map("trim") | list %}
IMAGE_EXTENSIONS = (
    {%- for extension in extensions %}".{{ extension.lstrip('.') }}"{{ ", " if not loop.last }}{% endfor %}
    {%- if extensions | length == 1 %},{% endif %})
# What the run says about files of other types in the raw folder.
HOW_TO_READ_MORE = "add their extensions to IMAGE_EXTENSIONS in images.py"
# The same list as a luisy directory-output regex, searched in each file name as luisy does.
IMAGE_PATTERN = r"(?i)\.(" + "|".join(re.escape(ext[1:]) for ext in IMAGE_EXTENSIONS) + r")\Z"


def read_image(filepath: str, max_pixels: int = DEFAULT_MAX_PIXELS):
    """Return (filepath, image) for a supported image file, None for any other file; the
    image as the settings under [images] say."""
    if not filepath.lower().endswith(IMAGE_EXTENSIONS):
        return None
    return filepath, load_image(filepath, max_pixels, **view_settings())


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
