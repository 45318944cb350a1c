import subprocess
import sys

import numpy as np
import pytest
from skimage import io

from {{ cookiecutter.package_name }}.commands.sheet import (
    SheetError,
    compose,
    evenly_spaced,
    to_display,
    write_contact_sheet,
)
from {{ cookiecutter.package_name }}.tasks import RedChannel

from conftest import EXT, PACKAGE, build, gradient, needs_lossless, write_image


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


def test_compose_lays_out_rows_of_tiles():
    sheet = compose([[gradient(), gradient(channels=1)]] * 3, tile=32, gap=2)
    assert sheet.shape == (3 * 34 + 2, 2 * 34 + 2, 3)
    assert sheet.dtype == np.uint8


def test_evenly_spaced_includes_first_and_last():
    assert evenly_spaced(list(range(10)), 3) == [0, 4, 9]
    assert evenly_spaced([1, 2], 5) == [1, 2]


@needs_lossless
def test_contact_sheet_shows_raw_images_beside_red_channels(workspace, tmp_path):
    for index in range(5):
        write_image(workspace.raw / f"img{index}{EXT}", gradient(height=40, width=40, seed=index))
    build(RedChannel())
    output = tmp_path / "sheet.png"

    shown = write_contact_sheet(str(output), count=3, tile=40)

    assert shown == ["img0", "img2", "img4"]
    sheet = io.imread(output)
    assert sheet.shape == (3 * 44 + 4, 2 * 44 + 4, 3)
    raw_tile, red_tile = sheet[4:44, 4:44], sheet[4:44, 48:88]
    assert not np.array_equal(raw_tile[..., 0], raw_tile[..., 1])  # colour
    assert np.array_equal(red_tile[..., 0], red_tile[..., 1])  # the red channel, as gray
    np.testing.assert_array_equal(red_tile[..., 0], gradient(height=40, width=40, seed=0)[..., 0])


def test_contact_sheet_before_a_run_says_so(workspace, tmp_path):
    with pytest.raises(SheetError, match="run the pipeline first"):
        write_contact_sheet(str(tmp_path / "sheet.png"))


def test_sheet_command_before_a_run_is_a_clear_error(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", PACKAGE, "sheet", "--working-dir", str(tmp_path)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert "run the pipeline first" in result.stderr
