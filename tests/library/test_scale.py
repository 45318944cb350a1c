"""Directory tasks at scale: worker processes, incremental reruns, progress, stable names."""

import io
import logging
import os
import time

import luisy.code_inspection as code_inspection
import numpy as np
import pytest
from sample_pipeline.tasks import ExportDirectory, RedChannel, ToNumpy

from luisy_directory_tasks.errors import BadFilesError
from luisy_directory_tasks.executors.processes import map_chunks
from luisy_directory_tasks.progress import Progress

from conftest import (
    EXT,
    Workspace,
    build,
    gradient,
    layer_contents,
    needs_lossless,
    write_image,
)

pytestmark = needs_lossless


def add_images(raw, count, start=0):
    for index in range(start, start + count):
        write_image(raw / f"part{index % 4}" / f"img{index:03d}{EXT}", gradient(seed=index))


def committed(space):
    """Every committed output file, without the marker of the run that wrote it."""
    outputs = space.outputs(space.project / "interim") | space.outputs(space.project / "final")
    return {
        name: data
        for name, data in outputs.items()
        if not name.endswith((".generation", ".json", ".lock"))
    }


def mtimes(space):
    folders = (space.to_numpy, space.red_channel)
    return {p: p.stat().st_mtime_ns for f in folders for p in f.rglob("*.npy")}


def use_workspace(space):
    from luisy import Config

    Config().set_param("working_dir", str(space.root))


def test_map_chunks_runs_every_chunk_once_in_parallel_and_serially():
    items = list(range(103))
    for workers in (1, 2):
        chunks = list(map_chunks(sorted, items, workers, chunk_size=10))
        assert sorted(x for chunk in chunks for x in chunk) == items
        assert max(len(chunk) for chunk in chunks) == 10


def test_parallel_and_serial_runs_give_identical_outputs(tmp_path, workers):
    results = []
    for count in (1, 2):
        space = Workspace(tmp_path / f"workers{count}")
        add_images(space.raw, 40)
        use_workspace(space)
        workers(count)
        assert build(RedChannel()).scheduling_succeeded
        results.append(committed(space))
    assert len(results[0]) == 80
    assert results[0] == results[1]


def test_bad_files_are_all_reported_with_several_workers(workspace, workers):
    workers(2)
    add_images(workspace.raw, 30)
    for name in ("part1/bad.png", "part3/zero.png"):
        (workspace.raw / name.replace(".png", EXT)).write_bytes(b"" if "zero" in name else b"x")

    with pytest.raises(BadFilesError) as caught:
        ToNumpy().run()

    assert f"part1/bad{EXT}" in str(caught.value) and f"part3/zero{EXT}" in str(caught.value)
    assert not ToNumpy().output().exists()
    assert layer_contents(workspace.to_numpy.parent) == []


def test_incremental_run_processes_only_what_changed(tmp_path, workers):
    workers(2)
    space = Workspace(tmp_path / "data")
    add_images(space.raw, 24)
    use_workspace(space)
    build(RedChannel())
    before = mtimes(space)
    assert RedChannel().complete()

    time.sleep(0.01)  # a different mtime for the files written below
    added = space.raw / "part0" / f"new{EXT}"
    write_image(added, gradient(seed=99))
    changed = space.raw / "part1" / f"img001{EXT}"
    write_image(changed, gradient(seed=1234))
    removed = space.raw / "part2" / f"img002{EXT}"
    removed.unlink()
    assert not ToNumpy().complete() and not RedChannel().complete()

    build(RedChannel())

    after = mtimes(space)
    touched = {
        path.relative_to(space.project).as_posix()
        for path in after
        if before.get(path) != after[path]
    }
    assert touched == {
        "interim/ToNumpy/part0/new.npy",
        "interim/ToNumpy/part1/img001.npy",
        "final/RedChannel/part0/new.npy",
        "final/RedChannel/part1/img001.npy",
    }
    assert not (space.to_numpy / "part2" / "img002.npy").exists()
    assert RedChannel().complete()

    clean = Workspace(tmp_path / "clean")
    clean.raw.rmdir()
    os.rename(space.raw, clean.raw)  # the same files, mtimes and all
    use_workspace(clean)
    build(RedChannel())
    assert committed(clean) == committed(space)
    np.testing.assert_array_equal(
        np.load(clean.red_channel / "part1" / "img001.npy"), gradient(seed=1234)[..., 0]
    )


def test_settings_change_neither_output_names_nor_hashes(workspace, workers, lenient):
    classes = [ExportDirectory, ToNumpy, RedChannel]
    workers(2)
    with_settings = (code_inspection.create_hashes(classes), RedChannel().output().path)

    workers(1)
    import luigi

    luigi.configuration.get_config().remove_option("directory_tasks", "lenient")
    without = (code_inspection.create_hashes(classes), RedChannel().output().path)

    assert with_settings == without
    assert without[1].endswith("final/RedChannel.json")


def test_progress_logs_a_line_every_interval_off_a_terminal(caplog):
    progress = Progress("ToNumpy", total=10, interval=0.0, stream=io.StringIO())
    with caplog.at_level(logging.INFO):
        progress.advance(4)
        progress.advance(2)
    progress.close()
    assert "ToNumpy: 4/10 files, measuring the rate" in caplog.text
    assert "ToNumpy: 6/10 files" in caplog.text and "s left" in caplog.text


def test_progress_rate_leaves_out_start_up_and_kept_files():
    """1,000 kept files and a 10 s start-up (a Spark session) before the first 10 files come
    back; then 10 files a second: the rate says 10 files/s and 100 s for the last 1,000."""
    now = [0.0]
    progress = Progress(
        "RedChannel", total=2020, kept=1000, stream=io.StringIO(), clock=lambda: now[0]
    )
    now[0] = 10.0
    progress.advance(10)  # the first work comes back
    now[0] = 11.0
    progress.advance(10)

    assert progress.describe(11.0) == "RedChannel: 1020/2020 files, 10 files/s, 100 s left"


def test_progress_draws_a_bar_on_a_terminal():
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    stream = Terminal()
    progress = Progress("RedChannel", total=10, stream=stream)
    progress.advance(10)
    progress.close()
    assert "RedChannel" in stream.getvalue() and "10/10" in stream.getvalue()


def test_commit_interrupted_before_its_manifest_puts_the_old_folder_back(workspace, monkeypatch):
    """Ctrl-C (or a full disk) between the renames and the manifest: the earlier result is put
    back at once. (A SIGKILL there is repaired by the next run: test_leftovers.py.)"""
    from luisy_directory_tasks.manifests import ManifestTarget

    add_images(workspace.raw, 8)
    build(ToNumpy())
    before = mtimes(workspace)
    write_image(workspace.raw / "part0" / f"late{EXT}", gradient(seed=77))

    def stopped(self, manifest):
        raise KeyboardInterrupt("stopped between the renames and the manifest")

    monkeypatch.setattr(ManifestTarget, "write", stopped)
    with pytest.raises(KeyboardInterrupt):
        ToNumpy().run()
    assert ToNumpy().output().exists()  # the earlier folder and manifest, together
    assert not (workspace.to_numpy / "part0" / "late.npy").exists()
    monkeypatch.undo()

    build(ToNumpy())

    after = mtimes(workspace)
    assert all(after[path] == mtime for path, mtime in before.items())  # reused, not redone
    assert (workspace.to_numpy / "part0" / "late.npy").exists()
    assert ToNumpy().complete()
