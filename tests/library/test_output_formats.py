"""A directory task's output format is a parameter: `output_format`, an object with a suffix,
write(path, result) and read(path)."""

import json
import os

import luisy
import numpy as np
import pytest
from sample_pipeline.tasks import ToNumpy

from luisy_directory_tasks import DirectoryTask, ManifestTarget

from conftest import EXT, build, gradient, needs_lossless, write_image


class JsonSummaries:
    """Each result as a small JSON file (a format a team might choose for reports)."""

    suffix = ".summary.json"

    def write(self, path, result):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as handle:
            json.dump(result, handle)

    def read(self, path):
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)


@luisy.final
@luisy.requires(ToNumpy)
class Brightness(DirectoryTask):
    """Mean and maximum of every image, as JSON."""

    output_format = JsonSummaries()

    def transform(self, image):
        return {"mean": float(np.mean(image)), "max": int(np.max(image))}


pytestmark = needs_lossless


def test_outputs_are_written_read_and_rerun_in_the_tasks_format(workspace, workers):
    workers(2)  # the workers write the files, so the format travels to them
    images = {"a": gradient(seed=1), "cats/b": gradient(seed=2, channels=1)}
    for image_id, image in images.items():
        write_image(workspace.raw / f"{image_id}{EXT}", image)

    assert build(Brightness()).scheduling_succeeded
    task = Brightness()
    entries = task.output().load()["files"]

    assert [(e["id"], e["file"]) for e in entries] == [
        ("a", "a.summary.json"),
        ("cats/b", "cats/b.summary.json"),
    ]
    for entry in entries:
        path = os.path.join(task.output().folder, entry["file"])
        _, summary = task.output().read_file(path)
        assert summary == {"mean": float(np.mean(images[entry["id"]])),
                           "max": int(np.max(images[entry["id"]]))}  # fmt: skip
    write_image(workspace.raw / f"c{EXT}", gradient(seed=3))
    before = os.stat(os.path.join(task.output().folder, "a.summary.json")).st_mtime_ns

    assert build(Brightness()).scheduling_succeeded

    assert [e["id"] for e in Brightness().output().load()["files"]] == ["a", "c", "cats/b"]
    assert os.stat(os.path.join(task.output().folder, "a.summary.json")).st_mtime_ns == before


def test_a_manifest_listing_files_of_another_format_is_refused(workspace):
    write_image(workspace.raw / f"a{EXT}", gradient(seed=1))
    assert build(Brightness()).scheduling_succeeded
    target = Brightness().output()
    numpy_view = ManifestTarget(target.path)  # the same manifest read as .npy outputs

    with pytest.raises(ValueError, match="unsafe or missing output path 'a.summary.json'"):
        numpy_view.load()
    assert not numpy_view.exists()


@pytest.mark.parametrize("suffix", ["", "npy", "/x.npy", ".", "../x", None])
def test_a_suffix_that_is_no_file_ending_is_refused(suffix):
    class Bad(JsonSummaries):
        pass

    Bad.suffix = suffix
    with pytest.raises(ValueError, match="suffix must be a file name ending"):
        ManifestTarget("x.json", output_format=Bad())
