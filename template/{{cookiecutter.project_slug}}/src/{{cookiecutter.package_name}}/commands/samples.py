"""Sample images for a first run: real PNG photographs that ship with scikit-image."""

import os
import shutil
import tempfile

from skimage.data import data_dir

from {{ cookiecutter.package_name }}.images import IMAGE_EXTENSIONS

# scikit-image file -> where it goes in the raw folder: colour, grayscale, RGBA, a subfolder.
SAMPLES = {
    "astronaut.png": "astronaut.png",
    "coffee.png": "coffee.png",
    "logo.png": "logo.png",
    "camera.png": "grayscale/camera.png",
    "moon.png": "grayscale/moon.png",
    "chelsea.png": "cats/chelsea.png",
}


class SamplesError(Exception):
    """The sample images cannot be used by this project."""


def add_samples(raw_dir):
    """Copy the sample images into `raw_dir`, keeping files already there; return those added."""
    if ".png" not in IMAGE_EXTENSIONS:
        raise SamplesError(
            f"the sample images are PNG files, but this project reads {', '.join(IMAGE_EXTENSIONS)}"
            " only: add '.png' to IMAGE_EXTENSIONS in images.py to use them"
        )
    added = []
    for name, relative in SAMPLES.items():
        destination = os.path.join(raw_dir, relative)
        if os.path.exists(destination):
            continue
        folder = os.path.dirname(destination)
        os.makedirs(folder, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".sample-", suffix=".tmp")
        os.close(fd)
        shutil.copyfile(os.path.join(data_dir, name), tmp)
        os.replace(tmp, destination)
        added.append(destination)
    return added
