"""Reading curve files (CSV and Parquet) into arrays, resampling and their features."""

import math

import numpy as np
import pandas as pd
import pytest

from luisy_directory_tasks.curves import (
    CurveRefusedError,
    curve_features,
    load_curve,
    resample,
)


def write_csv(path, text):
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_a_csv_curve_is_float64_time_and_value_sorted_by_time_other_columns_ignored(tmp_path):
    path = write_csv(tmp_path / "c.csv", "value,sensor,time\n2.5,a,1\n1.5,b,0\n-3,c,2.25\n")
    curve = load_curve(path)
    assert curve.dtype == np.float64
    np.testing.assert_array_equal(curve, [[0, 1.5], [1, 2.5], [2.25, -3]])


def test_a_parquet_curve_reads_as_the_same_csv(tmp_path):
    frame = pd.DataFrame({"time": [0.0, 0.5, 1.0], "value": [1, 2, 4], "other": ["x", "y", "z"]})
    frame.to_parquet(tmp_path / "c.parquet")
    frame.to_csv(tmp_path / "c.csv", index=False)
    np.testing.assert_array_equal(
        load_curve(str(tmp_path / "c.parquet")), load_curve(str(tmp_path / "c.csv"))
    )


def test_iso_timestamps_count_seconds_from_the_first_sample(tmp_path):
    path = write_csv(
        tmp_path / "c.csv",
        "time,value\n2024-05-01T12:00:01.5,3\n2024-05-01T12:00:00,1\n2024-05-01T12:01:00,2\n",
    )
    np.testing.assert_allclose(load_curve(path), [[0, 1], [1.5, 3], [60, 2]])


def test_zoned_timestamps_are_compared_in_utc(tmp_path):
    path = write_csv(
        tmp_path / "c.csv", "time,value\n2024-05-01T12:00:00Z,1\n2024-05-01T14:00:02+02:00,2\n"
    )
    np.testing.assert_allclose(load_curve(path), [[0, 1], [2, 2]])


def test_parquet_timestamps_are_seconds_from_the_first(tmp_path):
    times = pd.to_datetime(["2024-01-01 00:00:10", "2024-01-01 00:00:00"])
    pd.DataFrame({"time": times, "value": [5.0, 4.0]}).to_parquet(tmp_path / "c.parquet")
    np.testing.assert_allclose(load_curve(str(tmp_path / "c.parquet")), [[0, 4], [10, 5]])


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("t,value\n0,1\n1,2\n", "no 'time' column"),
        ("time,v\n0,1\n1,2\n", "no 'value' column"),
        ("a,b\n0,1\n", "no 'time' or 'value' column"),
        ("time,value\n0,1\n1,abc\n", "value in row 2 is not a number: 'abc'"),
        ("time,value\n0,1\n1,\n", "value in row 2 is not a number"),
        ("time,value\n0,1\n1,nan\n", "value in row 2 is nan, not a finite number"),
        ("time,value\n0,1\n1,-inf\n", "value in row 2 is -inf, not a finite number"),
        ("time,value\n0,1\nx,2\n", "time in row 2 is not a number: 'x'"),
        ("time,value\n0,1\n", "at least 2 samples, this file has 1"),
        ("time,value\n", "at least 2 samples, this file has 0"),
        ("time,value\n0,1\n1,2\n1,3\n", "two samples at the same time (1.0 s)"),
        ("time,value\n2024-01-01T00:00:00,1\n2024-13-01T00:00:00,2\n", "not an ISO 8601"),
    ],
)
def test_a_file_without_a_curve_says_why(tmp_path, text, reason):
    with pytest.raises(CurveRefusedError) as refused:
        load_curve(write_csv(tmp_path / "c.csv", text))
    assert reason in str(refused.value)


@pytest.mark.parametrize("rate", [1.0, 3.0, 0.7, 10])
def test_resampled_at_t0_plus_k_over_rate_up_to_the_last_time_as_numpy_interp(rate):
    rng = np.random.default_rng(7)
    times = np.sort(rng.uniform(2, 40, 50))
    curve = np.column_stack([times, np.sin(times)])
    resampled = resample(curve, rate)
    k = np.arange(len(resampled))
    np.testing.assert_allclose(resampled[:, 0], times[0] + k / rate)
    assert resampled[-1, 0] <= times[-1] < times[0] + len(resampled) / rate
    np.testing.assert_array_equal(resampled[:, 1], np.interp(resampled[:, 0], times, np.sin(times)))


def test_a_last_time_exactly_on_the_grid_is_kept():
    resampled = resample(np.array([[0.0, 0.0], [0.3, 3.0]]), 10)  # 0.3 * 10 rounds below 3
    assert len(resampled) == 4 and resampled[-1, 1] == pytest.approx(3.0)


@pytest.mark.parametrize("rate", [0, -1.0, "2", math.nan, math.inf, True])
def test_a_rate_that_is_not_a_positive_number_is_refused(rate):
    with pytest.raises(CurveRefusedError, match="rate must be"):
        resample(np.array([[0.0, 0.0], [1.0, 1.0]]), rate)


def test_a_resampled_curve_over_the_limit_is_refused_before_it_is_made():
    with pytest.raises(CurveRefusedError, match="more than max_samples"):
        resample(np.array([[0.0, 0.0], [1e12, 1.0]]), 1000.0)


def test_features_of_a_curve():
    curve = np.array([[1.0, 2.0], [2.0, 4.0], [4.0, 9.0]])
    assert curve_features(curve) == {
        "n": 3, "start": 1.0, "end": 4.0, "duration": 3.0, "min": 2.0, "max": 9.0,
        "mean": 5.0, "std": pytest.approx(np.std([2.0, 4.0, 9.0])),
    }  # fmt: skip


@pytest.mark.parametrize(
    "text",
    [
        "time,value\n0,1\n1,2\n2,0\n",
        "value,time,note\n1e-3,0.5,a\n-2.5E2,0.25,b\n7,10,c\n",  # unsorted, exponents
        "time,value\n1.0000000000000002,0.1\n2.675,0.3333333333333333\n",
    ],
)
def test_a_csv_of_plain_numbers_reads_as_pandas_reads_it(tmp_path, text):
    """Plain numbers are read by pyarrow, anything else by pandas: the same curve either way."""
    path = write_csv(tmp_path / "c.csv", text)
    frame = pd.read_csv(path)
    expected = frame[["time", "value"]].sort_values("time").to_numpy(dtype=np.float64)

    np.testing.assert_array_equal(load_curve(path), expected)


@pytest.mark.parametrize(
    "text",
    ["time,value\n0,1\n1,\n", "time,value\n0,1\n1,nan\n", "time,value\n0,true\n1,false\n"],
)
def test_a_csv_the_fast_reader_does_not_take_is_still_refused_with_its_reason(tmp_path, text):
    path = write_csv(tmp_path / "c.csv", text)

    with pytest.raises(CurveRefusedError, match="value in row"):
        load_curve(path)
