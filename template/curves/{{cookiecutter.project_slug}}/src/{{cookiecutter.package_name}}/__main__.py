"""This project's command line: samples, run and sheet (`python -m <package> --help`)."""

import sys

from luisy_directory_tasks import cli


def main(argv=None):
    """Run one command of this project's command line; the exit code."""
    return cli.main(argv, package=__package__, kind="curves")


if __name__ == "__main__":
    sys.exit(main())
