"""The pipeline: a folder of images -> one array per image (interim) -> red channels (final).

`python -m <package> run` runs every final task (`@luisy.final`) with luisy, hashing included;
`run TASK` runs that one, as does the luisy command:
`luisy --module <package>.tasks RedChannel --working-dir data --no-ask --local-scheduler`.
"""

import luisy
from luisy_directory_tasks import DirectoryTask, directory_tasks, make_directory_output

from {{ cookiecutter.package_name }}.images import (
    HOW_TO_READ_MORE,
    IMAGE_PATTERN,
    read_image,
    red_channel,
    to_numpy,
)


def read_raw_image(filepath):
    """read_image with the pixel limit set under [directory_tasks]."""
    return read_image(filepath, max_pixels=directory_tasks().max_pixels)


# The library's make_directory_output: one target class per decorated task, read recursively
# in sorted order; luisy's decorator of that name is left as it is.
image_directory_output = make_directory_output(
    read_raw_image, regex_pattern=IMAGE_PATTERN, unread_hint=HOW_TO_READ_MORE
)


@image_directory_output
@luisy.raw
class ExportDirectory(luisy.ExternalTask):
    """The raw images: <working_dir>/<package>/raw/, any depth of subfolders."""

    def get_folder_name(self):
        return ""


@luisy.interim
@luisy.requires(ExportDirectory)
class ToNumpy(DirectoryTask):
    """Every raw image as a .npy array, in interim/ToNumpy/."""

    def transform(self, image):
        return to_numpy(image)


@luisy.final
@luisy.requires(ToNumpy)
class RedChannel(DirectoryTask):
    """The red channel of every image, in final/RedChannel/."""

    def transform(self, image):
        return red_channel(image)
