"""Where a directory task's per-file work runs: `processes` (a pool on this machine) or `spark`.

An executor is an object with
- `slots`: how many chunks of files it runs at once, and `max_chunk`, the most files worth
  putting in one chunk (directory tasks size the chunks by both);
- `check_shared(folder)`: raise, before any work, when its workers cannot write into `folder`
  as this process sees it;
- `map_chunks(work, items, chunk_size)`: an iterator of `work(chunk)` over consecutive chunks
  of `items`, yielded as the chunks finish. `work` reads and writes the files itself and
  returns small results only.
Another engine (Dask, Ray) is one more module with such an object and one more name below.
"""

from luisy_directory_tasks.executors.processes import (
    ProcessExecutor,
    available_cores,
)


def open_executor(settings):
    """The executor the [directory_tasks] `settings` name."""
    if settings.executor == "spark":
        # Imported here: pyspark is needed only by those who run on Spark.
        from luisy_directory_tasks.executors.spark import (
            SparkExecutor,
        )

        return SparkExecutor(settings.spark_master)
    return ProcessExecutor(settings.workers or available_cores())
