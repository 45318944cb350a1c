"""The pipeline: a folder of curves -> checked samples (interim) -> resampled curves and a
table of features (final).

`python -m <package> run` runs every final task (`@luisy.final`) with luisy, hashing included;
`run TASK` runs that one, as does the luisy command:
`luisy --module <package>.tasks Resampled --working-dir data --no-ask --local-scheduler`.
"""

import luisy
import pandas as pd
from luisy_directory_tasks import (
    AfterDirectoryTask,
    DirectoryTask,
    RateParameter,
    directory_tasks,
    make_directory_output,
)

from {{ cookiecutter.package_name }}.curves import (
    CURVE_PATTERN,
    FEATURE_COLUMNS,
    HOW_TO_READ_MORE,
    features,
    read_curve,
    resampled,
    to_frame,
)

# The library's make_directory_output: one target class per decorated task, read recursively
# in sorted order; luisy's decorator of that name is left as it is.
curve_directory_output = make_directory_output(
    read_curve, regex_pattern=CURVE_PATTERN, unread_hint=HOW_TO_READ_MORE
)


@curve_directory_output
@luisy.raw
class CurveDirectory(luisy.ExternalTask):
    """The raw curves: <working_dir>/<package>/raw/, any depth of subfolders."""

    def get_folder_name(self):
        return ""


@luisy.interim
@luisy.requires(CurveDirectory)
class ToFrame(DirectoryTask):
    """Every raw curve checked and sorted by time, as a .npy array, in interim/ToFrame/."""

    def transform(self, curve):
        return to_frame(curve)


@luisy.final
@luisy.requires(ToFrame)
class Resampled(DirectoryTask):
    """Every curve at `rate` samples per second, in final/Resampled_rate=<rate>/."""

    # Set it under [Resampled] in luigi.cfg or with --Resampled-rate; a task parameter, so
    # each rate has its own outputs (luisy puts it in their name).
    rate = RateParameter(default=1.0, description="Samples per second of the resampled curves.")

    def transform(self, curve):
        return resampled(curve, self.rate, directory_tasks().max_samples)


@luisy.final
@luisy.requires(ToFrame)
@luisy.csv_output
class Features(AfterDirectoryTask):
    """One row of features per curve, sorted by id, in final/Features.csv: an ordinary task
    after a directory task, run again whenever ToFrame commits new curves (a rerun computes
    the rows of those alone)."""

    def run(self):
        rows = [{"id": id_, **row} for id_, row in self.per_file(features)]
        self.write(pd.DataFrame(rows, columns=FEATURE_COLUMNS).sort_values("id"))
