"""Progress of a directory task: a bar on a terminal, a log line every few seconds elsewhere."""

import logging
import sys
import time

from tqdm import tqdm

logger = logging.getLogger(__name__)


class Progress:
    """Counts files done out of `total` and shows it without slowing the work down. `kept`
    files are done before any work (unchanged outputs): they count as done but not in the rate."""

    def __init__(self, name, total, kept=0, interval=5.0, stream=None, clock=time.monotonic):
        self.name = name
        self.clock = clock
        self.total = total
        self.interval = interval
        self.done = kept
        self._first = None  # (time, files done) when the first work came back
        self._last_log = clock()
        stream = stream or sys.stderr
        self._bar = None
        if stream.isatty():
            self._bar = tqdm(
                total=total, initial=kept, desc=name, unit="file", file=stream, dynamic_ncols=True
            )

    def advance(self, count=1):
        """Record `count` more files done."""
        self.done += count
        if self._bar is not None:
            self._bar.update(count)
            return
        now = self.clock()
        if self._first is None:
            self._first = (now, self.done)
        if now - self._last_log >= self.interval:
            self._last_log = now
            logger.info(self.describe(now))

    def describe(self, now):
        """One line: files done out of total, rate and time left. The rate is measured from
        the first work that came back, so that start-up (a Spark session's, say) and kept files
        do not distort it."""
        line = f"{self.name}: {self.done}/{self.total} files"
        if self._first is None or now <= self._first[0] or self.done == self._first[1]:
            return f"{line}, measuring the rate"
        started, done_then = self._first
        rate = (self.done - done_then) / (now - started)
        return f"{line}, {rate:.0f} files/s, {(self.total - self.done) / rate:.0f} s left"

    def close(self):
        """Finish the bar (a terminal) or say nothing more (a log)."""
        if self._bar is not None:
            self._bar.close()
