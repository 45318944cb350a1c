"""A curve pipeline built on luisy directory tasks."""

# The library installs its fixes of luisy when imported, before luisy loads.
import luisy_directory_tasks  # noqa: F401
