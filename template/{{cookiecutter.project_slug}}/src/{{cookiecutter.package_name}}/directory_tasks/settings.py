"""The [directory_tasks] settings: how directory tasks run, never what they write."""

import luigi


class directory_tasks(luigi.Config):
    """Settings shared by all directory tasks; they never change output names or hashes.

    Set them in luigi.cfg under [directory_tasks] or on the command line, e.g.
    `--directory-tasks-lenient` or `--directory-tasks-workers 4`.
    """

    lenient = luigi.BoolParameter(
        default=False,
        description="Skip unreadable input files (listed in the manifest) instead of failing.",
    )
    workers = luigi.IntParameter(
        default=0,
        description="Worker processes per task: 0 for all cores, 1 to work in this process.",
    )
    max_pixels = luigi.IntParameter(
        default=100_000_000,
        description="Refuse images of more pixels than this before decoding them; 0: no limit.",
    )
