"""Sample images for a first run: real PNG photographs that ship with scikit-image."""

import os
import shutil
import uuid

from skimage.data import data_dir

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


def add_samples(raw_dir, image_extensions):
    """Copy the sample images into `raw_dir`, keeping files already there; return those added.
    The project reads files with `image_extensions` (".png", ...)."""
    if ".png" not in image_extensions:
        raise SamplesError(
            f"the sample images are PNG files, but this project reads {', '.join(image_extensions)}"
            " only: add '.png' to IMAGE_EXTENSIONS in images.py to use them"
        )
    added = []
    for name, relative in SAMPLES.items():
        destination = os.path.join(raw_dir, relative)
        if os.path.exists(destination):
            continue
        folder = os.path.dirname(destination)
        os.makedirs(folder, exist_ok=True)
        # Created as any file is (mode 0666 less the umask); mkstemp would make it 0600.
        tmp = os.path.join(folder, f".sample-{uuid.uuid4().hex}.tmp")
        with open(os.path.join(data_dir, name), "rb") as source, open(tmp, "xb") as copy:
            shutil.copyfileobj(source, copy)
        os.replace(tmp, destination)
        added.append(destination)
    return added
