"""AfterDirectoryTask: an ordinary luisy task over a directory task's committed files, run
again whenever that task commits new ones; and luisy's one-file targets written all at once."""

import os
import signal
import subprocess
import sys

import luisy
import pandas as pd
import pytest
from sample_pipeline.tasks import ToNumpy

from luisy_directory_tasks import AfterDirectoryTask

from conftest import EXT, build, gradient, needs_lossless, write_image

pytestmark = needs_lossless


@luisy.final
@luisy.requires(ToNumpy)
@luisy.csv_output
class PixelCounts(AfterDirectoryTask):
    """One row per image: its id and number of values."""

    def run(self):
        rows = [{"id": id_, "values": int(array.size)} for id_, array in self.input_files()]
        self.write(pd.DataFrame(rows))


def table():
    return pd.read_csv(PixelCounts().output().path).to_dict("list")


def test_the_table_follows_new_files_and_a_rerun_keeps_it(workspace):
    write_image(workspace.raw / f"a{EXT}", gradient(channels=3))
    assert build(PixelCounts()).scheduling_succeeded
    assert table() == {"id": ["a"], "values": [24 * 32 * 3]}
    written = os.stat(PixelCounts().output().path).st_mtime_ns

    assert PixelCounts().complete()
    write_image(workspace.raw / "b" / f"c{EXT}", gradient(channels=1))
    assert not PixelCounts().complete()  # before anything ran: ToNumpy will commit
    assert build(PixelCounts()).scheduling_succeeded

    assert table() == {"id": ["a", "b/c"], "values": [24 * 32 * 3, 24 * 32]}
    assert os.stat(PixelCounts().output().path).st_mtime_ns != written
    assert PixelCounts().complete()


def test_a_table_made_from_an_older_commit_is_not_complete(workspace):
    write_image(workspace.raw / f"a{EXT}", gradient())
    assert build(PixelCounts()).scheduling_succeeded
    manifest = ToNumpy().output().path
    os.utime(manifest, ns=(1, os.stat(manifest).st_mtime_ns + 1))  # another run committed

    assert not PixelCounts().complete()


WRITE_SLOWLY = """
import sys, time
import pandas as pd
import luisy_directory_tasks, luisy  # the fixes, then luisy
from luisy.targets import CSVTarget

class Slow:
    def to_csv(self, path, **kwargs):
        with open(path, "w") as handle:
            handle.write("id,values\\n")
            handle.flush()
            print("writing", flush=True)
            time.sleep(60)

CSVTarget(sys.argv[1]).write(Slow())
"""


def test_a_csv_target_killed_while_writing_leaves_the_previous_file(tmp_path):
    path = tmp_path / "table.csv"
    path.write_text("id,values\na,1\n")
    process = subprocess.Popen(
        [sys.executable, "-c", WRITE_SLOWLY, str(path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert "writing\n" in iter(process.stdout.readline, "")  # reads up to that line
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        process.kill()

    assert path.read_text() == "id,values\na,1\n"
    partial = [p.name for p in tmp_path.iterdir() if p.name != "table.csv"]
    assert len(partial) == 1 and partial[0].endswith(".partial.csv")


@pytest.mark.parametrize("name", ["JSONTarget", "PickleTarget", "CSVTarget"])
def test_one_file_targets_write_whole_files_and_leave_nothing_beside(tmp_path, name):
    import luisy.targets

    value = {"a": 1} if name != "CSVTarget" else pd.DataFrame({"a": [1]})
    target = getattr(luisy.targets, name)(str(tmp_path / f"out.{name.lower()}"))
    target.write(value)

    assert sorted(p.name for p in tmp_path.iterdir()) == [f"out.{name.lower()}"]
    read = target.read()
    assert read.equals(value) if name == "CSVTarget" else read == value


CALLS = "AFTER_TEST_CALLS"


def channel_count(array):
    """The number of channels of an image; each call leaves a line in the file $CALLS names,
    from whichever process makes it."""
    with open(os.environ[CALLS], "a", encoding="utf-8") as log:
        log.write("call\n")
    return {"channels": 1 if array.ndim == 2 else int(array.shape[2])}


@luisy.final
@luisy.requires(ToNumpy)
@luisy.csv_output
class Channels(AfterDirectoryTask):
    """One row per image: its number of channels."""

    def run(self):
        rows = [{"id": id_, **row} for id_, row in self.per_file(channel_count)]
        self.write(pd.DataFrame(rows))


@pytest.fixture
def calls(tmp_path, monkeypatch):
    log = tmp_path / "calls.log"
    monkeypatch.setenv(CALLS, str(log))
    return lambda: len(log.read_text().splitlines()) if log.exists() else 0


@pytest.mark.parametrize("in_pool", [False, True], ids=["here", "in-the-pool"])
def test_per_file_computes_only_new_files_until_the_output_is_removed(
    workspace, calls, monkeypatch, in_pool
):
    if in_pool:  # the executor's workers compute the results, in chunks
        monkeypatch.setattr("luisy_directory_tasks.after.IN_PROCESS_BELOW", 1)
    for seed, channels in enumerate((1, 3, 4)):
        write_image(workspace.raw / f"i{seed}{EXT}", gradient(channels=channels, seed=seed))
    assert build(Channels()).scheduling_succeeded
    assert calls() == 3

    write_image(workspace.raw / "more" / f"j{EXT}", gradient(channels=3))
    assert build(Channels()).scheduling_succeeded

    assert calls() == 4  # the three others were kept
    table = pd.read_csv(Channels().output().path).to_dict("list")
    assert table == {"id": ["i0", "i1", "i2", "more/j"], "channels": [1, 3, 4, 3]}
    Channels().output().remove()  # as luisy does when the task's code changed
    assert build(Channels()).scheduling_succeeded
    assert calls() == 8
    assert pd.read_csv(Channels().output().path).to_dict("list") == table


def test_kept_results_of_another_output_or_a_damaged_file_are_not_used(workspace, calls):
    write_image(workspace.raw / f"a{EXT}", gradient())
    assert build(Channels()).scheduling_succeeded
    folder, name = os.path.split(Channels().output().path)
    kept = os.path.join(folder, f".{name}.per-file.json")
    with open(kept, "w", encoding="utf-8") as handle:
        handle.write('{"stamp": 1, "files": [')  # cut short

    write_image(workspace.raw / f"b{EXT}", gradient(seed=1))
    assert build(Channels()).scheduling_succeeded

    assert calls() == 3  # a, then a and b again: nothing was taken from the damaged file
