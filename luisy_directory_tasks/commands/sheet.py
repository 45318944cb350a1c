"""A contact sheet: a sample of raw images beside each task's output, in one PNG to look at.

At the top, how many files the tasks skipped and did not read; then the column titles (raw and
each task); each row is titled with its file's id. The raw images are read as the tasks read
them (orientation and colour profile, settings under [images]); an array that is no image is
drawn as a line plot (1-D) or named by its shape and dtype, and a file that cannot be read is
a panel saying why.
"""

import logging
import os

import numpy as np
from PIL import Image, ImageDraw, ImageFont
from skimage import io, transform

from luisy_directory_tasks.commands.shown import (
    SheetError,
    counts_line,
    read_or_say_why,
    results_to_show,
)
from luisy_directory_tasks.images import load_image, view_settings

logger = logging.getLogger(__name__)
BACKGROUND = 1.0  # white
LINE = 16  # pixels per line of text
TEXT_COLOUR = (0, 0, 0)


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


def is_image(array):
    """True for a numeric array shaped like an image: 2-D, or 3-D with 1 to 4 channels."""
    shaped = array.ndim == 2 or (array.ndim == 3 and 1 <= array.shape[2] <= 4)
    return array.dtype.kind in "biuf" and shaped and array.size > 0


def tile_for(item, size):
    """An RGB float tile of `size` x `size` for one cell of the sheet: an image fitted in, a
    1-D array as a line plot, any other array as its shape and dtype, a str as itself."""
    if isinstance(item, str):
        return text_panel(item, size)
    if is_image(item):
        return fit(to_display(item), size)
    if item.ndim == 1 and item.dtype.kind in "iuf" and item.size > 1 and np.isfinite(item).all():
        return line_plot(item, size)
    return text_panel(f"not an image:\nshape {item.shape}\ndtype {item.dtype}", size)


def line_plot(values, size, margin=8):
    """`values` drawn as a black line across a white tile, lowest value at the bottom."""
    values = np.asarray(values, dtype=float)
    span = float(values.max() - values.min()) or 1.0
    xs = np.linspace(margin, size - 1 - margin, len(values))
    ys = (size - 1 - margin) - (values - values.min()) / span * (size - 1 - 2 * margin)
    picture = Image.new("RGB", (size, size), (255, 255, 255))
    ImageDraw.Draw(picture).line(list(zip(xs.tolist(), ys.tolist(), strict=True)), fill=TEXT_COLOUR)
    return np.asarray(picture) / 255.0


def text_panel(text, size, gap=4):
    """A white tile with `text` (lines) written at its top left."""
    picture = Image.new("RGB", (size, size), (255, 255, 255))
    draw = ImageDraw.Draw(picture)
    draw.multiline_text((gap, gap), text, fill=TEXT_COLOUR, font=ImageFont.load_default())
    return np.asarray(picture) / 255.0


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


def layout(rows, columns, tile=160, gap=4):
    """{'width', 'height', 'header', 'row_top'}: pixel positions of a sheet with a header
    (a line of counts, a line of column titles) and `rows` rows, each a title line above
    `columns` tiles."""
    header = 2 * LINE + gap
    row_height = LINE + tile + gap
    return {
        "width": columns * (tile + gap) + gap,
        "height": header + rows * row_height + gap,
        "header": header,
        "row_top": [header + gap + r * row_height for r in range(rows)],
    }


def compose(rows, row_titles, column_titles, counts, tile=160, gap=4):
    """One 8-bit RGB image: `counts` (a line of text) and `column_titles` at the top, then
    each of `rows` (a list of arrays, or texts saying why there is none, shown side by side)
    under its title."""
    columns = max(len(row) for row in rows)
    place = layout(len(rows), columns, tile, gap)
    sheet = np.full((place["height"], place["width"], 3), BACKGROUND)
    for r, row in enumerate(rows):
        top = place["row_top"][r] + LINE
        for c, image in enumerate(row):
            left = gap + c * (tile + gap)
            sheet[top : top + tile, left : left + tile] = tile_for(image, tile)
    picture = Image.fromarray((sheet * 255).round().astype(np.uint8))
    draw = ImageDraw.Draw(picture)
    font = ImageFont.load_default()
    draw.text((gap, 0), counts, fill=TEXT_COLOUR, font=font)
    for c, title in enumerate(column_titles):
        draw.text((gap + c * (tile + gap), LINE), title, fill=TEXT_COLOUR, font=font)
    for r, title in enumerate(row_titles):
        draw.text((gap, place["row_top"][r]), title, fill=TEXT_COLOUR, font=font)
    return np.asarray(picture)


def write_contact_sheet(package, output, count=6, tile=160):
    """Write a sheet of `count` raw images beside every directory task's output of the
    project `package`; return the ids shown.

    Uses luisy's configured working dir, like the tasks do; writes nothing else. A file that
    cannot be read is a panel saying why, and a warning; nothing readable at all: SheetError.
    """
    shown = results_to_show(package, count)
    tasks, columns, chosen = shown.tasks, shown.files, shown.chosen
    raw_folder = shown.reader.input().folder
    sources = {entry["id"]: entry["source"] for entry in shown.manifests[0]["files"]}
    settings = view_settings()
    rows, skipped = [], []
    for id_ in chosen:
        raw = os.path.join(raw_folder, sources[id_])
        row = [read_or_say_why(lambda path=raw: load_image(path, **settings), raw, skipped)]
        for task in tasks:
            array = os.path.join(task.output().folder, columns[task.get_task_family()][id_])
            row.append(read_or_say_why(lambda path=array: np.load(path), array, skipped))
        rows.append(row)
    if len(skipped) == len(rows) * (len(tasks) + 1):
        raise SheetError(f"nothing could be shown: {'; '.join(skipped)}")
    for reason in skipped:
        logger.warning("Sheet: not shown: %s", reason)
    sheet = compose(rows, chosen, ["raw", *columns], counts_line(shown.manifests), tile=tile)
    folder, name = os.path.split(os.path.abspath(output))
    os.makedirs(folder, exist_ok=True)
    partial = os.path.join(folder, f".{name}.partial.png")
    io.imsave(partial, sheet, check_contrast=False)
    os.replace(partial, os.path.join(folder, name))
    return chosen
