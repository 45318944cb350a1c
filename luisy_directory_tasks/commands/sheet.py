"""A contact sheet: a sample of raw images beside each task's output, in one PNG to look at.

At the top, how many files the tasks skipped and did not read; then the column titles (raw and
each task); each row is titled with its file's id. The raw images are read as the tasks read
them (orientation and colour profile, settings under [images]); an array that is no image is
drawn as a line plot (1-D) or named by its shape and dtype, and a file that cannot be read is
a panel saying why.
"""

import dataclasses
import logging
import os

import numpy as np
from PIL import Image, ImageDraw, ImageFont
from skimage import io, transform

from luisy_directory_tasks.images import load_image, view_settings

logger = logging.getLogger(__name__)
BACKGROUND = 1.0  # white
LINE = 16  # pixels per line of text
TEXT_COLOUR = (0, 0, 0)


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


def evenly_spaced(items, count):
    """`count` items spread evenly over `items`, first and last included."""
    if len(items) <= count:
        return list(items)
    positions = np.linspace(0, len(items) - 1, count).round().astype(int)
    return [items[position] for position in positions]


def tasks_with_results(package):
    """The directory tasks of `package`.tasks whose output is committed, in the order
    defined."""
    from luisy_directory_tasks.commands.run import project_tasks
    from luisy_directory_tasks.task import DirectoryTask

    tasks = [cls() for cls in project_tasks(package).values() if issubclass(cls, DirectoryTask)]
    return [task for task in tasks if task.output().exists()]


def counts_line(manifests):
    """'12 files; 1 skipped (unreadable), 6 ignored (not read)', over every task's manifest."""
    skipped = sum(len(manifest["skipped"]) for manifest in manifests)
    ignored = sum(len(manifest["ignored"]) for manifest in manifests)
    files = max(len(manifest["files"]) for manifest in manifests)
    return f"{files} files; {skipped} skipped (unreadable), {ignored} ignored (not read)"


def read_or_say_why(read, path, skipped):
    """The array `read()` returns, or a text saying why there is none (also added to
    `skipped`, with the file's path)."""
    try:
        return read()
    except FileNotFoundError:
        reason = "file gone"
    except (OSError, ValueError) as error:
        lines = str(error).strip().splitlines()
        reason = f"unreadable: {lines[0] if lines else type(error).__name__}"
    skipped.append(f"{path} ({reason})")
    return f"{os.path.basename(path)}:\n{reason}"


@dataclasses.dataclass
class Shown:
    """What a sheet shows: the first task that reads the raw files (`reader`), then every
    directory task with results in the order defined (`tasks`, the reader first), their
    manifests, {task name: {id: committed file}} and the ids chosen."""

    reader: object
    tasks: list
    manifests: list
    files: dict
    chosen: list


def results_to_show(package, count):
    """Shown for `count` ids spread evenly over those with a result in every directory task
    of the project `package`; SheetError when there are none yet."""
    from luisy_directory_tasks.manifests import ManifestTarget

    tasks = tasks_with_results(package)
    readers = [task for task in tasks if not isinstance(task.input(), ManifestTarget)]
    if not readers:
        raise SheetError("no results yet: run the pipeline first")
    tasks = [readers[0], *(task for task in tasks if task is not readers[0])]
    manifests = [task.output().load() for task in tasks]
    files = {
        task.get_task_family(): {entry["id"]: entry["file"] for entry in manifest["files"]}
        for task, manifest in zip(tasks, manifests, strict=True)
    }
    first = files[tasks[0].get_task_family()]
    ids = [id_ for id_ in first if all(id_ in task_files for task_files in files.values())]
    chosen = evenly_spaced(ids, count)
    if not chosen:
        raise SheetError("no file has a result in every task yet: run the pipeline first")
    return Shown(readers[0], tasks, manifests, files, chosen)


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
