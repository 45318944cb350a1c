"""The generated curve pipeline against a plain pandas loop, in one run.

Writes N synthetic curves of 1,000 irregular samples each as CSV files (in 10 subfolders),
makes and installs a project from the bundled curves template, and measures:

  A  `python -m <package> run`: ToFrame, Resampled and Features (luisy, hashing on)
  B  a plain serial loop that reads each file with pandas and writes the same three outputs
     (the samples as .npy, the resampled curve as .npy, one features table)
  D  A again after adding 40 curves (incremental rerun; the median of 3 rounds)
  E  A again with nothing changed (no-op rerun)
  F  python -c "import luisy"

Goals (issue "Curves"): A <= 0.6 x B, D <= 0.25 x A, E <= 1.2 x F. Peak memory as in
bench_pipeline.py (PSS of the process and its children). Each measurement starts after
`os.sync()`, so that none pays for writing out the files of the one before.

    python benchmarks/bench_curves.py [--files 4000] [--samples 1000] [--added 40] [--scratch DIR]
"""

import argparse
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

import bench_pipeline
import numpy as np
from bench_pipeline import met

from scaffold.generate import new_project

PACKAGE = "bench_curves"
FOLDERS = 10

PLAIN_LOOP = """
import os, sys
import numpy as np
import pandas as pd
raw, out = sys.argv[1], sys.argv[2]
paths = []
for root, dirs, files in os.walk(raw):
    dirs.sort()
    paths += [os.path.join(root, name) for name in sorted(files) if name.endswith(".csv")]
rows = []
for path in paths:
    name = os.path.relpath(path, raw)[:-4]
    frame = pd.read_csv(path).sort_values("time")
    curve = frame[["time", "value"]].to_numpy(dtype=np.float64)
    for folder, array in (("interim", curve), ("final", None)):
        if array is None:
            t0, t1 = curve[0, 0], curve[-1, 0]
            times = t0 + np.arange(int(np.floor((t1 - t0) * 1.0)) + 1) / 1.0
            array = np.column_stack([times, np.interp(times, curve[:, 0], curve[:, 1])])
        target = os.path.join(out, folder, name + ".npy")
        os.makedirs(os.path.dirname(target), exist_ok=True)
        np.save(target, array)
    values = curve[:, 1]
    rows.append({"id": name, "n": len(curve), "start": curve[0, 0], "end": curve[-1, 0],
                 "duration": curve[-1, 0] - curve[0, 0], "min": values.min(),
                 "max": values.max(), "mean": values.mean(), "std": values.std()})
pd.DataFrame(rows).sort_values("id").to_csv(os.path.join(out, "features.csv"), index=False)
"""


def measure(command, cwd=None):
    """bench_pipeline.measure after os.sync() (file writes dominate on some disks)."""
    return bench_pipeline.measure(command, cwd=cwd, sync=True)


def median_run(command, cwd=None):
    return bench_pipeline.median_run(command, cwd=cwd, sync=True)


def add_curves(raw, start, count, samples, seed=0):
    """Write curves start .. start+count-1 as CSV files, spread over FOLDERS subfolders."""
    rng = np.random.default_rng(seed + start)
    for index in range(start, start + count):
        times = np.cumsum(rng.uniform(0.05, 0.15, samples))
        values = np.sin(times * rng.uniform(0.05, 0.5)) + rng.normal(0, 0.1, samples)
        path = raw / f"site-{index % FOLDERS}" / f"curve-{index:06d}.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        lines = "\n".join(f"{t:.4f},{v:.6f}" for t, v in zip(times, values, strict=True))
        path.write_text(f"time,value\n{lines}\n")


def install_project(scratch):
    made = new_project(PACKAGE, output_dir=scratch, no_input=True, template="curves")
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation", "."],
        cwd=made.project_dir,
        check=True,
    )
    return made.project_dir


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=4000, help="N curves (default 4000)")
    parser.add_argument("--samples", type=int, default=1000, help="samples per curve")
    parser.add_argument("--added", type=int, default=40, help="curves added for D")
    parser.add_argument(
        "--scratch",
        help="folder for the files (default: the system's temporary folder;"
        " /dev/shm takes the disk out of the comparison)",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.scratch) as scratch:
        scratch = Path(scratch)
        project = install_project(scratch)
        try:
            work = scratch / "work"
            raw = work / PACKAGE / "raw"
            print(f"writing {args.files} curves ...", file=sys.stderr)
            add_curves(raw, 0, args.files, args.samples)
            run = [sys.executable, "-m", PACKAGE, "run", "--working-dir", str(work)]
            results = {
                "B": measure([sys.executable, "-c", PLAIN_LOOP, raw, scratch / "plain"]),
                "A": measure(run, cwd=project),
            }
            d_runs = []
            for round_ in range(3):  # the median of three rounds, each adding its own curves
                add_curves(raw, args.files + round_ * args.added, args.added, args.samples, 10**6)
                d_runs.append(measure(run, cwd=project))
            results["D"] = sorted(d_runs)[1]
            results["E"] = median_run(run, project)
            results["F"] = median_run([sys.executable, "-c", "import luisy"])
        finally:
            subprocess.run([sys.executable, "-m", "pip", "uninstall", "-q", "-y", PACKAGE])
    report(results, args)


def report(results, args):
    wall = {key: value[0] for key, value in results.items()}
    print(
        f"{args.files} curves of {args.samples} samples (CSV), Python {platform.python_version()},"
        f" {os.cpu_count()} cores, files in {args.scratch or tempfile.gettempdir()}"
    )
    labels = {
        "A": "first run, python -m <package> run",
        "B": "plain pandas loop",
        "D": f"rerun after adding {args.added} curves (median of 3)",
        "E": "no-op rerun (median of 3)",
        "F": 'python -c "import luisy" (median of 3)',
    }
    for key in "ABDEF":
        print(f"  {key}  {labels[key]:<48} {wall[key]:8.2f} s  peak {results[key][1]:7.0f} MB")
    for top, bottom, goal in (("A", "B", 0.6), ("D", "A", 0.25), ("E", "F", 1.2)):
        ratio = wall[top] / wall[bottom]
        print(f"  {top} / {bottom} = {ratio:.2f}  (goal <= {goal})  {met(ratio <= goal)}")


if __name__ == "__main__":
    main()
