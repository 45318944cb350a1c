"""Sample curves for a first run: irregularly sampled sines with noise, as CSV and Parquet
files, with times in seconds or as ISO 8601 timestamps, some in subfolders."""

import os
import uuid

import numpy as np

COUNT = 240
# Curve i goes into FOLDERS[i % len(FOLDERS)]: the top of the raw folder and two levels below.
FOLDERS = ("", "bench-a", "bench-b/night")
FIRST_TIMESTAMP = np.datetime64("2026-01-05T08:00:00", "ms")


def sample_curve(rng):
    """(times in s, values): a noisy sine at irregular times over 20 to 120 seconds."""
    duration = rng.uniform(20, 120)
    times = np.sort(rng.uniform(0, duration, rng.integers(80, 400)))
    times = np.unique(np.round(times, 3))  # ms resolution, as the timestamps have
    frequency, phase = rng.uniform(0.01, 0.08), rng.uniform(0, 2 * np.pi)
    values = np.sin(2 * np.pi * frequency * times + phase) + rng.normal(0, 0.1, times.size)
    return times, values


def sample_frame(index, rng):
    """Curve `index` as a table with the columns time and value (and a note nobody reads)."""
    import pandas as pd

    times, values = sample_curve(rng)
    if index % 3 == 1:  # ISO 8601 timestamps from a start that differs per curve
        start = FIRST_TIMESTAMP + np.timedelta64(int(index) * 3_600_000, "ms")
        stamps = start + (times * 1000).astype("timedelta64[ms]")
        time = pd.Series(stamps).dt.strftime("%Y-%m-%dT%H:%M:%S.%f").str[:-3]
    else:
        time = times
    return pd.DataFrame({"time": time, "value": values, "note": "sample"})


def add_curve_samples(raw_dir, count=COUNT, seed=0):
    """Write `count` sample curves into `raw_dir`, keeping files already there; return those
    added. Every fourth is a Parquet file, the others CSV."""
    rng = np.random.default_rng(seed)
    added = []
    for index in range(count):
        frame = sample_frame(index, rng)  # drawn for every index: the same curves every time
        ending = ".parquet" if index % 4 == 3 else ".csv"
        destination = os.path.join(
            raw_dir, FOLDERS[index % len(FOLDERS)], f"curve-{index:03d}{ending}"
        )
        if os.path.exists(destination):
            continue
        folder = os.path.dirname(destination)
        os.makedirs(folder, exist_ok=True)
        partial = os.path.join(folder, f".sample-{uuid.uuid4().hex}.tmp")
        try:
            if ending == ".csv":
                frame.to_csv(partial, index=False)
            else:
                frame.to_parquet(partial, index=False)
            os.replace(partial, destination)
        finally:
            if os.path.exists(partial):
                os.remove(partial)
        added.append(destination)
    return added
