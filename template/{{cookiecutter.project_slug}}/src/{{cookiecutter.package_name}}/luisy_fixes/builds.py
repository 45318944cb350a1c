"""Each luisy run (its command line, this project's `run`) is one build of directory tasks:
inputs are surveyed once per run (directory_tasks/builds.py). luisy's behaviour is unchanged."""

import functools

from luisy import luigi_interface


def apply():
    """Have luisy's Coordinator.run (both modes) run inside one build; safe to call again."""
    original = luigi_interface.Coordinator.run
    if getattr(original, "one_build", False):
        return

    @functools.wraps(original)
    def run(self):
        from {{ cookiecutter.package_name }}.directory_tasks.builds import one_build

        with one_build():
            return original(self)

    run.one_build = True
    luigi_interface.Coordinator.run = run
