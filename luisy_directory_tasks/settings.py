"""The [directory_tasks] settings: how directory tasks run, never what they write."""

import luigi

SECTION = "directory_tasks"


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
    max_samples = luigi.IntParameter(
        default=10_000_000,
        description="Refuse a resampled curve of more samples than this before making it;"
        " 0: no limit.",
    )
    executor = luigi.ChoiceParameter(
        default="processes",
        choices=["processes", "spark"],
        description="Where the per-file work runs: processes (this machine) or spark.",
    )
    spark_master = luigi.Parameter(
        default="local[*]",
        description="The Spark master when luisy holds no Spark session: local[*] or"
        " spark://host:7077.",
    )


def settings_snapshot():
    """The current settings as {name: text}, to carry to a process that has no command line."""
    current = directory_tasks()
    return {name: param.serialize(getattr(current, name)) for name, param in current.get_params()}


def apply_settings(snapshot):
    """Make `snapshot` (from settings_snapshot) the settings of this process."""
    config = luigi.configuration.get_config()
    if not config.has_section(SECTION):
        config.add_section(SECTION)
    for name, value in snapshot.items():
        config.set(SECTION, name, value)
