"""Command line of this project: `python -m <package> samples` and `python -m <package> run`."""

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
    from {{ cookiecutter.package_name }}.samples import SamplesError, add_samples

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
    interface = logging.getLogger("luigi-interface")
    interface.setLevel(logging.INFO)
    interface.addFilter(
        lambda record: (
            record.levelno >= logging.WARNING or "Execution Summary" in record.getMessage()
        )
    )


def main(argv=None):
    """Parse the command line and run one command."""
    parser = argparse.ArgumentParser(prog=f"python -m {PACKAGE}", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    for name, help_text in (("samples", samples.__doc__), ("run", run.__doc__)):
        command = commands.add_parser(name, help=help_text, description=help_text)
        command.add_argument(
            "--working-dir",
            default=DEFAULT_WORKING_DIR,
            help=f"luisy's working directory (default: {DEFAULT_WORKING_DIR})",
        )
    commands.choices["run"].add_argument(
        "task", nargs="?", default="RedChannel", help="task to run (default: RedChannel)"
    )
    args, rest = parser.parse_known_args(argv)
    if args.command == "samples":
        if rest:
            parser.error(f"unrecognized arguments: {' '.join(rest)}")
        return samples(args)
    return run(args, rest)


if __name__ == "__main__":
    sys.exit(main())
