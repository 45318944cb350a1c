"""An image pipeline built on luisy directory tasks."""

from {{ cookiecutter.package_name }} import luisy_compat, luisy_speedups

luisy_compat.apply()
luisy_speedups.apply()
