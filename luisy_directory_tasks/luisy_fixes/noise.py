"""Filters for warnings that luisy and luigi give on every run and a local pipeline can do
nothing about. Imported with this package, so they are in place before luisy loads."""

import logging
import re
import warnings

# Five optional variables (Azure storage and the like) at luisy's import, optional luigi modules
# (postgres, S3), and a missing requirements.txt (hashing then reads the installed project's
# metadata, as intended).
_NOISE = re.compile(
    r"Environment Variable \w+ not set!"
    r"|Loading \w+ module without .*"
    r"|No requirements.txt found.*"
)


def _not_noise(record):
    return not _NOISE.fullmatch(record.getMessage())


for _logger_name in ("luigi-interface", "luigi-interface.luisy-interface", "luisy.code_inspection"):
    logging.getLogger(_logger_name).addFilter(_not_noise)

# luisy's requirements-parser 0.5.0 imports pkg_resources, which setuptools 80 (the last release
# that has it, see pyproject.toml) announces as deprecated on every run. Only that warning, only
# from that import, is silenced.
warnings.filterwarnings(
    "ignore",
    message="pkg_resources is deprecated as an API",
    category=UserWarning,
    module=r"requirements\.requirement\Z",
)

# pyspark 4 warns on every Spark run that it does not fully support pandas 3; directory tasks
# pass no data through pandas on Spark.
warnings.filterwarnings(
    "ignore",
    message="PySpark does not yet fully support pandas",
    category=FutureWarning,
)


def mend_luisy_log_format():
    """luisy's logging set-up writes the milliseconds twice (`12:00:01,507,507`): its format
    adds them to a time that already has them. Its handler, where luisy installed it, gets the
    time without them; lines logged before this package was imported keep luisy's format."""
    import luisy

    for handler in logging.getLogger().handlers:
        formatter = handler.formatter
        if formatter is not None and formatter._fmt == luisy.log_format and not formatter.datefmt:
            handler.setFormatter(logging.Formatter(luisy.log_format, "%Y-%m-%d %H:%M:%S"))
