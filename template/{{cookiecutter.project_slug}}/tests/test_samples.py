import os
import stat

import pytest

from {{ cookiecutter.package_name }}.commands.samples import SAMPLES, add_samples
from {{ cookiecutter.package_name }}.images import IMAGE_EXTENSIONS

pytestmark = pytest.mark.skipif(".png" not in IMAGE_EXTENSIONS, reason="samples are PNG files")


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o002, 0o664), (0o077, 0o600)])
def test_samples_get_the_mode_the_umask_gives(tmp_path, umask, mode):
    saved = os.umask(umask)
    try:
        added = add_samples(tmp_path / "raw")
    finally:
        os.umask(saved)

    assert len(added) == len(SAMPLES)
    assert {stat.S_IMODE(os.stat(path).st_mode) for path in added} == {mode}
    assert not [name for name in os.listdir(tmp_path / "raw") if name.startswith(".")]
