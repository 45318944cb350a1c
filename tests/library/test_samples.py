import os
import stat

import pytest

from luisy_directory_tasks.commands.samples import SAMPLES, SamplesError, add_samples


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o002, 0o664), (0o077, 0o600)])
def test_samples_get_the_mode_the_umask_gives(tmp_path, umask, mode):
    saved = os.umask(umask)
    try:
        added = add_samples(tmp_path / "raw", (".png", ".tif"))
    finally:
        os.umask(saved)

    assert len(added) == len(SAMPLES)
    assert {stat.S_IMODE(os.stat(path).st_mode) for path in added} == {mode}
    assert not [name for name in os.listdir(tmp_path / "raw") if name.startswith(".")]


def test_a_project_that_reads_no_png_gets_no_samples_and_is_told_how(tmp_path):
    with pytest.raises(SamplesError, match=r"reads \.tif, \.jpg only: add '\.png'"):
        add_samples(tmp_path / "raw", (".tif", ".jpg"))

    assert not (tmp_path / "raw").exists()
