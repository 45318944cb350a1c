"""The per-file functions on curves, on real files."""

import numpy as np
import pytest
from luisy_directory_tasks import CurveRefusedError

from {{ cookiecutter.package_name }}.curves import features, read_curve, resampled, to_frame

from conftest import sine, write_curve


@pytest.mark.parametrize("name", ["a.csv", "b.parquet", "c.CSV"])
def test_a_curve_file_is_read_sorted_by_time(tmp_path, name):
    times, values = sine()
    path = write_curve(tmp_path / name, times[::-1], values[::-1])

    _, curve = read_curve(str(path))

    np.testing.assert_array_equal(to_frame(curve), np.column_stack([times, values]))


def test_other_files_are_not_read(tmp_path):
    (tmp_path / "notes.txt").write_text("time,value\n0,1\n")

    assert read_curve(str(tmp_path / "notes.txt")) is None


def test_iso_timestamps_count_seconds_from_the_first_sample(tmp_path):
    path = tmp_path / "stamps.csv"
    path.write_text("time,value\n2026-01-01T00:00:01.5,1\n2026-01-01T00:00:00,2\n")

    _, curve = read_curve(str(path))

    np.testing.assert_array_equal(curve, [[0.0, 2.0], [1.5, 1.0]])


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("t,value\n0,1\n1,2\n", "no 'time' column"),
        ("time,value\n0,1\n1,x\n", "value in row 2 is not a number"),
        ("time,value\n0,1\n1,nan\n", "not a finite number"),
        ("time,value\n0,1\n", "at least 2 samples"),
        ("time,value\n0,1\n0,2\n", "two samples at the same time"),
    ],
)
def test_a_bad_curve_is_refused_with_its_reason(tmp_path, content, reason):
    path = tmp_path / "bad.csv"
    path.write_text(content)

    with pytest.raises(CurveRefusedError, match=reason):
        read_curve(str(path))


def test_resampled_interpolates_at_the_rate_from_the_first_time():
    curve = np.array([[1.0, 0.0], [3.5, 5.0]])

    result = resampled(curve, rate=2.0, max_samples=100)

    np.testing.assert_array_equal(result[:, 0], [1.0, 1.5, 2.0, 2.5, 3.0, 3.5])
    np.testing.assert_allclose(result[:, 1], np.interp(result[:, 0], curve[:, 0], curve[:, 1]))


def test_a_resampled_curve_longer_than_max_samples_is_refused():
    with pytest.raises(CurveRefusedError, match="more than max_samples"):
        resampled(np.array([[0.0, 0.0], [1e6, 1.0]]), rate=1.0, max_samples=1000)


def test_features_of_the_samples():
    curve = np.array([[2.0, 1.0], [3.0, 3.0], [6.0, 2.0]])

    assert features(curve) == {
        "n": 3,
        "start": 2.0,
        "end": 6.0,
        "duration": 4.0,
        "min": 1.0,
        "max": 3.0,
        "mean": 2.0,
        "std": pytest.approx(np.std([1.0, 3.0, 2.0])),
    }
