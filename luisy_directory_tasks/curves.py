"""Reading curves (time series) into arrays, for a project's per-file functions (`load_curve`).

A curve file holds one curve: a CSV file with a header row, or a Parquet file, with the
columns `time` and `value` (other columns are ignored). `time` is seconds (a number) or an ISO
8601 timestamp, then counted in seconds from the curve's first sample. The array is float64 of
shape (n, 2), columns time and value, sorted by time.
"""

import math

import numpy as np

CURVE_EXTENSIONS = (".csv", ".parquet")
COLUMNS = ("time", "value")
# Longer resampled curves are refused before they are made (a short file can ask for billions).
DEFAULT_MAX_SAMPLES = 10_000_000


class CurveRefusedError(ValueError):
    """A file that holds no curve this project reads (a column missing, a value that is not a
    number, too few samples, two samples at one time, or a resampled curve too long)."""


def load_curve(path: str) -> np.ndarray:
    """The curve in the CSV or Parquet file at `path` as a float64 array (n, 2), sorted by
    time; CurveRefusedError says what is wrong with a file that holds none."""
    curve = None if path.lower().endswith(".parquet") else _csv_of_numbers(path)
    if curve is None:  # anything else is read by pandas and checked entry by entry
        frame = _read_columns(path)
        if len(frame) < 2:
            raise CurveRefusedError(f"a curve needs at least 2 samples, this file has {len(frame)}")
        curve = np.column_stack([_seconds(frame["time"]), _numbers(frame["value"], "value")])
    if (np.diff(curve[:, 0]) > 0).all():  # sorted, as most files are
        return curve
    curve = curve[np.argsort(curve[:, 0], kind="stable")]
    repeated = np.flatnonzero(np.diff(curve[:, 0]) == 0)
    if repeated.size:
        time = float(curve[repeated[0], 0])
        raise CurveRefusedError(f"two samples at the same time ({time!r} s)")
    return curve


def _csv_of_numbers(path):
    """The columns time and value of a CSV file that holds at least 2 rows of finite numbers
    in them, as float64 (n, 2), read by pyarrow (twice as fast as pandas on a small file);
    None for any other file."""
    import pyarrow as pa
    from pyarrow import csv

    try:
        table = csv.read_csv(
            path,
            read_options=csv.ReadOptions(use_threads=False),  # workers are the parallelism
            convert_options=csv.ConvertOptions(include_columns=list(COLUMNS)),
        )
    except pa.ArrowException:
        return None
    if table.num_columns != len(COLUMNS) or table.num_rows < 2:
        return None
    columns = [table.column(name) for name in COLUMNS]
    numeric = all(pa.types.is_integer(c.type) or pa.types.is_floating(c.type) for c in columns)
    if not numeric or any(column.null_count for column in columns):
        return None
    curve = np.column_stack([column.to_numpy().astype(np.float64) for column in columns])
    return curve if np.isfinite(curve).all() else None


def _read_columns(path):
    import pandas as pd

    if path.lower().endswith(".parquet"):
        import pyarrow.parquet as pq

        parquet = pq.ParquetFile(path)  # opened once: its schema, then the two columns
        _require_columns(parquet.schema_arrow.names)
        return parquet.read(columns=list(COLUMNS)).to_pandas()
    # Numbers are parsed by pandas; a column with anything else stays text, for a clear error.
    frame = pd.read_csv(path, usecols=lambda name: name in COLUMNS, na_filter=False)
    _require_columns(frame.columns)
    return frame


def _require_columns(names):
    missing = [name for name in COLUMNS if name not in set(names)]
    if missing:
        raise CurveRefusedError(
            f"no {' or '.join(repr(name) for name in missing)} column;"
            " a curve file needs a header row with the columns 'time' and 'value'"
        )


def _is_number_column(column):
    import pandas as pd

    return pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)


def _numbers(column, name):
    """A column as finite float64 numbers, or CurveRefusedError naming the first bad one."""
    import pandas as pd

    if _is_number_column(column):
        numbers = column.to_numpy(dtype=np.float64, na_value=np.nan)
    else:
        text = column.astype(str).str.strip()
        numbers = pd.to_numeric(text, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
        spelled = text.str.lower().str.lstrip("+-").isin(("nan", "inf", "infinity")).to_numpy()
        unparsed = np.flatnonzero(np.isnan(numbers) & ~spelled)
        if unparsed.size:
            row = unparsed[0]
            found = column.iloc[row]
            raise CurveRefusedError(f"{name} in row {row + 1} is not a number: {found!r}")
    bad = np.flatnonzero(~np.isfinite(numbers))
    if bad.size:
        row = bad[0]
        found = float(numbers[row])
        raise CurveRefusedError(f"{name} in row {row + 1} is {found!r}, not a finite number")
    return numbers


def _seconds(column):
    """The time column in seconds: numbers as they are, ISO 8601 timestamps as seconds from
    the earliest one."""
    import pandas as pd

    if _is_number_column(column):
        return _numbers(column, "time")
    if not pd.api.types.is_datetime64_any_dtype(column):
        text = column.astype(str).str.strip()
        if not text.str.contains(r"\d-\d|\dT\d|\d:\d", regex=True).all():
            return _numbers(column, "time")  # says which entry is no number
        zoned = text.str.contains(r"(?:Z|[+-]\d\d:?\d\d)$", regex=True).any()
        try:  # zoned ones are compared in UTC: pandas cannot mix them with naive ones
            column = pd.to_datetime(text, format="ISO8601", utc=bool(zoned))
        except (ValueError, TypeError) as error:
            reason = str(error).splitlines()[0]
            raise CurveRefusedError(f"time is not an ISO 8601 timestamp: {reason}") from None
    if column.isna().any():
        row = int(np.flatnonzero(column.isna().to_numpy())[0])
        raise CurveRefusedError(f"time in row {row + 1} is missing")
    nanoseconds = column.to_numpy(dtype="datetime64[ns]").astype(np.int64)
    return (nanoseconds - nanoseconds.min()) / 1e9


def rate_problem(rate) -> str | None:
    """Why `rate` cannot be a rate in samples per second, or None for a positive finite number."""
    if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not rate > 0:
        return f"rate must be a positive number of samples per second, not {rate!r}"
    if not math.isfinite(rate):
        return f"rate must be finite, not {rate!r}"
    return None


def resample(curve: np.ndarray, rate: float, max_samples: int = DEFAULT_MAX_SAMPLES) -> np.ndarray:
    """`curve` linearly interpolated (as numpy.interp) at t0 + k / rate for k = 0, 1, ... while
    that is at most its last time t_end: float64 (m, 2). Refuses a rate that is not a positive
    number, and a result of more than `max_samples` samples (0: no limit) before making it."""
    problem = rate_problem(rate)
    if problem:
        raise CurveRefusedError(problem)
    start, end = float(curve[0, 0]), float(curve[-1, 0])
    last = math.floor((end - start) * rate)
    while start + (last + 1) / rate <= end:  # floor of a rounded product can be one short
        last += 1
    while last > 0 and start + last / rate > end:
        last -= 1
    if max_samples and last + 1 > max_samples:
        raise CurveRefusedError(
            f"resampled at {rate} per second this curve ({end - start} s) has {last + 1} samples,"
            f" more than max_samples ({max_samples}); lower the rate or raise max_samples"
        )
    times = start + np.arange(last + 1, dtype=np.float64) / rate
    return np.column_stack([times, np.interp(times, curve[:, 0], curve[:, 1])])


FEATURES = ("n", "start", "end", "duration", "min", "max", "mean", "std")


def curve_features(curve: np.ndarray) -> dict:
    """n, start, end, duration, min, max, mean and std (ddof 0) of a curve's samples."""
    times, values = curve[:, 0], curve[:, 1]
    return {
        "n": len(curve),
        "start": float(times[0]),
        "end": float(times[-1]),
        "duration": float(times[-1] - times[0]),
        "min": float(values.min()),
        "max": float(values.max()),
        "mean": float(values.mean()),
        "std": float(values.std(ddof=0)),
    }
