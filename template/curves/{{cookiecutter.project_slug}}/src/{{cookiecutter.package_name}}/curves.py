"""Per-file work on curves: plain functions on arrays, no luisy in sight.

A curve is a float64 array of shape (n, 2): column 0 the time in seconds, column 1 the value,
sorted by time. `load_curve` (from the library) reads one from a CSV or Parquet file with the
columns `time` (seconds, or ISO 8601 timestamps) and `value`, and refuses a bad one with its
reason.
"""

import re

import numpy as np
from luisy_directory_tasks.curves import curve_features, load_curve, resample

# Extensions read from the raw folder, compared case-insensitively.
CURVE_EXTENSIONS = (".csv", ".parquet")
# What the run says about files of other types in the raw folder.
HOW_TO_READ_MORE = (
    "save them as CSV (header row, columns time and value) or Parquet files with those columns"
)
# The columns of the features table, one row per curve.
FEATURE_COLUMNS = ["id", "n", "start", "end", "duration", "min", "max", "mean", "std"]
# The same list as a luisy directory-output regex, searched in each file name as luisy does.
CURVE_PATTERN = r"(?i)\.(" + "|".join(re.escape(ext[1:]) for ext in CURVE_EXTENSIONS) + r")\Z"


def read_curve(filepath: str):
    """Return (filepath, curve) for a CSV or Parquet file, None for any other file."""
    if not filepath.lower().endswith(CURVE_EXTENSIONS):
        return None
    return filepath, load_curve(filepath)


def to_frame(curve: np.ndarray) -> np.ndarray:
    """The checked, time-sorted samples as they are: float64 (n, 2)."""
    return np.asarray(curve, dtype=np.float64)


def resampled(curve: np.ndarray, rate: float, max_samples: int) -> np.ndarray:
    """The curve at `rate` samples per second from its first time, linearly interpolated."""
    return resample(curve, rate, max_samples)


def features(curve: np.ndarray) -> dict:
    """n, start, end, duration, min, max, mean and std (ddof 0) of the curve's samples."""
    return curve_features(curve)
