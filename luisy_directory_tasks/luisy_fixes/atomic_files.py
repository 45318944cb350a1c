"""luisy's one-file targets (CSV, JSON, pickle, Feather, HDF, Excel) write straight into their
final path: a run killed while writing leaves half a file, which luigi then takes as the
task's complete output. With this fix each writes beside it and renames at once, so the path
holds the previous file or the whole new one.
"""

import functools
import os
import uuid

# The luisy targets that write one local file.
ONE_FILE_TARGETS = (
    "CSVTarget",
    "JSONTarget",
    "PickleTarget",
    "FeatherTarget",
    "HDFTarget",
    "XLSXTarget",
)


def atomic(write):
    """`write` made to write a hidden file beside the target's path and rename it onto it."""

    @functools.wraps(write)
    def write_then_rename(self, *args, **kwargs):
        final = self.path
        folder, name = os.path.split(final)
        stem, ending = os.path.splitext(name)
        # The same ending: pandas picks compression and format from it.
        partial = os.path.join(folder, f".{stem}.{uuid.uuid4().hex}.partial{ending}")
        self.path = partial
        try:
            write(self, *args, **kwargs)
            os.replace(partial, final)
        finally:
            self.path = final
            if os.path.exists(partial):
                os.remove(partial)

    write_then_rename.writes_atomically = True
    return write_then_rename


def apply():
    """Make luisy's one-file targets write atomically (idempotent)."""
    from luisy import targets

    for name in ONE_FILE_TARGETS:
        cls = getattr(targets, name)
        if not getattr(cls.write, "writes_atomically", False):
            cls.write = atomic(cls.write)
