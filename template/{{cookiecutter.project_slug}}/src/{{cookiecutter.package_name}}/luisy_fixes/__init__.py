"""Fixes that let luisy 1.4.7 run on today's Python and libraries (compat) and compute its
hashes once per process (speedups). `apply()` installs both; importing the package does it."""

from {{ cookiecutter.package_name }}.luisy_fixes import compat, speedups


def apply():
    """Install the fixes into luisy (idempotent)."""
    compat.apply()
    speedups.apply()
