"""Progress of a directory task: a bar on a terminal, a log line every few seconds elsewhere."""

import logging
import sys
import time

from tqdm import tqdm

logger = logging.getLogger(__name__)


class Progress:
    """Counts files done out of `total` and shows it without slowing the work down."""

    def __init__(self, name, total, interval=5.0, stream=None):
        self.name = name
        self.total = total
        self.interval = interval
        self.done = 0
        self._started = time.monotonic()
        self._last_log = self._started
        stream = stream or sys.stderr
        self._bar = None
        if stream.isatty():
            self._bar = tqdm(total=total, desc=name, unit="file", file=stream, dynamic_ncols=True)

    def advance(self, count=1):
        """Record `count` more files done."""
        self.done += count
        if self._bar is not None:
            self._bar.update(count)
            return
        now = time.monotonic()
        if now - self._last_log >= self.interval:
            self._last_log = now
            logger.info(self.describe(now))

    def describe(self, now):
        """One line: files done out of total, rate and time left."""
        elapsed = max(now - self._started, 1e-9)
        rate = self.done / elapsed
        left = (self.total - self.done) / rate if rate else float("inf")
        return f"{self.name}: {self.done}/{self.total} files, {rate:.0f} files/s, {left:.0f} s left"

    def close(self):
        """Finish the bar (a terminal) or say nothing more (a log)."""
        if self._bar is not None:
            self._bar.close()
