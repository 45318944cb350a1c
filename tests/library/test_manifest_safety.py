"""A manifest is data anyone can edit: its paths must never lead a run outside its folder."""

import json

import numpy as np
import pytest
from sample_pipeline.tasks import ToNumpy

from luisy_directory_tasks.manifest_checks import (
    ManifestError,
    check_manifest,
    is_safe_relative,
)
from luisy_directory_tasks.manifests import from_columns

from conftest import EXT, Workspace, build, gradient, needs_lossless, run_luisy, write_image


@pytest.mark.parametrize(
    "path",
    ["../x.npy", "a/../../x.npy", "/etc/x.npy", "a//b.npy", "./a.npy", "a/./b.npy", "a/..",
     "a/.", "a/b.npy/", "..", ".", "a\0b.npy", "", None, 3],
)  # fmt: skip
def test_unsafe_paths_are_refused(path):
    assert not is_safe_relative(path)
    entry = {"id": "a", "file": path, "source": "a.png", "source_fingerprint": [1, 2],
             "fingerprint": [1, 2]}  # fmt: skip
    manifest = {"files": [entry], "skipped": [], "ignored": [], "generation": "g"}
    with pytest.raises(ManifestError, match="unsafe or missing output path"):
        check_manifest(manifest, "ToNumpy.json")


@pytest.mark.parametrize(
    "files",
    [
        [],
        {"file": ["a.npy", "b.npy"], "source": ["a.png"], "fingerprint": [[1, 2]],
         "source_fingerprint": [[1]]},
        {"file": ["a.npy"], "source": ["a.png"], "fingerprint": [[1, 2]],
         "source_fingerprint": [[1]]},
        {"file": ["a.npy"], "source": ["a.png"], "fingerprint": [[True]],
         "source_fingerprint": [[1]]},
        {"file": ["a.npy"], "source": ["a.png"], "fingerprint": [], "source_fingerprint": [[1]]},
    ],
)  # fmt: skip
def test_file_columns_of_other_shapes_are_refused(files):
    with pytest.raises(ManifestError):
        from_columns({"files": files, "skipped": [], "ignored": []}, "ToNumpy.json")


def test_plain_relative_paths_are_accepted():
    assert is_safe_relative("cats/a.b.npy") and is_safe_relative("a..b.npy")


@needs_lossless
def test_a_manifest_pointing_outside_its_folder_is_never_followed(tmp_path):
    space = Workspace(tmp_path / "data")
    images = {"a": gradient(seed=1), "b": gradient(seed=2)}
    for name, image in images.items():
        write_image(space.raw / f"{name}{EXT}", image)
    assert run_luisy(space.root).returncode == 0
    # ToNumpy/../../../../x.npy is tmp_path/x.npy, outside data/: the next task would read it
    # and write its own output there.
    outside = tmp_path / "x.npy"
    np.save(outside, gradient(height=2, width=2, seed=3))
    before = outside.read_bytes()
    manifest_path = space.to_numpy.parent / "ToNumpy.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["files"]["file"][0] = "../../../../x.npy"
    manifest_path.write_text(json.dumps(manifest))

    result = run_luisy(space.root)

    assert result.returncode == 0, result.stdout + result.stderr
    assert outside.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "x.npy"]
    repaired = json.loads(manifest_path.read_text())
    assert repaired["files"]["file"] == ["a.npy", "b.npy"]
    for name, image in images.items():
        np.testing.assert_array_equal(np.load(space.red_channel / f"{name}.npy"), image[..., 0])


def test_a_manifest_nested_too_deeply_makes_the_task_incomplete(workspace):
    write_image(workspace.raw / f"a{EXT}", gradient())
    build(ToNumpy())
    (workspace.to_numpy.parent / "ToNumpy.json").write_text("[" * 200000 + "]" * 200000)

    assert not ToNumpy().complete()
