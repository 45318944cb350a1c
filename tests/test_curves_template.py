"""The bundled curves template through scaffold, as a user meets it: `new --template curves`,
`check`, `add task`, and every bad input the project promises to refuse with one line, exit
code 1 and nothing committed, through the project's real command line."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from luisy_directory_tasks import read_manifest
from scaffold.cli import app
from scaffold.provenance import read_provenance

pytestmark = pytest.mark.slow

PACKAGE = "sensor_runs"


def scaffold(*args, cwd=None):
    if cwd is None:
        return CliRunner().invoke(app, [str(a) for a in args], catch_exceptions=False)
    old = Path.cwd()
    os.chdir(cwd)
    try:
        return CliRunner().invoke(app, [str(a) for a in args], catch_exceptions=False)
    finally:
        os.chdir(old)


def pip(*args):
    subprocess.run([sys.executable, "-m", "pip", *args], check=True, capture_output=True)


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """A curves project made with `scaffold new --template curves`, installed --no-deps."""
    out = tmp_path_factory.mktemp("curves")
    made = scaffold("new", "Sensor Runs", "--template", "curves", "--no-input", "-o", out)
    assert made.exit_code == 0, made.output
    root = out / "sensor-runs"
    pip("install", "-q", "--no-deps", "--no-build-isolation", "-e", str(root))
    yield root
    pip("uninstall", "-q", "-y", "sensor-runs")


def command(project, *args):
    return subprocess.run(
        [sys.executable, "-m", PACKAGE, *map(str, args)],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=600,
    )


def committed(working_dir):
    """The manifests and tables the tasks committed below `working_dir`."""
    layers = [working_dir / PACKAGE / layer for layer in ("interim", "final")]
    return sorted(
        str(path.relative_to(working_dir))
        for layer in layers
        if layer.is_dir()
        for path in layer.iterdir()
        if path.suffix in (".json", ".csv")
    )


def test_new_records_the_curves_template_and_check_finds_it_up_to_date(project):
    provenance = read_provenance(project)
    assert (provenance.template_name, provenance.template_source) == ("luisy-curves", "bundled")
    assert 'kind="curves"' in (project / "src" / PACKAGE / "__main__.py").read_text()

    result = scaffold("check", project)

    assert result.exit_code == 0, result.output


def test_added_task_reads_toframe_and_its_test_passes(project, tmp_path):
    copy = tmp_path / "copy"
    subprocess.run(["cp", "-r", str(project), str(copy)], check=True)

    added = scaffold("add", "task", "Smoothed", cwd=copy)

    assert added.exit_code == 0, added.output
    assert "ToFrame" in added.output
    tests = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_smoothed.py"],
        cwd=copy,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "PYTHONPATH": str(copy / "src")},
    )
    assert tests.returncode == 0, tests.stdout + tests.stderr
    assert "1 passed" in tests.stdout


def test_a_bundled_name_that_is_also_a_folder_is_refused(tmp_path):
    (tmp_path / "curves").mkdir()

    result = scaffold("new", "x", "--template", "curves", "--no-input", cwd=tmp_path)

    assert result.exit_code == 2
    assert "--template ./curves" in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["curves"]


def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


GOOD = "time,value\n0,1\n1,2\n2,0\n"


@pytest.mark.parametrize(
    ("files", "options", "says"),
    [
        ({}, [], "no curves in"),
        ({"a.txt": "x", "b/c.json": "{}"}, [], "only files it does not read: 2 file(s)"),
        ({"a.csv": GOOD}, ["--Resampled-rate", "0"], "--Resampled-rate '0': rate must be a"),
        ({"a.csv": GOOD}, ["--Resampled-rate", "-2"], "--Resampled-rate '-2': rate must be a"),
        ({"a.csv": GOOD}, ["--Resampled-rate", "fast"], "--Resampled-rate 'fast': could not"),
        (
            {"a.csv": GOOD},
            ["--Resampled-rate", "1000", "--directory-tasks-max-samples", "100"],
            "more than max_samples (100)",
        ),
        ({"a.csv": GOOD, "b.csv": "time,value\n0,1\n0,2\n"}, [], "two samples at the same"),
    ],
    ids=["empty", "only-unread", "rate-0", "rate-negative", "rate-text", "too-long", "bad-file"],
)
def test_bad_input_is_one_message_exit_1_and_nothing_committed(
    project, tmp_path, files, options, says
):
    raw = tmp_path / PACKAGE / "raw"
    raw.mkdir(parents=True)
    for name, text in files.items():
        write(raw / name, text)

    result = command(project, "run", "--working-dir", tmp_path, *options)

    assert result.returncode == 1, result.stdout + result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1 and says in result.stderr, result.stderr
    if "does not read" in says:
        assert "save them as CSV" in errors[0], errors
    if "max_samples" in says:  # the curves were read; only the task they were too long for failed
        assert not any("Resampled" in path for path in committed(tmp_path))
    else:
        assert committed(tmp_path) == []


def test_a_bad_rate_in_luigi_cfg_is_refused_before_anything_runs(project, tmp_path):
    write(tmp_path / PACKAGE / "raw" / "a.csv", GOOD)
    cfg = project / "luigi.cfg"
    original = cfg.read_text()
    cfg.write_text(original.replace("rate = 1.0", "rate = 0"))
    try:
        result = command(project, "run", "--working-dir", tmp_path)
    finally:
        cfg.write_text(original)

    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "Error: luigi.cfg [Resampled] rate: rate must be a positive number of samples per"
        " second, not 0.0; fix it there, nothing ran"
    ]
    assert committed(tmp_path) == []


def test_lenient_runs_skip_bad_curves_and_list_them(project, tmp_path):
    raw = tmp_path / PACKAGE / "raw"
    write(raw / "a.csv", GOOD)
    write(raw / "bad.csv", "time,value\n0,1\n1,inf\n")

    result = command(project, "run", "--working-dir", tmp_path, "--directory-tasks-lenient")

    assert result.returncode == 0, result.stdout + result.stderr
    assert "skipped 1 unreadable" in result.stdout
    skipped = read_manifest(str(tmp_path / PACKAGE / "interim" / "ToFrame.json"))["skipped"]
    assert [entry["source"] for entry in skipped] == ["bad.csv"]
    assert "not a finite number" in skipped[0]["reason"]
    features = (tmp_path / PACKAGE / "final" / "Features.csv").read_text().splitlines()
    assert [line.split(",")[0] for line in features] == ["id", "a"]


def test_samples_run_and_sheet(project, tmp_path):
    from PIL import Image

    samples = command(project, "samples", "--working-dir", tmp_path)
    assert samples.returncode == 0, samples.stderr
    assert samples.stdout.startswith("Added 240 sample curve(s)")
    raw = [p for p in (tmp_path / PACKAGE / "raw").rglob("*") if p.is_file()]
    assert {p.suffix for p in raw} == {".csv", ".parquet"}
    assert any(len(p.relative_to(tmp_path / PACKAGE / "raw").parts) == 3 for p in raw)
    assert command(project, "run", "--working-dir", tmp_path).returncode == 0

    sheet = command(project, "sheet", "--working-dir", tmp_path)

    assert sheet.returncode == 0, sheet.stderr
    shown = sheet.stdout.strip().split(": ")[-1].split(", ")
    assert len(shown) == 12 and "bench-b/night/curve-023" in shown
    with Image.open(tmp_path / "curve-sheet.png") as picture:
        assert picture.format == "PNG" and picture.width > 800
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_file()) == [
        ".luisy-environment-cache.json",
        "curve-sheet.png",
    ]


def test_samples_keep_files_already_there(tmp_path):
    from luisy_directory_tasks.commands.curve_samples import add_curve_samples
    from luisy_directory_tasks.curves import load_curve

    first = add_curve_samples(tmp_path, count=8)
    mine = Path(first[0])
    mine.write_text("time,value\n0,5\n1,6\n")

    again = add_curve_samples(tmp_path, count=8)

    assert again == [] and mine.read_text() == "time,value\n0,5\n1,6\n"
    curves = [load_curve(path) for path in first[1:]]
    assert all(curve.shape[1] == 2 and len(curve) >= 2 for curve in curves)
    stamped = [p for p in first if p.endswith(".csv") and "T" in Path(p).read_text()[:40]]
    assert stamped  # some sample curves have ISO 8601 timestamps
