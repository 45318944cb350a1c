"""A project's command line, `python -m <package> samples|run|sheet`: its `__main__.py` calls
`main(package=__package__)`, or `main(package=__package__, kind="curves")` for a project over
curves.

Only argparse is imported up front: `--help` answers at once, and luisy and luigi load when a
command needs them. The project's tasks are those of `<package>.tasks`. For images, `samples`
copies PNG files, so `<package>.images.IMAGE_EXTENSIONS` must include ".png" for it; for curves
it writes CSV and Parquet files.

Exit codes: 0 done; 1 the run cannot go on with this input or these settings, or a task failed
(nothing of it committed); 2 the command line names something that does not exist; 130 Ctrl-C.
"""

import argparse
import importlib
import importlib.util
import os
import sys
from pathlib import Path

DEFAULT_WORKING_DIR = "data"
# What a project reads: one sample file is a ..., the sheet's file and what it shows.
NOUNS = {"images": "image", "curves": "curve"}
SHEETS = {"images": "contact-sheet.png", "curves": "curve-sheet.png"}
SHOWS = {
    "images": "raw images beside each task's output; rows",
    "curves": "raw samples against each resampled curve; panels",
}
# Options that go on to luisy and luigi; `run --help` names them.
LUISY_OPTIONS = """\
further options go to luisy and luigi, e.g.:
  --directory-tasks-workers N   worker processes per task (0: all cores, 1: this process)
  --directory-tasks-lenient     skip unreadable files (listed in the manifest) instead of failing
  --directory-tasks-max-pixels N  refuse larger images before decoding them (0: no limit)
  --directory-tasks-executor spark  do the per-file work on Spark (default: processes)
  --directory-tasks-spark-master URL  Spark's master, e.g. spark://HOST:7077 (default: local[*])
  --dry-run                     show which tasks would run, run nothing (luisy)
  --hash-update-mode            accept changed code without rerunning its tasks (luisy)
  --workers N                   tasks luigi runs at once
"""


def project_root(package):
    """The folder of the project's pyproject.toml when the project is installed from its
    folder (pip install -e), else None."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.origin:
        return None
    root = Path(spec.origin).resolve().parents[2]
    if (root / "pyproject.toml").is_file() and (root / "src" / package).is_dir():
        return root
    return None


def wrong_folder_hint(args):
    """How to get to the right folder when the default working dir is used outside the project
    root, else ''."""
    root = project_root(args.package)
    if args.working_dir != DEFAULT_WORKING_DIR or root is None or Path.cwd() == root:
        return ""
    return f"; this is not the project's folder: run `cd {root}` first"


def project_folder(args):
    """The project's folder in luisy's working dir (raw/, interim/ and final/ are in it)."""
    return Path(args.working_dir).resolve() / args.package


def samples(args):
    """Add sample files to the raw folder (files already there are kept)."""
    raw = project_folder(args) / "raw"
    hint = wrong_folder_hint(args)
    if hint:  # the samples would land where `run` from the project's folder never looks
        print(f"Error: not adding samples to {raw}{hint}", file=sys.stderr)
        return 2
    if args.kind == "curves":
        from luisy_directory_tasks.commands.curve_samples import add_curve_samples

        added = add_curve_samples(raw)
    else:
        from luisy_directory_tasks.commands.samples import SamplesError, add_samples

        try:
            added = add_samples(raw, image_extensions(args.package))
        except SamplesError as error:
            print(f"Error: {error}", file=sys.stderr)
            return 2
    print(f"Added {len(added)} sample {NOUNS[args.kind]}(s) to {raw}")
    return 0


def image_extensions(package):
    """The extensions the project reads: IMAGE_EXTENSIONS of its images module."""
    return importlib.import_module(f"{package}.images").IMAGE_EXTENSIONS


def run(args, words):
    """Run every final task, or the tasks named, with luisy (hashing included)."""
    raw = project_folder(args) / "raw"
    try:
        found = holds_a_file(raw)
    except OSError as error:
        print(
            f"Error: cannot list the folder {error.filename} ({error.strerror}); nothing was"
            " changed. Give this user read and execute permission on it, and run again",
            file=sys.stderr,
        )
        return 1
    if not found:
        kind = args.kind
        hint = wrong_folder_hint(args) or (
            f". Put your {kind} there (subfolders are fine), or run `python -m {args.package}"
            f" samples{working_dir_option(args)}` for sample {kind}"
        )
        print(f"Error: no {kind} in {raw}{hint}; nothing ran", file=sys.stderr)
        return 1
    from luisy_directory_tasks.commands.logs import show_results_and_problems

    show_results_and_problems(args.verbose)  # before luisy loads
    from luisy_directory_tasks.commands.run import CommandLineError, SettingValueError, run_tasks

    try:
        return run_tasks(
            args.package,
            words,
            Path(args.working_dir).resolve(),
            verbose=args.verbose,
            traceback=args.traceback,
        )
    except CommandLineError as error:
        print(f"Error: {error}", file=sys.stderr)
        return 1 if isinstance(error, SettingValueError) else 2


def holds_a_file(folder):
    """True when `folder` or a folder below it holds a file; an OSError for one that cannot be
    listed (the run would stop there)."""
    if not folder.is_dir():
        return False

    def refuse(error):
        raise error

    return any(files for _, _, files in os.walk(folder, onerror=refuse))


def working_dir_option(args):
    """The --working-dir option as given, for a hint run from the same folder."""
    return "" if args.working_dir == DEFAULT_WORKING_DIR else f" --working-dir {args.working_dir}"


def sheet(args):
    """Write a PNG sheet to look at: raw files beside the tasks' outputs, titled."""
    final = project_folder(args) / "final"
    if not final.is_dir():
        hint = wrong_folder_hint(args) or f": run `python -m {args.package} run` first"
        print(f"Error: no results in {final}{hint}", file=sys.stderr)
        return 2
    from luisy_directory_tasks.commands.logs import show_results_and_problems

    show_results_and_problems()  # before luisy loads: problems only, in this project's format
    from luisy import Config

    from luisy_directory_tasks.commands.shown import SheetError

    Config().set_param("working_dir", str(Path(args.working_dir).resolve()))
    if args.kind == "curves":
        from luisy_directory_tasks.commands.curve_sheet import write_curve_sheet as write
    else:
        from luisy_directory_tasks.commands.sheet import write_contact_sheet as write
    output = args.output or str(Path(args.working_dir) / SHEETS[args.kind])
    try:
        shown = write(args.package, output, count=args.count)
    except SheetError as error:
        print(f"Error: {error} (`python -m {args.package} run`)", file=sys.stderr)
        return 2
    print(f"Wrote {output}: {SHOWS[args.kind]}: {', '.join(shown)}")
    return 0


def parser(package, kind="images"):
    """The command line of `package`, a project over `kind` ("images" or "curves"), built from
    argparse alone."""
    main = argparse.ArgumentParser(
        prog=f"python -m {package}",
        description=f"Command line of {package}: samples, run, sheet.",
    )
    commands = main.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in (samples, run, sheet):
        sub = commands.add_parser(
            command.__name__,
            help=command.__doc__,
            description=command.__doc__,
            allow_abbrev=False,  # other options pass on as written, never read as ours cut short
        )
        sub.add_argument(
            "--working-dir",
            default=DEFAULT_WORKING_DIR,
            metavar="DIR",
            help=f"luisy's working directory (default: {DEFAULT_WORKING_DIR})",
        )
    run_options = commands.choices["run"]
    run_options.usage = (
        f"python -m {package} run [-h] [--working-dir DIR] [--verbose] [--traceback] [TASK ...]"
        " [luisy and luigi options]"
    )
    run_options.epilog = LUISY_OPTIONS
    run_options.formatter_class = argparse.RawDescriptionHelpFormatter
    run_options.add_argument(
        "--verbose", action="store_true", help="show luisy's and luigi's own output too"
    )
    run_options.add_argument(
        "--traceback", action="store_true", help="show the stack of a failed task"
    )
    sheet_options = commands.choices["sheet"]
    count = 6 if kind == "images" else 12
    sheet_options.add_argument(
        "--count", type=int, default=count, help=f"files shown (default: {count})"
    )
    sheet_options.add_argument(
        "--output", metavar="PNG", help=f"file to write (default: <working-dir>/{SHEETS[kind]})"
    )
    return main


def main(argv=None, *, package, kind="images"):
    """Parse the command line of the project `package`, a pipeline over `kind` ("images" or
    "curves"), and run one command; the exit code. Ctrl-C ends it with exit code 130."""
    if kind not in NOUNS:
        raise ValueError(f"kind must be one of {', '.join(NOUNS)}, not {kind!r}")
    command_line = parser(package, kind)
    args, rest = command_line.parse_known_args(argv)
    args.package, args.kind = package, kind
    if args.command != "run" and rest:
        command_line.error(f"unrecognized arguments: {' '.join(rest)}")
    try:
        if args.command == "run":
            return run(args, rest)
        return samples(args) if args.command == "samples" else sheet(args)
    except KeyboardInterrupt:
        print(
            "Interrupted: nothing of the unfinished task was committed; earlier results are"
            " as they were.",
            file=sys.stderr,
        )
        return 130
