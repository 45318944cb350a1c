"""The pipeline as a user runs it: sample curves, then `run`, then `run` again."""

import os

import numpy as np
import pandas as pd

from {{ cookiecutter.package_name }}.curves import FEATURE_COLUMNS, features, read_curve
from {{ cookiecutter.package_name }}.tasks import Features, Resampled, ToFrame

from conftest import run_command, write_curve


def outputs(root):
    """{path: modification time} of every file the tasks wrote."""
    written = {}
    for layer in ("interim", "final"):
        for folder, _, names in os.walk(root / layer):
            for name in names:
                path = os.path.join(folder, name)
                written[path] = os.stat(path).st_mtime_ns
    return written


def test_every_task_handles_every_sample_and_a_rerun_changes_nothing(workspace):
    data = workspace.root
    assert run_command("samples", "--working-dir", data).returncode == 0
    raw = sorted(str(p) for p in workspace.raw.rglob("*") if p.is_file())

    first = run_command("run", "--working-dir", data)

    assert first.returncode == 0, first.stdout + first.stderr
    to_frame, resampled = ToFrame(), Resampled()
    frames = {entry["id"]: entry for entry in to_frame.output().load()["files"]}
    assert len(frames) == len(raw) > 0
    for entry in resampled.output().load()["files"]:
        _, curve = read_curve(os.path.join(to_frame.input().folder, frames[entry["id"]]["source"]))
        written = np.load(os.path.join(resampled.output().folder, entry["file"]))
        np.testing.assert_array_equal(written, resampled.transform(to_frame.transform(curve)))
    table = pd.read_csv(Features().output().path)
    assert list(table.columns) == FEATURE_COLUMNS
    assert list(table["id"]) == sorted(frames)
    first_curve = np.load(os.path.join(to_frame.output().folder, frames[table["id"][0]]["file"]))
    expected = list(features(first_curve).values())
    np.testing.assert_allclose(table.iloc[0, 1:].astype(float), expected, rtol=1e-12)
    before = outputs(workspace.raw.parent)

    second = run_command("run", "--working-dir", data)

    assert second.returncode == 0, second.stdout + second.stderr
    assert "ran successfully" not in second.stdout
    assert outputs(workspace.raw.parent) == before


def test_a_new_curve_reaches_the_features_table(workspace):
    write_curve(workspace.raw / "a.csv", [0, 1, 2], [1, 2, 3])
    assert run_command("run", "--working-dir", workspace.root).returncode == 0
    write_curve(workspace.raw / "b" / "c.parquet", [0, 2], [5, 7])

    again = run_command("run", "--working-dir", workspace.root)

    assert again.returncode == 0, again.stdout + again.stderr
    assert list(pd.read_csv(Features().output().path)["id"]) == ["a", "b/c"]
