"""A curve sheet: small multiples, one panel per curve, its samples as the first directory task
read them (dots) against every later task's curve (lines), each panel titled with its id."""

import logging
import math
import os

from luisy_directory_tasks.commands.shown import (
    SheetError,
    counts_line,
    read_or_say_why,
    results_to_show,
)
from luisy_directory_tasks.files import load_array

logger = logging.getLogger(__name__)
COLUMNS = 4


def is_curve(item):
    """True for an array of (time, value) rows that a panel can draw."""
    return not isinstance(item, str) and item.ndim == 2 and item.shape[1] == 2 and len(item) > 0


def write_curve_sheet(package, output, count=12):
    """Write a PNG of `count` curves of the project `package`; return the ids shown.

    Uses luisy's configured working dir, like the tasks do; writes nothing else. An output that
    cannot be read is a panel saying why, and a warning; nothing readable at all: SheetError.
    """
    shown = results_to_show(package, count)
    tasks, chosen = shown.tasks, shown.chosen
    columns = list(shown.files.values())
    panels, skipped = [], []
    for id_ in chosen:
        arrays = []
        for task, files in zip(tasks, columns, strict=True):
            path = os.path.join(task.output().folder, files[id_])
            arrays.append(read_or_say_why(lambda p=path: load_array(p), path, skipped))
        panels.append(arrays)
    if all(not any(is_curve(item) for item in arrays) for arrays in panels):
        raise SheetError(f"nothing could be shown: {'; '.join(skipped) or 'no curves'}")
    for reason in skipped:
        logger.warning("Sheet: not shown: %s", reason)
    names = [task.get_task_family() for task in tasks]
    figure = draw(panels, chosen, names, counts_line(shown.manifests))
    folder, name = os.path.split(os.path.abspath(output))
    os.makedirs(folder, exist_ok=True)
    partial = os.path.join(folder, f".{name}.partial.png")
    figure.savefig(partial, format="png", dpi=80)
    os.replace(partial, os.path.join(folder, name))
    return chosen


def draw(panels, titles, names, counts):
    """A matplotlib figure of small multiples: in each panel the first array as dots, the
    others as lines (a text where an array could not be read)."""
    import matplotlib

    matplotlib.use("Agg")  # files only, never a window
    from matplotlib.figure import Figure

    rows = math.ceil(len(panels) / COLUMNS)
    figure = Figure(figsize=(3.2 * COLUMNS, 2.4 * rows + 0.6), layout="constrained")
    figure.suptitle(f"{counts}; dots: {names[0]}, lines: {', '.join(names[1:]) or 'none'}")
    axes = figure.subplots(rows, COLUMNS, squeeze=False).ravel()
    for ax, arrays, title in zip(axes, panels, titles, strict=False):
        ax.set_title(title, fontsize=8)
        ax.tick_params(labelsize=6)
        for index, item in enumerate(arrays):
            if not is_curve(item):
                text = item if isinstance(item, str) else f"not a curve: shape {item.shape}"
                ax.text(0.02, 0.5 - 0.15 * index, text, fontsize=6, transform=ax.transAxes)
            elif index == 0:
                ax.plot(item[:, 0], item[:, 1], ".", markersize=2, color="0.4")
            else:
                ax.plot(item[:, 0], item[:, 1], "-", linewidth=1)
    for ax in axes[len(panels) :]:
        ax.set_visible(False)
    return figure
