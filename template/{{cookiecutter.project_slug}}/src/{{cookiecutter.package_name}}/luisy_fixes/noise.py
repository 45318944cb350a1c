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
