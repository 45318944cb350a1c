"""Directory tasks: one luisy task turns every file of a folder into one output file each.

A directory task's luisy output is its manifest, `<Task>.json`, listing the files it committed
in the folder beside it, `<Task>/`. Outputs are written into a hidden staging folder on the same
filesystem and renamed into place, and the manifest is written last, so the final location only
ever holds a complete result. A run holds the task's lock (locks.py) from staging to commit,
so only one run writes a task's output at a time, and leftovers of a killed run are removed or
repaired by the next run.
"""

import contextlib
import errno
import functools
import json
import logging
import os
import re
import shutil
import tempfile
import uuid
from concurrent.futures.process import BrokenProcessPool

import luigi
import luisy
import numpy as np
from luisy.targets import LocalTarget

from {{ cookiecutter.package_name }}.failures import (
    DiskFullError,
    EnvironmentFailure,
    WorkerDiedError,
    as_environment_failure,
    is_environment_error,
)
from {{ cookiecutter.package_name }}.inputs import InputFile, file_id, folder_survey
from {{ cookiecutter.package_name }}.locks import TaskLock
from {{ cookiecutter.package_name }}.manifests import check_manifest
from {{ cookiecutter.package_name }}.progress import Progress
from {{ cookiecutter.package_name }}.workers import available_cores, map_chunks

logger = logging.getLogger(__name__)

MANIFEST_VERSION = 1
GENERATION_FILE = ".generation"


class DirectoryTaskError(Exception):
    """A directory task cannot run on its input; nothing was committed."""


class BadFilesError(DirectoryTaskError):
    """Some input files could not be processed."""

    def __init__(self, bad_files):
        self.bad_files = bad_files
        # repr-like escapes: a newline in a file name cannot forge a line of this list
        lines = [f"  {_printable(path)}: {reason}" for path, reason in bad_files]
        super().__init__(
            f"{len(bad_files)} input file(s) could not be processed; nothing was written. Fix or"
            " remove them, or run with --directory-tasks-lenient to skip them:\n" + "\n".join(lines)
        )


def _printable(path):
    return path.encode("unicode_escape").decode("ascii")


class IdCollisionError(DirectoryTaskError):
    """Two input files would write the same output file, or one a file where the other
    needs a folder."""


class EmptyInputError(DirectoryTaskError):
    """The input folder holds no files to process."""


class directory_tasks(luigi.Config):
    """Settings shared by all directory tasks; they never change output names or hashes.

    Set them in luigi.cfg under [directory_tasks] or on the command line, e.g.
    `--directory-tasks-lenient` or `--directory-tasks-workers 4`.
    """

    lenient = luigi.BoolParameter(
        default=False,
        description="Skip unreadable input files (listed in the manifest) instead of failing.",
    )
    workers = luigi.IntParameter(
        default=0,
        description="Worker processes per task: 0 for all cores, 1 to work in this process.",
    )
    max_pixels = luigi.IntParameter(
        default=100_000_000,
        description="Refuse images of more pixels than this before decoding them; 0: no limit.",
    )


def survey_input(target):
    """What a task finds in its input: [(relative path, fingerprint, problem)] of the files it
    reads (problem '' for a readable one) and [(relative path, fingerprint, reason)] of those
    it does not read, both sorted.

    One listing and one stat per file for a folder; the manifest alone for a directory task.
    """
    if isinstance(target, ManifestTarget):
        files = target.load()["files"]
        return [(entry["file"], tuple(entry["fingerprint"]), "") for entry in files], []
    return folder_survey(target)


def refuse_output_collisions(files, folder):
    """Raise IdCollisionError when one file's output would be a folder of another's output
    (`a.png` is written as `a.npy`, `a.npy/b.png` as `a.npy/b.npy`)."""
    outputs = {f"{item.file_id}.npy": item for item in files}
    for output, item in outputs.items():
        parent = os.path.dirname(output)
        while parent:
            if parent in outputs:
                raise IdCollisionError(
                    f"{outputs[parent].relative_path} and {item.relative_path} in {folder}"
                    f" collide: the first is written as the file {parent!r}, the second needs a"
                    " folder of that name; rename or remove one of them"
                )
            parent = os.path.dirname(parent)


def input_files(target):
    """(files to read, files not read) of an input target as InputFiles in sorted order,
    refusing two files whose outputs collide."""
    read, unread = survey_input(target)
    seen = {}
    files = []
    for relative, fingerprint, problem in read:
        key = file_id(relative)
        if key in seen:
            raise IdCollisionError(
                f"{seen[key]} and {relative} in {target.folder} would both be written as"
                f" {key!r}; rename or remove one of them"
            )
        seen[key] = relative
        path = os.path.join(target.folder, relative)
        files.append(InputFile(key, relative, path, fingerprint, problem))
    refuse_output_collisions(files, target.folder)
    not_read = [
        InputFile(file_id(relative), relative, os.path.join(target.folder, relative), mark, why)
        for relative, mark, why in unread
    ]
    return files, not_read


def describe_failure(path, error):
    """One line saying why the file at `path` could not be processed."""
    if os.path.exists(path) and os.path.getsize(path) == 0:
        return "the file is empty (0 bytes)"
    lines = str(error).strip().splitlines()
    return f"{type(error).__name__}: {lines[0] if lines else 'no details'}"


def save_array(path, array):
    """Write `array` to `path` in .npy format, creating parent folders."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as handle:
        np.save(handle, np.asarray(array), allow_pickle=False)


def load_array(path):
    """Read a .npy file; pickled object arrays are refused, since loading them runs code."""
    return np.load(path, allow_pickle=False)


def move_file(source, destination):
    """Move `source` to `destination` with one atomic rename, creating parent folders."""
    os.makedirs(os.path.dirname(destination), exist_ok=True)
    os.replace(source, destination)
    return destination


def link_file(source, destination):
    """Make `destination` the same file as `source` (a hard link: no copy, same mtime)."""
    try:
        os.link(source, destination)
    except OSError:  # a filesystem without hard links
        shutil.copy2(source, destination)


def write_text_atomically(path, text):
    """Write `text` to `path` so that readers see the old content or the new, never a part."""
    folder, name = os.path.split(path)
    os.makedirs(folder, exist_ok=True)
    tmp = os.path.join(folder, f".{name}.{uuid.uuid4().hex}.tmp")
    try:
        with open(tmp, "x", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


@functools.lru_cache(maxsize=64)
def read_manifest(path, mtime_ns, size):
    """A manifest file's content, checked (ManifestError, a ValueError, if it is unsafe); the
    cache key makes a rewritten file be read again."""
    with open(path, encoding="utf-8") as handle:
        try:
            manifest = json.load(handle)
        except RecursionError:  # nested deeper than JSON a task writes: not ours
            raise ValueError(f"{path} is nested too deeply to be a manifest") from None
    check_manifest(manifest, path)
    return manifest


def manifest_text(manifest):
    """JSON with one line per file entry: quick to write for thousands of files, and a person
    can still read and diff it."""
    lines = []
    for key, value in sorted(manifest.items()):
        name = json.dumps(key)
        if isinstance(value, list) and value:
            items = ",\n".join(f"  {json.dumps(item, sort_keys=True)}" for item in value)
            lines.append(f"{name}: [\n{items}\n ]")
        else:
            lines.append(f"{name}: {json.dumps(value, sort_keys=True)}")
    return "{\n " + ",\n ".join(lines) + "\n}\n"


def files_below(folder):
    """Relative paths (with '/') of every file below `folder`, from one walk."""
    found = set()
    for root, _, files in os.walk(folder):
        base = os.path.relpath(root, folder).replace(os.sep, "/")
        found.update(name if base == "." else f"{base}/{name}" for name in files)
    return found


def read_generation(folder):
    """The marker of the run that committed `folder`, or None."""
    try:
        with open(os.path.join(folder, GENERATION_FILE), encoding="utf-8") as handle:
            return handle.read().strip()
    except OSError:
        return None


class ManifestTarget(LocalTarget):
    """The output of a directory task: a JSON manifest plus the folder of files it lists."""

    file_ending = "json"

    @property
    def folder(self):
        """The folder beside the manifest that holds the committed files."""
        return os.path.splitext(self.path)[0]

    def load(self):
        """The manifest as a dict (read once per version of the file; do not modify it)."""
        stat = os.stat(self.path)
        return read_manifest(self.path, stat.st_mtime_ns, stat.st_size)

    def exists(self):
        """True when the manifest and its folder belong to the same committed run and every
        file the manifest lists is there."""
        generation = read_generation(self.folder)
        try:
            manifest = self.load()
        except (OSError, ValueError):
            return False
        if generation is None or manifest.get("generation") != generation:
            return False
        listed = {entry["file"] for entry in manifest["files"]}
        return listed <= files_below(self.folder)

    def relative_paths(self):
        """Paths, relative to the folder, of the committed files in sorted order."""
        return [entry["file"] for entry in self.load()["files"]]

    def read(self):
        """The committed files' paths, in sorted order."""
        return [os.path.join(self.folder, relative) for relative in self.relative_paths()]

    def read_file(self, path):
        """One committed file as (path, array)."""
        return path, load_array(path)

    def write(self, manifest):
        write_text_atomically(self.path, manifest_text(manifest))

    def remove(self):
        """Remove the manifest first (the task is then incomplete), then its folder; waits
        while another run writes or reads them."""
        with TaskLock(self.folder):
            if os.path.exists(self.path):
                os.remove(self.path)
            shutil.rmtree(self.folder, ignore_errors=True)


def current_umask():
    """This process's umask (read without changing it where /proc tells)."""
    try:
        with open("/proc/self/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def leftovers(target):
    """Paths beside `target`'s folder that killed runs left: staging and replaced folders,
    temporary files (never the lock file)."""
    parent, name = os.path.split(target.folder)
    try:
        entries = os.listdir(parent)
    except OSError:
        return []
    # Exactly this task's names: another task's output may start with the same name (a
    # parameter value such as "v1" and "v1.2"), and its live work is not ours to remove.
    ours = re.compile(rf"\.{re.escape(name)}\.(staging-\w+|replaced-\w+|json\.\w+\.tmp)")
    return [os.path.join(parent, entry) for entry in entries if ours.fullmatch(entry)]


def clean_up(target):
    """Finish or undo what killed runs left beside `target`; hold its exclusive lock.

    A run stopped inside `commit` between moving the earlier folder aside and writing the new
    manifest left that folder under a `replaced-` name: it is put back. Everything else goes.
    """
    found = leftovers(target)
    if found and not target.exists() and os.path.exists(target.path):
        with contextlib.suppress(OSError, ValueError):
            generation = target.load().get("generation")
            for path in found:
                if ".replaced-" in path and read_generation(path) == generation:
                    shutil.rmtree(target.folder, ignore_errors=True)
                    os.rename(path, target.folder)
                    break
    for path in leftovers(target):
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path, ignore_errors=True)
        else:
            with contextlib.suppress(FileNotFoundError):
                os.remove(path)


def clean_up_if_free(target):
    """clean_up(target) when there is something to clean and no other run holds the lock."""
    if not leftovers(target):
        return
    lock = TaskLock(target.folder)
    if lock.acquire(wait=False):
        try:
            clean_up(target)
        finally:
            lock.release()


class Staging:
    """A hidden folder beside a task's output folder where a run writes before it commits.

    Create it only while holding the task's exclusive TaskLock: it first cleans up after
    earlier runs, which is safe only when no other run can be writing.
    """

    def __init__(self, target):
        self.target = target
        parent, name = os.path.split(target.folder)
        os.makedirs(parent, exist_ok=True)
        self._prefix = os.path.join(parent, f".{name}.")
        clean_up(target)
        self.folder = tempfile.mkdtemp(prefix=f".{name}.staging-", dir=parent)
        # mkdtemp makes the folder private (0700); it becomes the task's folder, which should
        # be as readable as everything else this user creates.
        os.chmod(self.folder, 0o777 & ~current_umask())

    def path_for(self, relative_path):
        """Where to stage the output file `relative_path`."""
        return os.path.join(self.folder, relative_path)

    def commit(self, manifest):
        """Swap the staged folder into place and write `manifest`, which makes it complete."""
        generation = uuid.uuid4().hex
        write_text_atomically(os.path.join(self.folder, GENERATION_FILE), generation + "\n")
        replaced = None
        if os.path.exists(self.target.folder):
            replaced = f"{self._prefix}replaced-{generation}"
            os.rename(self.target.folder, replaced)
        os.rename(self.folder, self.target.folder)
        try:
            self.target.write({**manifest, "generation": generation})
        except BaseException:  # e.g. a full disk: put the earlier result back in place
            os.rename(self.target.folder, self.folder)
            if replaced:
                os.rename(replaced, self.target.folder)
            raise
        if replaced:
            shutil.rmtree(replaced, ignore_errors=True)

    def discard(self):
        """Remove the staging folder and everything in it."""
        shutil.rmtree(self.folder, ignore_errors=True)


def process_files(task, source, staging_folder, files):
    """Read, transform and stage `files` (run in a worker process); return small results only:
    (manifest entries, [(path, why it failed)], [paths the reader skipped])."""
    entries, bad, ignored = [], [], []
    for item in files:
        output = f"{item.file_id}.npy"
        destination = os.path.join(staging_folder, output)
        if item.problem:
            bad.append((item, item.problem))
            continue
        try:
            content = source.read_file(item.path)
            if content is None:
                ignored.append(item)
                continue
            result = task.transform(content[1])
        except Exception as error:  # every bad file is reported, not only the first
            if is_environment_error(error):
                raise as_environment_failure(error, item.path) from error
            bad.append((item, describe_failure(item.path, error)))
            continue
        try:
            save_array(destination, result)
        except MemoryError as error:
            raise as_environment_failure(error, item.path) from error
        except OSError as error:  # writing into our own staging folder: never the file's fault
            raise write_failure(error, staging_folder, output, result) from error
        stat = os.stat(destination)
        entries.append(
            {
                "id": item.file_id,
                "file": output,
                "source": item.relative_path,
                "source_fingerprint": list(item.fingerprint),
                "fingerprint": [stat.st_size, stat.st_mtime_ns],
            }
        )
    return entries, bad, ignored


def write_failure(error, staging_folder, output, array):
    """An EnvironmentFailure for an OSError raised while writing `output` into staging."""
    needed = np.asarray(array).nbytes
    full = error.errno in (errno.ENOSPC, errno.EDQUOT)
    if error.errno is None:  # numpy's tofile reports a short write without an errno
        with contextlib.suppress(OSError):
            full = shutil.disk_usage(staging_folder).free < needed
    if full:
        layer = os.path.dirname(staging_folder)
        return DiskFullError(layer, needed, f"writing {output}")
    return EnvironmentFailure(f"could not write {output} into {staging_folder}: {error}")


def keep_unchanged(files, target, staging):
    """Hard-link into `staging` the committed outputs whose input is unchanged since; return
    their manifest entries and the files still to process."""
    reusable = {}
    if target.exists():
        reusable = {entry["source"]: entry for entry in target.load()["files"]}
    kept, todo = [], []
    for item in files:
        entry = reusable.get(item.relative_path)
        if entry and tuple(entry["source_fingerprint"]) == item.fingerprint and not item.problem:
            kept.append(entry)
        else:
            todo.append(item)
    for folder in {os.path.dirname(staging.path_for(entry["file"])) for entry in kept}:
        os.makedirs(folder, exist_ok=True)
    for entry in kept:
        link_file(os.path.join(target.folder, entry["file"]), staging.path_for(entry["file"]))
    return kept, todo


def source_record(item, **details):
    """A manifest record of an input file that produced no output."""
    return {
        "source": item.relative_path,
        "source_fingerprint": list(item.fingerprint),
        **details,
    }


def recorded_sources(manifest):
    """{source path: fingerprint} of every input file a manifest accounts for."""
    recorded = {entry["source"]: entry["source_fingerprint"] for entry in manifest["files"]}
    for entry in manifest["skipped"] + manifest["ignored"]:
        recorded[entry["source"]] = entry["source_fingerprint"]
    return {source: tuple(fingerprint) for source, fingerprint in recorded.items()}


class DirectoryTask(luisy.Task):
    """A luisy task that turns every file of its input folder into one .npy file.

    Subclasses implement `transform(data)`, a function of one input file's data. The input is
    a directory ExternalTask or another DirectoryTask; files keep their relative paths. Work is
    shared by worker processes, and a rerun after files were added, changed or removed
    processes only those; unchanged outputs are kept without reading their inputs again.
    """

    target_cls = ManifestTarget
    target_kwargs = {}

    def transform(self, data):
        raise NotImplementedError

    def complete(self):
        """Committed, upstream complete, the input folder as it was when committed, and (in
        strict mode) no file skipped."""
        target = self.output()
        clean_up_if_free(target)  # a run killed at the end of its commit counts as complete
        if not target.exists():
            return False
        if target.load()["skipped"] and not directory_tasks().lenient:
            return False  # a strict run retries the files a lenient run skipped
        if not all(task.complete() for task in luigi.task.flatten(self.requires())):
            return False
        try:
            read, unread = survey_input(self.input())
        except (OSError, ValueError, KeyError):
            return False
        current = {relative: fingerprint for relative, fingerprint, _ in read + unread}
        return recorded_sources(target.load()) == current

    def run(self):
        """Write the output while holding its lock (and a shared lock on a directory task's
        input), unless another run committed it while this one waited."""
        source, target = self.input(), self.output()
        with contextlib.ExitStack() as locks:
            locks.enter_context(TaskLock(target.folder))
            if isinstance(source, ManifestTarget):
                locks.enter_context(TaskLock(source.folder, shared=True))
                if not source.exists():
                    raise DirectoryTaskError(
                        f"{source.path} was removed or replaced by another run while this one"
                        " waited for it; run again"
                    )
            if self.complete():
                logger.info(f"{self.get_task_family()}: already written by another run")
                return
            self.write_output(source, target)

    def write_output(self, source, target):
        """Process the input's new and changed files, keep the rest, commit."""
        files, unread = input_files(source)
        if not files:
            raise EmptyInputError(
                f"no input files in {source.folder}: put your files there (any depth of"
                f" subfolders), or run `python -m {__package__} samples` for sample images"
            )
        settings = directory_tasks()
        staging = Staging(target)
        progress = Progress(self.get_task_family(), len(files))
        try:
            entries, todo = keep_unchanged(files, target, staging)
            reused = len(entries)
            progress.advance(reused)
            workers = settings.workers or available_cores()
            chunk_size = max(1, min(64, len(todo) // (4 * workers)))
            work = functools.partial(process_files, self, source, staging.folder)
            bad, ignored = [], []
            try:
                for chunk_entries, chunk_bad, chunk_ignored in map_chunks(
                    work, todo, workers, chunk_size
                ):
                    entries += chunk_entries
                    bad += chunk_bad
                    ignored += chunk_ignored
                    progress.advance(len(chunk_entries) + len(chunk_bad) + len(chunk_ignored))
            except DiskFullError as error:
                written = [entry["fingerprint"][0] for entry in entries[reused:]]
                per_file = sum(written) / len(written) if written else error.needed
                raise DiskFullError(error.folder, int(per_file * len(todo)), error.detail) from None
            except BrokenProcessPool as error:
                raise WorkerDiedError(
                    "a worker process died (killed by the system, often for lack of memory);"
                    " nothing was committed or recorded. Run again, with fewer workers"
                    " (--directory-tasks-workers=N) if it happens again"
                ) from error
            bad.sort(key=lambda failure: failure[0].relative_path)
            if bad and not settings.lenient:
                raise BadFilesError([(item.relative_path, reason) for item, reason in bad])
            staging.commit(
                {
                    "manifest_version": MANIFEST_VERSION,
                    "task": self.get_task_family(),
                    "files": sorted(entries, key=lambda entry: entry["id"]),
                    "skipped": [source_record(item, reason=reason) for item, reason in bad],
                    "ignored": sorted(
                        [source_record(item, reason=item.problem) for item in unread]
                        + [source_record(item, reason="the reader skipped it") for item in ignored],
                        key=lambda record: record["source"],
                    ),
                }
            )
        except OSError as error:  # hard links, the marker or the manifest, in this process
            if error.errno not in (errno.ENOSPC, errno.EDQUOT):
                raise
            layer = os.path.dirname(target.folder)
            where = f": {error.filename}" if error.filename else ""
            raise DiskFullError(layer, None, f"{error.strerror}{where}") from error
        finally:
            progress.close()
            staging.discard()
        summary = (
            f"{self.get_task_family()}: wrote {len(entries) - reused} file(s),"
            f" kept {reused} unchanged"
        )
        if bad:
            summary += f", skipped {len(bad)} unreadable file(s)"
        if unread or ignored:
            summary += f", did not read {len(unread) + len(ignored)} other file(s)"
        if bad or unread or ignored:
            summary += f" (listed in {target.path})"
        logger.info(summary)
