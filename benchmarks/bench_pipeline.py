"""The generated pipeline against a plain loop and one-luigi-task-per-file, in one run.

Generates N synthetic 256x256 RGB PNGs (smooth gradients plus noise, so they compress like
real images), bakes and installs a project from the bundled template, and measures:

  A  the generated pipeline through the `luisy` command (process start to finish, hashing on)
  B  a plain serial Python loop doing the same reads and writes
  C  one luigi task per file for the same two steps
  D  A again after adding 1% new files (incremental rerun)
  E  A again with nothing changed (no-op rerun)
  F  python -c "import luisy"
  H, S  `python -m <package> --help` and `samples`, commands that do no pipeline work

and the growth of reruns with the folder: D and E on folders of tiny (32x32) images, 4,000 and
40,000 of them (--growth-files), with the same 40 files added for each D (median of 3 rounds),
and with --growth-big a third, big folder (400,000) measured against the small one: A, D, E and
the peak memory of E.

and, unless --skip-spark, the Spark executor beside the process pool: a standalone cluster on
127.0.0.1 (one worker, all cores, started from pyspark with the library's test helper
tests/library/spark_cluster.py), and A with `--directory-tasks-executor spark` on it, at N and at
a small n, each the median of --spark-repeats runs. Each executor's per-file cost is the slope
between the two and its start-up the rest: per-file = (wall(N) - wall(n)) / (N - n),
start-up = wall(n) - n x per-file. The Spark runs take the JVM options a run picks by itself;
one more run at n sets both JVMs' default options, so that Spark's own defaults apply.

Peak memory is the largest sum of proportional set sizes (PSS: shared pages split between the
processes that share them, so forked workers are not counted twice) over the measured process
and its children, sampled every 250 ms (reading PSS is costly enough to slow what it measures).

    python benchmarks/bench_pipeline.py --files 4000 [--c-files 400] [--small-files 400]
        [--growth-files 4000,40000] [--growth-big 400000] [--skip-c] [--skip-growth]
        [--skip-spark]
        [--spark-small-files 200] [--spark-repeats 3]
"""

import argparse
import math
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import psutil
from skimage import io

from scaffold.generate import new_project

PACKAGE = "bench_pipeline"
REPO_ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
SPARK_JVMS = "spark, Spark's JVMs"  # with Spark's own default JVM options

PLAIN_LOOP = """
import os, sys
import numpy as np
from skimage import io
raw, out = sys.argv[1], sys.argv[2]
paths = []
for root, dirs, files in os.walk(raw):
    dirs.sort()
    paths += [os.path.join(root, name) for name in sorted(files) if name.endswith(".png")]
for path in paths:
    target = os.path.join(out, "interim", os.path.relpath(path, raw))[:-4] + ".npy"
    os.makedirs(os.path.dirname(target), exist_ok=True)
    np.save(target, io.imread(path))
for path in paths:
    source = os.path.join(out, "interim", os.path.relpath(path, raw))[:-4] + ".npy"
    target = os.path.join(out, "final", os.path.relpath(path, raw))[:-4] + ".npy"
    os.makedirs(os.path.dirname(target), exist_ok=True)
    np.save(target, np.load(source)[:, :, 0])
"""

TASK_PER_FILE = """
import os, sys
import luigi
import numpy as np
from skimage import io

RAW, OUT = sys.argv[1], sys.argv[2]


class Png(luigi.ExternalTask):
    name = luigi.Parameter()

    def output(self):
        return luigi.LocalTarget(os.path.join(RAW, self.name + ".png"))


class ToNumpy(luigi.Task):
    name = luigi.Parameter()

    def requires(self):
        return Png(self.name)

    def output(self):
        path = os.path.join(OUT, "interim", self.name + ".npy")
        return luigi.LocalTarget(path, format=luigi.format.Nop)

    def run(self):
        with self.output().open("w") as handle:
            np.save(handle, io.imread(self.input().path))


class RedChannel(luigi.Task):
    name = luigi.Parameter()

    def requires(self):
        return ToNumpy(self.name)

    def output(self):
        path = os.path.join(OUT, "final", self.name + ".npy")
        return luigi.LocalTarget(path, format=luigi.format.Nop)

    def run(self):
        with self.output().open("w") as handle:
            np.save(handle, np.load(self.input().path)[:, :, 0])


names = []
for root, dirs, files in os.walk(RAW):
    names += [os.path.relpath(os.path.join(root, f), RAW)[:-4] for f in files if f.endswith(".png")]
tasks = [RedChannel(name) for name in sorted(names)]
ok = luigi.build(tasks, local_scheduler=True, log_level="WARNING")
sys.exit(0 if ok else 1)
"""


def synthetic_image(rng, size=256):
    """Smooth colour gradients plus noise: compresses like a photograph, not like noise."""
    y, x = np.mgrid[0:size, 0:size] / size
    channels = []
    for _ in range(3):
        a, b, phase = rng.uniform(0.5, 3.0), rng.uniform(0.5, 3.0), rng.uniform(0, 2 * np.pi)
        channels.append(0.5 + 0.5 * np.sin(a * np.pi * x + b * np.pi * y + phase))
    image = np.stack(channels, axis=-1) * 255 + rng.normal(0, 6, (size, size, 3))
    return np.clip(image, 0, 255).astype(np.uint8)


def add_images(raw, start, count, seed=0, size=256, prefix="img"):
    for index in range(start, start + count):
        rng = np.random.default_rng(seed + index)
        path = raw / f"batch{index % 10:02d}" / f"{prefix}{index:06d}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        io.imsave(path, synthetic_image(rng, size), check_contrast=False)


def resident(process):
    """Proportional set size where the platform reports it, resident set size elsewhere."""
    info = process.memory_full_info()
    return getattr(info, "pss", info.rss)


def measure(command, cwd=None, env=None, sync=False):
    """Run `command`; return (wall seconds, peak MB of it and its children). `sync`: write out
    what earlier steps left in the page cache first, so that it pays for its own writes only."""
    if sync:
        os.sync()
    start = time.perf_counter()
    process = psutil.Popen(
        command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    peak = 0
    done = threading.Event()

    def sample():
        nonlocal peak
        while not done.is_set():
            try:
                tree = [process, *process.children(recursive=True)]
                peak = max(peak, sum(resident(p) for p in tree))
            except psutil.Error:
                pass
            time.sleep(0.25)

    sampler = threading.Thread(target=sample)
    sampler.start()
    _, stderr = process.communicate()
    elapsed = time.perf_counter() - start
    done.set()
    sampler.join()
    if process.returncode != 0:
        sys.exit(f"{' '.join(map(str, command))} failed:\n{stderr.decode()[-3000:]}")
    return elapsed, peak / 2**20


def luisy_command(working_dir):
    return [
        str(BIN / "luisy"), "--module", f"{PACKAGE}.tasks", "RedChannel",
        "--working-dir", str(working_dir), "--no-ask", "--local-scheduler",
    ]  # fmt: skip


def median_run(command, cwd=None, runs=3, sync=False):
    """The median by wall time of `runs` measurements."""
    return sorted(measure(command, cwd=cwd, sync=sync) for _ in range(runs))[runs // 2]


def growth(scratch, project, sizes, added=40, rounds=3):
    """{size: {"A": ..., "D": ..., "E": ...}} on folders of tiny images, each (wall, peak MB):
    A the first run, D the median over `rounds` reruns after adding the same `added` files to
    each folder, E the median of 3 no-op reruns."""
    results = {}
    for size in sizes:
        work = scratch / f"growth-{size}"
        raw = work / PACKAGE / "raw"
        print(f"growth: {size} tiny images ...", file=sys.stderr)
        add_images(raw, 0, size, size=32)
        first = measure(luisy_command(work), cwd=project, sync=True)
        d_runs = []
        for round_ in range(rounds):
            add_images(raw, round_ * added, added, seed=10**6, size=32, prefix=f"added{round_}-")
            d_runs.append(measure(luisy_command(work), cwd=project, sync=True))
        results[size] = {
            "A": first,
            "D": sorted(d_runs)[rounds // 2],
            "E": median_run(luisy_command(work), project, sync=True),
        }
        shutil.rmtree(work)
    return results


def no_pipeline_commands(scratch, project):
    """(H, S): `python -m <package> --help` and `samples` into a fresh folder, medians of 3."""
    command = [sys.executable, "-m", PACKAGE]
    help_run = median_run([*command, "--help"], cwd=project)
    samples_runs = []
    for index in range(3):
        folder = scratch / f"samples-{index}"
        samples_runs.append(measure([*command, "samples", "--working-dir", folder], cwd=project))
    return help_run, sorted(samples_runs)[1]


def install_project(scratch):
    project = new_project(PACKAGE, output_dir=scratch, no_input=True).project_dir
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation", "."],
        cwd=project,
        check=True,
    )
    return project


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=4000, help="N (default 4000)")
    parser.add_argument("--c-files", type=int, help="N for C, which is slow (default: N)")
    parser.add_argument("--small-files", type=int, default=400, help="N for the memory check")
    parser.add_argument("--skip-c", action="store_true", help="leave out C (minutes at N=4000)")
    parser.add_argument(
        "--growth-files", default="4000,40000", help="folder sizes of the growth runs (SMALL,LARGE)"
    )
    parser.add_argument("--skip-growth", action="store_true", help="leave out the growth runs")
    parser.add_argument(
        "--growth-big", type=int, default=0, help="a third, big folder size (e.g. 400000)"
    )
    parser.add_argument("--skip-spark", action="store_true", help="leave out the Spark runs")
    parser.add_argument("--spark-small-files", type=int, default=200, help="n of the Spark runs")
    parser.add_argument("--spark-repeats", type=int, default=3, help="runs of each, median")
    args = parser.parse_args()
    n, n_c = args.files, args.c_files or args.files
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        project = install_project(scratch)
        try:
            work = scratch / "work"
            raw = work / PACKAGE / "raw"
            print(f"generating {n} images ...", file=sys.stderr)
            add_images(raw, 0, n)
            results = {}
            results["B"] = measure([sys.executable, "-c", PLAIN_LOOP, raw, scratch / "plain"])
            results["A"] = measure(luisy_command(work), cwd=project)
            add_images(raw, n, max(1, n // 100), seed=10**6)
            results["D"] = measure(luisy_command(work), cwd=project)
            results["E"] = median_run(luisy_command(work), project)
            results["F"] = median_run([sys.executable, "-c", "import luisy"])
            results["H"], results["S"] = no_pipeline_commands(scratch, project)

            c_raw = raw if n_c == n else scratch / "c-raw"
            if args.skip_c:
                results["C"] = (float("nan"), float("nan"))
            else:
                if n_c != n:
                    add_images(c_raw, 0, n_c)
                print(f"C: one luigi task per file over {n_c} files ...", file=sys.stderr)
                command = [sys.executable, "-c", TASK_PER_FILE, c_raw, scratch / "c"]
                results["C"] = measure(command)

            small = scratch / "small"
            add_images(small / PACKAGE / "raw", 0, args.small_files)
            small_run = measure(luisy_command(small), cwd=project)
            shutil.rmtree(small)
            sizes = [int(size) for size in args.growth_files.split(",")]
            sizes += [args.growth_big] if args.growth_big else []
            grown = {} if args.skip_growth else growth(scratch, project, sizes)
            spark = None
            if not args.skip_spark:
                spark = measure_spark(
                    project, scratch, raw, n, args.spark_small_files, args.spark_repeats
                )
        finally:
            subprocess.run([sys.executable, "-m", "pip", "uninstall", "-q", "-y", PACKAGE])
    report(results, small_run, n, n_c, args.small_files)
    if grown:
        report_growth(grown, results["F"][0], sizes=sizes[:2])
        if args.growth_big:
            report_big_folder(grown, small=sizes[0], big=args.growth_big)
    if spark:
        report_spark(spark, n, args.spark_small_files)


def fresh_copy(raw, folder):
    """A new working dir whose raw folder holds the images of `raw` (hard links)."""
    shutil.copytree(raw, folder / PACKAGE / "raw", copy_function=os.link)
    return folder


def measure_spark(project, scratch, raw, n, n_small, repeats):
    """Median wall times of the pipeline with the process pool and with Spark, at N and n
    files, each run `repeats` times in turn."""
    sys.path.insert(0, str(REPO_ROOT / "tests" / "library"))
    from spark_cluster import SparkCluster

    cores = len(os.sched_getaffinity(0))
    cluster = SparkCluster(scratch / "spark", workers=1, cores=cores, memory="4g")
    print("starting a Spark standalone cluster ...", file=sys.stderr)
    start = time.perf_counter()
    cluster.start()
    walls = {"cluster start": time.perf_counter() - start}
    try:
        small_raw = scratch / "spark-small-raw"
        add_images(small_raw, 0, n_small, seed=2 * 10**6)
        as_a_run_picks = {
            **cluster.environment(),
            "PYSPARK_SUBMIT_ARGS": "--conf spark.ui.enabled=false pyspark-shell",
        }
        # A key the user sets is left alone: a harmless property instead of the quick compiler.
        own = "-Dbench.jvm=spark-defaults"
        as_spark_picks = {
            **cluster.environment(),
            "PYSPARK_SUBMIT_ARGS": "--conf spark.ui.enabled=false"
            f" --conf spark.driver.defaultJavaOptions={own}"
            f" --conf spark.executor.defaultJavaOptions={own} pyspark-shell",
        }
        on_spark = ["--directory-tasks-executor", "spark"]
        on_spark += ["--directory-tasks-spark-master", cluster.master_url]
        runs = [
            ("processes", n_small, small_raw, [], None),
            ("spark", n_small, small_raw, on_spark, as_a_run_picks),
            (SPARK_JVMS, n_small, small_raw, on_spark, as_spark_picks),
            ("processes", n, raw, [], None),
            ("spark", n, raw, on_spark, as_a_run_picks),
        ]
        for index, (name, count, source, options, env) in enumerate(runs):
            print(f"{name} over {count} files, {repeats} times ...", file=sys.stderr)
            times = []
            for repeat in range(repeats):
                work = fresh_copy(source, scratch / f"spark-run{index}-{repeat}")
                times.append(measure(luisy_command(work) + options, project, env)[0])
                shutil.rmtree(work)
            walls[name, count] = sorted(times)[len(times) // 2]  # the median
    finally:
        cluster.stop()
    return walls


def report_spark(walls, n, n_small):
    line = {}
    for name in ("processes", "spark"):
        per_file = (walls[name, n] - walls[name, n_small]) / (n - n_small)
        line[name] = per_file, walls[name, n_small] - n_small * per_file
    spark_jvms_start = walls[SPARK_JVMS, n_small] - n_small * line["spark"][0]
    print()
    print(f"{'':3}{'run (medians)':46}{'wall s':>9}")
    for key, wall in walls.items():
        label = key if isinstance(key, str) else f"{key[0]} (N={key[1]})"
        print(f"{'':3}{label:46}{wall:9.2f}")
    print()
    print(f"{'executor':20}{'per file ms':>12}{'start-up s':>12}")
    for name, (per_file, start_up) in line.items():
        print(f"{name:20}{per_file * 1000:12.2f}{start_up:12.2f}")
    print(f"{SPARK_JVMS:20}{'':12}{spark_jvms_start:12.2f}")
    ratio = line["spark"][0] / line["processes"][0]
    start_up = line["spark"][1]
    print()
    print(f"{'per-file spark / processes':40}{ratio:8.2f}  goal <= 1.3     {met(ratio <= 1.3)}")
    print(f"{'spark start-up s':40}{start_up:8.2f}  goal <= 15      {met(start_up <= 15)}")
    print(f"{'spark start-up beyond processes s':40}{start_up - line['processes'][1]:8.2f}")


def met(condition):
    return "met" if condition else "NOT met"


def report(results, small_run, n, n_c, n_small):
    labels = {
        "A": f"generated pipeline, luisy command (N={n})",
        "B": f"plain serial loop (N={n})",
        "C": f"one luigi task per file (N={n_c})",
        "D": f"A after adding {max(1, n // 100)} files (1%)",
        "E": "A with nothing changed (median of 3)",
        "F": "python -c 'import luisy' (median of 3)",
        "H": f"python -m {PACKAGE} --help (median of 3)",
        "S": f"python -m {PACKAGE} samples (median of 3)",
    }
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"machine: {platform.machine()}, {cores} cores, Python {platform.python_version()}")
    print(f"{'':3}{'run':46}{'wall s':>9}{'peak MB':>10}")
    for key in "ABCDEFHS":
        wall, peak = results[key]
        print(f"{key:3}{labels[key]:46}{wall:9.2f}{peak:10.0f}")
    a, b, c, d, e, f, h, s = (results[key][0] for key in "ABCDEFHS")
    goals = [
        ("A / B", a / b, "<= 0.6", a / b <= 0.6),
        (f"C / A{'' if n_c == n else ' (C at N=' + str(n_c) + ')'}", c / a, ">= 30", c / a >= 30),
        ("D / A", d / a, "<= 0.25", d / a <= 0.25),
        ("E / F", e / f, "<= 1.2", e / f <= 1.2),
        ("H / F (--help)", h / f, "< 1", h / f < 1),
        ("S / F (samples)", s / f, "< 1", s / f < 1),
        (
            f"peak memory A(N={n}) / A(N={n_small})",
            results["A"][1] / small_run[1],
            "<= 1.25",
            results["A"][1] / small_run[1] <= 1.25,
        ),
    ]
    print()
    for name, value, goal, met in goals:
        if math.isnan(value):  # C was left out (--skip-c)
            print(f"{name:40}{'-':>8}  goal {goal:8} not measured")
            continue
        print(f"{name:40}{value:8.2f}  goal {goal:8} {'met' if met else 'NOT met'}")
    if n_c != n:
        print(f"C ran over {n_c} files only; with N={n} it takes longer (it grows faster than N)")


def report_growth(grown, f, sizes):
    """The growth table and its ratios (F, import luisy, for scale)."""
    small, large = sizes
    print(f"\ngrowth, tiny 32x32 images, the same 40 added for each D (F = {f:.2f} s):")
    print(f"{'files':>8}{'A s':>9}{'D s':>9}{'E s':>9}{'E peak MB':>11}")
    for size in sorted(grown):
        runs = grown[size]
        walls = "".join(f"{runs[name][0]:9.2f}" for name in "ADE")
        print(f"{size:8}{walls}{runs['E'][1]:11.0f}")
    for name in "DE":
        ratio = grown[large][name][0] / grown[small][name][0]
        verdict = "met" if ratio <= 1.5 else "NOT met"
        print(f"{name}({large}) / {name}({small}){'':22}{ratio:8.2f}  goal <= 1.5    {verdict}")


def report_big_folder(grown, small, big):
    """The goals of a big folder against the small one: reruns at most 3 x, the first run
    linear (at most big / small x), a no-op's peak memory at most 500 MB."""
    print(f"\nbig folder: {big} against {small} tiny images")
    factor = big / small
    for name, goal in (("E", 3), ("D", 3), ("A", factor)):
        ratio = grown[big][name][0] / grown[small][name][0]
        verdict = "met" if ratio <= goal else "NOT met"
        label = f"{name}({big}) / {name}({small})"
        print(f"{label:<34}{ratio:8.2f}  goal <= {goal:<6g}{verdict}")
    peak = grown[big]["E"][1]
    verdict = "met" if peak <= 500 else "NOT met"
    print(f"{'peak memory of E(' + str(big) + ')':<34}{peak:8.0f}  goal <= 500 MB {verdict}")


if __name__ == "__main__":
    main()
