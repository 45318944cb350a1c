"""The {{ task.name }} task through the real luisy command."""

import os

import numpy as np

from {{ cookiecutter.package_name }}.tasks import {{ task.name }}

from conftest import run_luisy, sine, write_curve


def test_{{ task.module }}_transforms_every_input_file(workspace):
    for seed, name in enumerate(("a.csv", "b.parquet", "c/d.csv")):
        write_curve(workspace.raw / name, *sine(seed=seed))

    result = run_luisy(workspace.root, "{{ task.name }}")

    assert result.returncode == 0, result.stdout + result.stderr
    task = {{ task.name }}()
    source, target = task.input(), task.output()
    entries = target.load()["files"]
    assert len(entries) == 3
    for entry in entries:
        _, data = source.read_file(os.path.join(source.folder, entry["source"]))
        written = np.load(os.path.join(target.folder, entry["file"]), allow_pickle=False)
        np.testing.assert_array_equal(written, task.transform(data))
