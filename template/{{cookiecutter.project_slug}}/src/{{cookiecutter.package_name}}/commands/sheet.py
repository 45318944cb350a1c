"""A contact sheet: a sample of raw images next to their red channels, in one PNG to look at."""

import os

import numpy as np
from skimage import io, transform

BACKGROUND = 1.0  # white


class SheetError(Exception):
    """There is nothing to show yet."""


def to_display(image):
    """Any image (grayscale, RGB, RGBA, 8 or 16 bit, float) as RGB floats in [0, 1]."""
    image = np.asarray(image)
    if image.dtype == bool:
        image = image.astype(float)
    elif np.issubdtype(image.dtype, np.integer):
        image = image.astype(float) / np.iinfo(image.dtype).max
    else:
        image = image.astype(float) / max(float(image.max()), 1.0)
    if image.ndim == 2:
        image = image[:, :, None]
    if image.shape[2] in (2, 4):  # composite the alpha channel onto the background
        alpha = image[:, :, -1:]
        image = image[:, :, :-1] * alpha + BACKGROUND * (1 - alpha)
    if image.shape[2] == 1:
        image = np.repeat(image, 3, axis=2)
    return np.clip(image, 0.0, 1.0)


def fit(image, size):
    """`image` scaled to fit a `size` x `size` square, centred on the background."""
    height, width = image.shape[:2]
    scale = size / max(height, width)
    shape = (max(1, round(height * scale)), max(1, round(width * scale)))
    resized = transform.resize(image, shape, anti_aliasing=True)
    tile = np.full((size, size, 3), BACKGROUND)
    top, left = (size - shape[0]) // 2, (size - shape[1]) // 2
    tile[top : top + shape[0], left : left + shape[1]] = resized
    return tile


def compose(rows, tile=160, gap=4):
    """One image of `rows`, each a list of images shown side by side, as 8-bit RGB."""
    columns = max(len(row) for row in rows)
    height = len(rows) * (tile + gap) + gap
    width = columns * (tile + gap) + gap
    sheet = np.full((height, width, 3), BACKGROUND)
    for r, row in enumerate(rows):
        for c, image in enumerate(row):
            top, left = gap + r * (tile + gap), gap + c * (tile + gap)
            sheet[top : top + tile, left : left + tile] = fit(to_display(image), tile)
    return (sheet * 255).round().astype(np.uint8)


def evenly_spaced(items, count):
    """`count` items spread evenly over `items`, first and last included."""
    if len(items) <= count:
        return list(items)
    positions = np.linspace(0, len(items) - 1, count).round().astype(int)
    return [items[position] for position in positions]


def write_contact_sheet(output, count=6, tile=160):
    """Write a sheet of `count` raw images beside their red channels; return the ids shown.

    Uses luisy's configured working dir, like the tasks do.
    """
    from {{ cookiecutter.package_name }}.tasks import ExportDirectory, RedChannel, ToNumpy

    red_channel, to_numpy = RedChannel().output(), ToNumpy().output()
    if not red_channel.exists():
        raise SheetError(f"no results in {red_channel.folder} yet: run the pipeline first")
    raw_folder = ExportDirectory().output().folder
    sources = {entry["id"]: entry["source"] for entry in to_numpy.load()["files"]}
    chosen = evenly_spaced(red_channel.load()["files"], count)
    rows = [
        [
            io.imread(os.path.join(raw_folder, sources[entry["id"]])),
            np.load(os.path.join(red_channel.folder, entry["file"]), allow_pickle=False),
        ]
        for entry in chosen
    ]
    folder, name = os.path.split(os.path.abspath(output))
    os.makedirs(folder, exist_ok=True)
    partial = os.path.join(folder, f".{name}.partial.png")
    io.imsave(partial, compose(rows, tile=tile), check_contrast=False)
    os.replace(partial, os.path.join(folder, name))
    return [entry["id"] for entry in chosen]
