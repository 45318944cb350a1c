"""Command line of this project: `python -m <package> samples|run|sheet`."""

import argparse
import logging
import sys
from pathlib import Path

import luigi.configuration

PACKAGE = __package__
DEFAULT_WORKING_DIR = "data"


def raw_folder(working_dir):
    """The folder the pipeline reads its images from."""
    return Path(working_dir).resolve() / PACKAGE / "raw"


def samples(args):
    """Put the sample images into the raw folder."""
    from {{ cookiecutter.package_name }}.commands.samples import SamplesError, add_samples

    raw = raw_folder(args.working_dir)
    try:
        added = add_samples(raw)
    except SamplesError as error:
        print(f"Error: {error}", file=sys.stderr)
        return 2
    print(f"Added {len(added)} sample image(s) to {raw}")
    return 0


def run(args, luisy_args):
    """Run the pipeline up to `args.task` with the luisy command line, hashing included."""
    raw = raw_folder(args.working_dir)
    if not raw.is_dir() or not any(path.is_file() for path in raw.rglob("*")):
        print(
            f"Error: no images in {raw}. Put your images there (subfolders are fine), or run"
            f" `python -m {PACKAGE} samples --working-dir {args.working_dir}` for sample images.",
            file=sys.stderr,
        )
        return 2
    from luisy.cli import luisy_run

    _show_only_results_and_problems()
    argv = [
        "--module", f"{PACKAGE}.tasks", args.task,
        "--working-dir", str(Path(args.working_dir).resolve()),
        "--no-ask", "--local-scheduler",
        *luisy_args,
    ]  # fmt: skip
    luisy_run(argv)
    return 0


def _show_only_results_and_problems():
    """Log warnings and errors, this package's task summaries and luigi's execution summary;
    not luigi's and luisy's step-by-step INFO and DEBUG lines."""
    luigi.configuration.get_config().set("core", "no_configure_logging", "true")
    logging.getLogger().setLevel(logging.WARNING)
    logging.getLogger(PACKAGE).setLevel(logging.INFO)
    logging.getLogger("luigi-interface.luisy-interface").setLevel(logging.WARNING)
    interface = logging.getLogger("luigi-interface")
    interface.setLevel(logging.INFO)
    interface.addFilter(
        lambda record: (
            record.levelno >= logging.WARNING or "Execution Summary" in record.getMessage()
        )
    )


def sheet(args):
    """Write a PNG contact sheet: sample raw images beside their red channels."""
    from luisy import Config

    from {{ cookiecutter.package_name }}.commands.sheet import SheetError, write_contact_sheet

    Config().set_param("working_dir", str(Path(args.working_dir).resolve()))
    output = args.output or str(Path(args.working_dir) / "contact-sheet.png")
    try:
        shown = write_contact_sheet(output, count=args.count)
    except SheetError as error:
        print(f"Error: {error} (`python -m {PACKAGE} run`)", file=sys.stderr)
        return 2
    print(f"Wrote {output}: raw image | red channel, one row each for {', '.join(shown)}")
    return 0


def main(argv=None):
    """Parse the command line and run one command."""
    parser = argparse.ArgumentParser(prog=f"python -m {PACKAGE}", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    for name, help_text in (
        ("samples", samples.__doc__),
        ("run", run.__doc__),
        ("sheet", sheet.__doc__),
    ):
        command = commands.add_parser(name, help=help_text, description=help_text)
        command.add_argument(
            "--working-dir",
            default=DEFAULT_WORKING_DIR,
            help=f"luisy's working directory (default: {DEFAULT_WORKING_DIR})",
        )
    commands.choices["run"].add_argument(
        "task", nargs="?", default="RedChannel", help="task to run (default: RedChannel)"
    )
    commands.choices["sheet"].add_argument("--count", type=int, default=6, help="rows (default: 6)")
    commands.choices["sheet"].add_argument(
        "--output", help="PNG file to write (default: <working-dir>/contact-sheet.png)"
    )
    args, rest = parser.parse_known_args(argv)
    if args.command == "run":
        return run(args, rest)
    if rest:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    return samples(args) if args.command == "samples" else sheet(args)


if __name__ == "__main__":
    sys.exit(main())
