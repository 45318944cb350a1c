"""Wall time of `scaffold check` against `cruft check` on the same project and template.

The bundled template is committed to a fresh git repository; one project is made from it with
`scaffold new`, one with `cruft create`. Both checks run as separate processes, alternating,
first with the template unchanged, then after a new template commit. The template is reached
by URL (git+file://), as a remote one is: scaffold asks it for the ref's commit and clones only
when it moved. The script prints the median of each and their ratio (goal, unchanged template:
at most 0.5), and the time of a Typer command that does nothing, the floor under both. Needs
cruft: `pip install -e '.[bench]'`.

    python benchmarks/bench_check.py [--runs 15]
"""

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from scaffold.templates import bundled_template_dir

NAME = "Bench Project"
# The floor under any Typer command line (both tools are one): Python, Typer and its parsing
# of one path argument, and nothing else.
TYPER_FLOOR = """
import pathlib, typer
from typing import Annotated
app = typer.Typer()
@app.command()
def check(path: Annotated[pathlib.Path, typer.Argument()] = pathlib.Path(".")): pass
@app.command()
def other(): pass
app()
"""


def run(command, cwd=None):
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)


def git(*args, cwd):
    identity = ["-c", "user.name=Bench", "-c", "user.email=bench@example.com"]
    result = run(["git", *identity, "-c", "commit.gpgsign=false", *args], cwd=cwd)
    if result.returncode:
        sys.exit(f"git {args[0]} failed: {result.stderr}")


def median_time(command, runs, expected_exit):
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        result = run(command)
        times.append(time.perf_counter() - start)
        if result.returncode != expected_exit:
            sys.exit(f"{command[0]} exited {result.returncode}: {result.stderr}{result.stdout}")
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    bin_dir = Path(sys.executable).parent
    if not (bin_dir / "cruft").exists():
        sys.exit("cruft is not installed here: pip install cruft")
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        template = scratch / "template"
        shutil.copytree(bundled_template_dir(), template, ignore=shutil.ignore_patterns("__py*"))
        git("init", "-q", cwd=template)
        git("add", "-A", cwd=template)
        git("commit", "-qm", "template", cwd=template)
        # Reached by URL, as a team's template on a git server is (file:// stands in for it).
        url = f"git+file://{template}"
        made = run([bin_dir / "scaffold", "new", NAME, "--no-input", "-o", scratch / "scaffold",
                    "--template", url])  # fmt: skip
        made_cruft = run([bin_dir / "cruft", "create", url.removeprefix("git+"), "--no-input",
                          "--output-dir", scratch / "cruft",
                          "--extra-context", json.dumps({"project_name": NAME})])  # fmt: skip
        for result in (made, made_cruft):
            if result.returncode:
                sys.exit(f"generation failed: {result.stderr}")
        (scaffold_project,) = (scratch / "scaffold").iterdir()
        (cruft_project,) = (scratch / "cruft").iterdir()
        commands = {
            "scaffold": [bin_dir / "scaffold", "check", scaffold_project],
            "cruft": [bin_dir / "cruft", "check", "--project-dir", cruft_project],
        }
        print(f"runs per tool and case: {args.runs}")
        for case, expected_exit in (("up to date", 0), ("outdated", 1)):
            if case == "outdated":
                (template / "NEWS.md").write_text("A new commit.\n")
                git("add", "-A", cwd=template)
                git("commit", "-qm", "news", cwd=template)
            run(commands["scaffold"])  # warm the file cache
            medians = {tool: median_time(command, args.runs, expected_exit)
                       for tool, command in commands.items()}  # fmt: skip
            ratio = medians["scaffold"] / medians["cruft"]
            print(f"{case:>10}: scaffold check {medians['scaffold'] * 1000:6.0f} ms,"
                  f" cruft check {medians['cruft'] * 1000:6.0f} ms,"
                  f" ratio {ratio:.2f} (goal for an unchanged template: <= 0.5)")  # fmt: skip
        floor = median_time([sys.executable, "-c", TYPER_FLOOR, "check", scratch], args.runs, 0)
        print(f"a Typer command that does nothing: {floor * 1000:.0f} ms")


if __name__ == "__main__":
    main()
