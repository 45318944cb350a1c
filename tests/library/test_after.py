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
