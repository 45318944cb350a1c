"""What `run` logs: set up before luisy is imported, so that luisy's own set-up (which repeats
the milliseconds in every timestamp) does nothing."""

import logging
import sys

PACKAGE = __package__.split(".")[0]
LOG_FORMAT = "%(asctime)s %(levelname).1s %(name)s %(message)s"


def show_results_and_problems(verbose=False):
    """Log to stdout. By default only this package's lines (task summaries, progress), luigi's
    execution summary and warnings, and luisy's errors; `verbose`: everything from INFO up."""
    root = logging.getLogger()
    if not root.handlers:
        handler = logging.StreamHandler(sys.stdout)
        handler.setFormatter(logging.Formatter(LOG_FORMAT))
        root.addHandler(handler)
    root.setLevel(logging.INFO if verbose else logging.WARNING)
    if verbose:
        return
    logging.getLogger(PACKAGE).setLevel(logging.INFO)
    for name in ("luisy", "luigi-interface.luisy-interface"):
        logging.getLogger(name).setLevel(logging.ERROR)
    interface = logging.getLogger("luigi-interface")
    interface.setLevel(logging.INFO)
    interface.addFilter(_warnings_and_summary)


def _warnings_and_summary(record):
    return record.levelno >= logging.WARNING or "Execution Summary" in record.getMessage()
