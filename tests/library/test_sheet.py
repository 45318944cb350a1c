import os
import shutil

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont
from skimage import io

from luisy_directory_tasks.commands.sheet import (
    LINE,
    compose,
    layout,
    line_plot,
    text_panel,
    to_display,
    write_contact_sheet,
)
from luisy_directory_tasks.commands.shown import SheetError, evenly_spaced

from conftest import (
    EXT,
    PACKAGE,
    PROJECT_ROOT,
    directory_task_names,
    gradient,
    needs_lossless,
    run_command,
    write_image,
)


def test_to_display_handles_every_kind_of_image():
    for image in (
        gradient(channels=1),
        gradient(channels=3),
        gradient(channels=4),
        gradient(channels=3, dtype=np.uint16),
    ):
        shown = to_display(image)
        assert shown.shape == image.shape[:2] + (3,)
        assert 0.0 <= shown.min() and shown.max() <= 1.0


def test_16_bit_white_is_white():
    assert to_display(np.full((2, 2), 65535, dtype=np.uint16)).min() == 1.0


def test_compose_lays_out_a_header_and_titled_rows_of_tiles():
    sheet = compose(
        [[gradient(), gradient(channels=1)]] * 3, ["a", "b", "c"], ["raw", "X"], "", tile=32, gap=2
    )
    place = layout(3, 2, tile=32, gap=2)
    assert sheet.shape == (place["height"], place["width"], 3)
    assert sheet.shape == (2 * LINE + 2 + 3 * (LINE + 32 + 2) + 2, 2 * 34 + 2, 3)
    assert sheet.dtype == np.uint8


def test_evenly_spaced_includes_first_and_last():
    assert evenly_spaced(list(range(10)), 3) == [0, 4, 9]
    assert evenly_spaced([1, 2], 5) == [1, 2]


def text_strip(text, width, left):
    """`text` as the sheet writes it: Pillow's default font, black on a white line."""
    strip = Image.new("RGB", (width, LINE), (255, 255, 255))
    ImageDraw.Draw(strip).text((left, 0), text, fill=(0, 0, 0), font=ImageFont.load_default())
    return np.asarray(strip)


@needs_lossless
def test_sheet_command_titles_rows_columns_and_counts_skipped_and_ignored_files(workspace):
    for index in range(5):
        write_image(workspace.raw / f"img{index}{EXT}", gradient(height=40, width=40, seed=index))
    (workspace.raw / f"broken{EXT}").write_bytes(b"not an image")
    (workspace.raw / "notes.txt").write_text("not an image")
    (workspace.raw / "more.txt").write_text("not an image")
    run = run_command("run", "--working-dir", workspace.root, "--directory-tasks-lenient")
    assert run.returncode == 0, run.stdout + run.stderr
    output = workspace.root / "sheet.png"

    result = run_command("sheet", "--working-dir", workspace.root, "--count", 3, "--output", output)

    assert result.returncode == 0, result.stderr
    assert result.stdout.endswith("rows: img0, img2, img4\n")
    sheet = io.imread(output)
    columns = ["raw", *directory_task_names()]  # raw, ToNumpy, RedChannel, tasks added since
    place = layout(3, len(columns))
    assert sheet.shape == (place["height"], place["width"], 3)
    width, gap, tile = place["width"], 4, 160
    counts = "5 files; 1 skipped (unreadable), 2 ignored (not read)"
    np.testing.assert_array_equal(sheet[:LINE], text_strip(counts, width, gap))
    titles = sheet[LINE : 2 * LINE]
    for column, title in enumerate(columns):
        left = gap + column * (tile + gap)
        expected = text_strip(title, width, left)[:, left : left + tile]
        np.testing.assert_array_equal(titles[:, left : left + tile], expected)
    for row, file_id in enumerate(["img0", "img2", "img4"]):
        top = place["row_top"][row]
        np.testing.assert_array_equal(sheet[top : top + LINE], text_strip(file_id, width, gap))
    top = place["row_top"][0] + LINE
    raw_tile = sheet[top : top + tile, gap : gap + tile]
    red_tile = sheet[top : top + tile, 2 * (tile + gap) + gap : 3 * (tile + gap)]
    assert not np.array_equal(raw_tile[..., 0], raw_tile[..., 1])  # colour
    assert np.array_equal(red_tile[..., 0], red_tile[..., 1])  # the red channel, as gray


def test_contact_sheet_before_a_run_says_so(workspace, tmp_path):
    with pytest.raises(SheetError, match="run the pipeline first"):
        write_contact_sheet(PACKAGE, str(tmp_path / "sheet.png"))


# Tasks a user may add whose arrays are no images: a histogram (1-D) and a stack (4-D).
MORE_TASKS = """

import numpy as np


@luisy.final
@luisy.requires(RedChannel)
class Histogram(DirectoryTask):
    def transform(self, image):
        return np.bincount(image.ravel(), minlength=256)


@luisy.final
@luisy.requires(RedChannel)
class Stack(DirectoryTask):
    def transform(self, image):
        return np.zeros((2, 3, 4, 5), dtype=np.float32)
"""


def tile_at(sheet, place, row, column, tile=160, gap=4):
    top, left = place["row_top"][row] + LINE, gap + column * (tile + gap)
    return sheet[top : top + tile, left : left + tile]


@needs_lossless
def test_sheet_shows_arrays_that_are_no_images_and_says_what_it_skipped(workspace, tmp_path):
    source = tmp_path / "src"
    shutil.copytree(PROJECT_ROOT / "src" / PACKAGE, source / PACKAGE)
    with open(source / PACKAGE / "tasks.py", "a") as tasks:
        tasks.write(MORE_TASKS)
    env = {**os.environ, "PYTHONPATH": str(source)}
    for index in range(2):
        write_image(workspace.raw / f"img{index}{EXT}", gradient(height=40, width=40, seed=index))
    run = run_command("run", "--working-dir", workspace.root, env=env)
    assert run.returncode == 0, run.stdout + run.stderr
    (workspace.raw / f"img1{EXT}").unlink()  # named in the last manifest, gone since
    output = workspace.root / "sheet.png"

    result = run_command("sheet", "--working-dir", workspace.root, "--output", output, env=env)

    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert f"img1{EXT} (file gone)" in result.stdout + result.stderr
    sheet = io.imread(output)
    histogram = 1 + len(directory_task_names())  # raw, ToNumpy, RedChannel, added tasks, ...
    place = layout(2, histogram + 2)  # ... Histogram, Stack
    assert sheet.shape == (place["height"], place["width"], 3)
    stack = (text_panel("not an image:\nshape (2, 3, 4, 5)\ndtype float32", 160) * 255).round()
    np.testing.assert_array_equal(tile_at(sheet, place, 0, histogram + 1), stack)
    gone = (text_panel(f"img1{EXT}:\nfile gone", 160) * 255).round()
    np.testing.assert_array_equal(tile_at(sheet, place, 1, 0), gone)
    red = gradient(height=40, width=40, seed=0)[..., 0]
    plot = (line_plot(np.bincount(red.ravel(), minlength=256), 160) * 255).round()
    np.testing.assert_array_equal(tile_at(sheet, place, 0, histogram), plot)
    assert (plot < 128).any()  # a line is drawn
