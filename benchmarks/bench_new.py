"""Wall time of `scaffold new NAME --no-input` against plain `cookiecutter --no-input`.

Both render the bundled template into a fresh folder, as separate processes, alternating, and
the script prints the median of each and their ratio (goal: at most 1.3).

    python benchmarks/bench_new.py [--runs 15]
"""

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from scaffold.templates import bundled_template_dir


def timed(command, cwd):
    start = time.perf_counter()
    subprocess.run(command, cwd=cwd, check=True, capture_output=True)
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    bin_dir = Path(sys.executable).parent
    template = str(bundled_template_dir())
    times = {"scaffold": [], "cookiecutter": []}
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        config = scratch / "cookiecutter.yaml"
        config.write_text(f"replay_dir: {scratch / 'replay'}\ncookiecutters_dir: {scratch}\n")
        commands = {
            "scaffold": [str(bin_dir / "scaffold"), "new", "Bench Project", "--no-input"],
            "cookiecutter": [
                str(bin_dir / "cookiecutter"), "--no-input", "--config-file", str(config),
                template, "project_name=Bench Project",
            ],
        }  # fmt: skip
        for run in range(args.runs + 1):
            for tool, command in commands.items():
                out = scratch / f"{tool}-{run}"
                out.mkdir()
                elapsed = timed(command, cwd=out)
                if run:  # the first round only warms the file cache
                    times[tool].append(elapsed)
                shutil.rmtree(out)
    scaffold, cookiecutter = (statistics.median(times[tool]) for tool in times)
    print(f"runs per tool:          {args.runs}")
    print(f"scaffold new (median):  {scaffold * 1000:7.1f} ms")
    print(f"cookiecutter (median):  {cookiecutter * 1000:7.1f} ms")
    print(f"ratio scaffold/cookiecutter: {scaffold / cookiecutter:.2f} (goal <= 1.3)")


if __name__ == "__main__":
    main()
