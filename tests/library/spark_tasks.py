"""Directory tasks that misbehave on purpose, for the Spark tests. The test cluster's executors
import this module too (its workers have this folder on their PYTHONPATH)."""

import os
import signal
import time

import luisy
import numpy as np
from sample_pipeline.tasks import ExportDirectory, ToNumpy

from luisy_directory_tasks.task import DirectoryTask

from spark_cluster import MARKERS

PACKAGE = "sample_pipeline"


def take_marker(name):
    """True for the one process that removes the marker file `name` (set by a test)."""
    try:
        os.remove(os.path.join(os.environ[MARKERS], name))
    except (KeyError, FileNotFoundError):
        return False
    return True


class KillsItsWorker(ToNumpy):
    """ToNumpy whose Python worker kills itself once, while the marker file is there."""

    project_name = PACKAGE

    def transform(self, image):
        if take_marker("kill-python-worker"):
            os.kill(os.getpid(), signal.SIGKILL)
        return super().transform(image)


class Slow(ToNumpy):
    """ToNumpy taking a quarter of a second per file, to be interrupted in the middle."""

    project_name = PACKAGE

    def transform(self, image):
        time.sleep(0.25)
        return super().transform(image)


@luisy.interim
@luisy.requires(ExportDirectory)
class Hungry(DirectoryTask):
    """Asks for more memory than any machine has, for an image whose first value is 0."""

    project_name = PACKAGE

    def transform(self, image):
        if image[0, 0, 0] == 0:
            return np.empty(1 << 52, dtype=np.uint8)
        return image


class ExecutorGaveUp(BaseException):
    """Not an Exception: no per-file handler catches it, so the Spark task itself fails."""


@luisy.interim
@luisy.requires(ExportDirectory)
class GivesUp(DirectoryTask):
    """Fails its Spark task with a Python error of its own."""

    project_name = PACKAGE

    def transform(self, image):
        raise ExecutorGaveUp(f"no way on with an image of shape {image.shape}")
