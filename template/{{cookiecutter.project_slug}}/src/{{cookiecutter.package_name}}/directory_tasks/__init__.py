"""Directory tasks: luisy tasks that each turn every file of a folder into one output file.

One job per module: task (DirectoryTask), settings (the [directory_tasks] settings), inputs
(listing the input folder), manifests (what a task committed), staging (writing aside and
committing at once), locks, work (the per-file loop), executors (where that loop runs), errors,
files (the read/write/move helpers) and progress.

Import names from the module that defines them (`from <package>.directory_tasks.task import
DirectoryTask`): luisy's hashing looks a name up in the module it is imported from, and does
not follow re-exports.
"""
