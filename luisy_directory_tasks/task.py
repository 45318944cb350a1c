"""DirectoryTask: one luisy task turns every file of a folder into one output file each.

A directory task's luisy output is its manifest, `<Task>.json`, listing the files it committed
in the folder beside it, `<Task>/` (manifests.py). Outputs are staged and committed at once
(staging.py) while the task's lock is held (locks.py), so the final location only ever holds a
complete result and one run at a time writes it.
"""

import contextlib
import errno
import functools
import logging
import os

import luigi
import luisy

from luisy_directory_tasks.builds import looked_up
from luisy_directory_tasks.errors import (
    BadFilesError,
    DirectoryTaskError,
    DiskFullError,
    EmptyInputError,
    OutputNotWritableError,
    UnlistableFolderError,
)
from luisy_directory_tasks.executors import open_executor
from luisy_directory_tasks.files import NUMPY_FILES
from luisy_directory_tasks.inputs import (
    found_files,
    input_columns,
)
from luisy_directory_tasks.locks import TaskLock
from luisy_directory_tasks.manifests import (
    MANIFEST_VERSION,
    ManifestTarget,
    read_generation,
    records_exactly,
    source_record,
)
from luisy_directory_tasks.progress import Progress
from luisy_directory_tasks.settings import directory_tasks
from luisy_directory_tasks.staging import (
    Staging,
    clean_up,
    clean_up_if_free,
    keep_unchanged,
)
from luisy_directory_tasks.unread import describe_unread
from luisy_directory_tasks.work import process_files

logger = logging.getLogger(__name__)


def empty_input_error(source, unread, package):
    """The EmptyInputError for an input folder with no file to read: it names the files there
    that the task does not read, if any, and how to read them."""
    if unread:
        records = [{"source": item.relative_path, "reason": item.problem} for item in unread]
        hint = getattr(source, "unread_hint", "")
        return EmptyInputError(
            f"{os.path.normpath(source.folder)} holds no file this task reads, only files it"
            f" does not read:"
            f" {describe_unread(records, hint)}"
        )
    return EmptyInputError(
        f"no input files in {source.folder}: put your files there (any depth of subfolders),"
        f" or run `python -m {package} samples` for samples"
    )


class DirectoryTask(luisy.Task):
    """A luisy task that turns every file of its input folder into one output file (a .npy
    array unless `output_format` says otherwise).

    Subclasses implement `transform(data)`, a function of one input file's data. The input is
    a directory ExternalTask or another DirectoryTask; files keep their relative paths. Work is
    shared by worker processes or Spark tasks (executors/), and a rerun after files were added,
    changed or removed processes only those; unchanged outputs are kept without reading their
    inputs again.
    """

    target_cls = ManifestTarget
    # How each file's result is stored: `suffix`, `write(path, result)` and `read(path)`
    # (files.NumpyFiles, .npy arrays, by default).
    output_format = NUMPY_FILES

    @property
    def target_kwargs(self):
        return {"output_format": self.output_format}

    def transform(self, data):
        raise NotImplementedError

    def get_outfile(self):
        """The manifest's path, as luisy names it, without creating its folder as luisy does:
        commands that only read (`sheet`) leave no empty folders; a run makes them."""
        name, ending = self.get_file_name(), f".{self.target_cls.file_ending}"
        return os.path.join(self.get_outdir(), name.removesuffix(ending) + ending)

    def complete(self):
        """Committed, upstream complete, the input folder as it was when committed, and (in
        strict mode) no file skipped."""
        target = self.output()
        clean_up_if_free(target)  # a run killed at the end of its commit counts as complete
        self.generation_seen()  # before the input is listed: see run()
        if not target.exists() or not self.accounts_for(target.load(), None):
            return False
        if not all(task.complete() for task in luigi.task.flatten(self.requires())):
            return False
        # Another run committed since this build first looked: the build's listing of the
        # input may be older than that commit (see run()).
        generation = read_generation(target.folder)  # before the listing it goes with
        meanwhile = generation != self.generation_seen()
        try:
            found = found_files(self.input(), again=meanwhile)
        except (OSError, ValueError, KeyError, UnlistableFolderError):
            return False  # run() looks again and reports what is wrong
        if meanwhile:
            self.generation_seen(generation)
        return self.accounts_for(target.load(), found)

    def accounts_for(self, manifest, found):
        """True when the committed `manifest` records exactly the input files `found` (a
        Listing; None: not checked) and, in strict mode, skipped none (a strict run
        retries the files a lenient run skipped)."""
        if manifest["skipped"] and not directory_tasks().lenient:
            return False
        return found is None or records_exactly(manifest, found)

    def run(self):
        """Write the output while holding its lock (and a shared lock on a directory task's
        input), unless another run committed it while this one waited."""
        target = self.output()
        try:
            self.write_under_lock(self.input(), target)
        except OSError as error:  # reading happens in process_files: this is about writing
            if not isinstance(error, PermissionError) and error.errno != errno.EROFS:
                raise
            raise OutputNotWritableError(os.path.dirname(target.folder), error) from error

    def write_under_lock(self, source, target):
        """run() once the paths are known."""
        with contextlib.ExitStack() as locks:
            locks.enter_context(TaskLock(target.folder))
            if isinstance(source, ManifestTarget):
                locks.enter_context(TaskLock(source.folder, shared=True))
                if not source.exists():
                    raise DirectoryTaskError(
                        f"{source.path} was removed or replaced by another run while this one"
                        " waited for it; run again"
                    )
            clean_up(target)
            previous = target.load() if target.exists() else None
            # This build listed the input before it had the lock. If another run committed
            # since, that run may have listed it later: look again, so that this commit never
            # describes an older state of the input than the one already committed.
            meanwhile = read_generation(target.folder) != self.generation_seen()
            found = found_files(source, again=meanwhile)
            # In a build, the same look at the input (outside one, a look of its own).
            inputs = input_columns(source, suffix=self.output_format.suffix)
            if previous and self.accounts_for(previous, found):
                done = "written by another run meanwhile" if meanwhile else "up to date"
                logger.info(f"{self.get_task_family()}: already {done}, nothing to write")
            else:
                self.write_output(source, target, inputs, previous)
            # The lock is held: the commit on disk is the one this build's listing describes.
            self.generation_seen(read_generation(target.folder))

    def generation_seen(self, now=None):
        """The marker of the committed output when this build listed the input for the last
        time (None: nothing committed), looked at once per build; `now`: remember that one."""
        folder = self.output().folder
        if now is not None:
            return looked_up(("generation", folder), lambda: now, again=True)
        return looked_up(("generation", folder), lambda: read_generation(folder))

    def map_files(self, source, staging, files, settings):
        """Process `files` on the executor the settings name, into `staging`; yield the
        results of each chunk as it finishes."""
        if not files:
            return
        executor = open_executor(settings)
        executor.check_shared(staging.folder)  # before any work: it fails at once if not
        chunk_size = max(1, min(executor.max_chunk, len(files) // (4 * executor.slots)))
        work = functools.partial(process_files, self, source, staging.folder)
        yield from executor.map_chunks(work, files, chunk_size)

    def write_output(self, source, target, inputs, previous):
        """Process the input's new and changed files (`inputs`, inputs.Inputs), keep the rest
        of the `previous` manifest's outputs, commit."""
        unread = inputs.unread
        if not len(inputs):
            raise empty_input_error(source, unread, type(self).__module__.split(".")[0])
        settings = directory_tasks()
        staging = Staging(target)
        progress = None
        try:
            kept, todo, retired = keep_unchanged(inputs, previous, self.output_format.suffix)
            reused = len(kept)
            progress = Progress(self.get_task_family(), len(inputs), kept=reused)
            entries, bad, ignored = [], [], []  # entries: of the files written
            try:
                for chunk_entries, chunk_bad, chunk_ignored in self.map_files(
                    source, staging, todo, settings
                ):
                    entries += chunk_entries
                    bad += chunk_bad
                    ignored += chunk_ignored
                    progress.advance(len(chunk_entries) + len(chunk_bad) + len(chunk_ignored))
            except DiskFullError as error:
                written = [entry["fingerprint"][0] for entry in entries]
                per_file = sum(written) / len(written) if written else error.needed
                raise DiskFullError(error.folder, int(per_file * len(todo)), error.detail) from None
            bad.sort(key=lambda failure: failure[0].relative_path)
            if bad and not settings.lenient:
                raise BadFilesError([(item.relative_path, reason) for item, reason in bad])
            staged = [entry["file"] for entry in entries]
            replaced = set(staged).intersection(kept.strings["file"])
            if replaced:  # a manifest edited by hand named another input's output: retire it
                names = kept.strings["file"]
                kept = kept.subset([i for i, name in enumerate(names) if name not in replaced])
                retired, reused = sorted({*retired, *replaced}), len(kept)
            committed = kept.merged(entries)
            staging.commit(
                {
                    "manifest_version": MANIFEST_VERSION,
                    "task": self.get_task_family(),
                    "files": committed,
                    "skipped": [source_record(item, reason=reason) for item, reason in bad],
                    "ignored": sorted(
                        [source_record(item, reason=item.problem) for item in unread]
                        + [source_record(item, reason="the reader skipped it") for item in ignored],
                        key=lambda record: record["source"],
                    ),
                },
                previous,
                staged=staged,
                retired=retired,
            )
        except OSError as error:  # the marker, the journal or the manifest, in this process
            if error.errno not in (errno.ENOSPC, errno.EDQUOT):
                raise
            layer = os.path.dirname(target.folder)
            where = f": {error.filename}" if error.filename else ""
            raise DiskFullError(layer, None, f"{error.strerror}{where}") from error
        finally:
            if progress is not None:
                progress.close()
            staging.discard()
        summary = f"{self.get_task_family()}: wrote {len(entries)} file(s), kept {reused} unchanged"
        removed = len(set(retired).difference(entry["file"] for entry in entries))
        if removed:
            summary += f", removed {removed} output(s) of input files gone or no longer read"
        if bad:
            summary += f", skipped {len(bad)} unreadable file(s)"
        if unread or ignored:
            summary += f", did not read {len(unread) + len(ignored)} other file(s)"
        if bad or unread or ignored:
            summary += f" (listed in {target.path})"
        logger.info(summary)
