"""An image pipeline built on luisy directory tasks."""

from {{ cookiecutter.package_name }} import luisy_fixes

luisy_fixes.install()
