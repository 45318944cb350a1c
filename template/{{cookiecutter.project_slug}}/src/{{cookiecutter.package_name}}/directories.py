"""Directory tasks: one luisy task turns every file of a folder into one output file each.

A directory task's luisy output is its manifest, `<Task>.json`, listing the files it committed
in the folder beside it, `<Task>/`. Outputs are written into a hidden staging folder on the same
filesystem and renamed into place, and the manifest is written last, so the final location only
ever holds a complete result. Leftovers of a killed run are removed by the next run.
"""

import json
import logging
import os
import shutil
import tempfile
import uuid
from dataclasses import dataclass

import luigi
import luisy
import numpy as np
from luisy.targets import LocalTarget

logger = logging.getLogger(__name__)

MANIFEST_VERSION = 1
GENERATION_FILE = ".generation"


class DirectoryTaskError(Exception):
    """A directory task cannot run on its input; nothing was committed."""


class BadFilesError(DirectoryTaskError):
    """Some input files could not be processed."""

    def __init__(self, bad_files):
        self.bad_files = bad_files
        lines = [f"  {path}: {reason}" for path, reason in bad_files]
        super().__init__(
            f"{len(bad_files)} input file(s) could not be processed; nothing was written. Fix or"
            " remove them, or run with --directory-tasks-lenient to skip them:\n" + "\n".join(lines)
        )


class IdCollisionError(DirectoryTaskError):
    """Two input files would write the same output file."""


class EmptyInputError(DirectoryTaskError):
    """The input folder holds no files to process."""


class directory_tasks(luigi.Config):
    """Settings shared by all directory tasks; they never change output names or hashes.

    Set them in luigi.cfg under [directory_tasks] or on the command line, e.g.
    `--directory-tasks-lenient`.
    """

    lenient = luigi.BoolParameter(
        default=False,
        description="Skip unreadable input files (listed in the manifest) instead of failing.",
    )


@dataclass(frozen=True)
class InputFile:
    """One file of a task's input folder."""

    file_id: str
    relative_path: str
    path: str


def file_id(relative_path):
    """The id of a file: its path relative to the input folder without its last extension."""
    stem, _ = os.path.splitext(relative_path)
    return stem


def input_files(target):
    """The files of an input target in sorted order, refusing two that share an id."""
    seen = {}
    files = []
    for relative in target.relative_paths():
        key = file_id(relative)
        if key in seen:
            raise IdCollisionError(
                f"{seen[key]} and {relative} in {target.folder} would both be written as"
                f" {key!r}; rename or remove one of them"
            )
        seen[key] = relative
        files.append(InputFile(key, relative, os.path.join(target.folder, relative)))
    return files


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


class ManifestTarget(LocalTarget):
    """The output of a directory task: a JSON manifest plus the folder of files it lists."""

    file_ending = "json"

    @property
    def folder(self):
        """The folder beside the manifest that holds the committed files."""
        return os.path.splitext(self.path)[0]

    def load(self):
        """The manifest as a dict."""
        with open(self.path, encoding="utf-8") as handle:
            return json.load(handle)

    def exists(self):
        """True when the manifest and its folder belong to the same committed run."""
        try:
            with open(os.path.join(self.folder, GENERATION_FILE), encoding="utf-8") as handle:
                generation = handle.read().strip()
            return self.load().get("generation") == generation
        except (OSError, ValueError):
            return False

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
        write_text_atomically(self.path, json.dumps(manifest, indent=1, sort_keys=True) + "\n")

    def remove(self):
        """Remove the manifest first (the task is then incomplete), then its folder."""
        if os.path.exists(self.path):
            os.remove(self.path)
        shutil.rmtree(self.folder, ignore_errors=True)


class Staging:
    """A hidden folder beside a task's output folder where a run writes before it commits."""

    def __init__(self, target):
        self.target = target
        parent, name = os.path.split(target.folder)
        os.makedirs(parent, exist_ok=True)
        self._prefix = os.path.join(parent, f".{name}.")
        self.remove_leftovers()
        self.folder = tempfile.mkdtemp(prefix=f".{name}.staging-", dir=parent)

    def remove_leftovers(self):
        """Delete what a killed run left behind: staging and replaced folders, temporary files."""
        parent = os.path.dirname(self._prefix)
        for entry in os.listdir(parent):
            path = os.path.join(parent, entry)
            if not path.startswith(self._prefix):
                continue
            if os.path.isdir(path):
                shutil.rmtree(path, ignore_errors=True)
            else:
                os.remove(path)

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
        self.target.write({**manifest, "generation": generation})
        if replaced:
            shutil.rmtree(replaced, ignore_errors=True)

    def discard(self):
        """Remove the staging folder and everything in it."""
        shutil.rmtree(self.folder, ignore_errors=True)


class DirectoryTask(luisy.Task):
    """A luisy task that turns every file of its input folder into one .npy file.

    Subclasses implement `transform(data)`, a function of one input file's data. The input is
    a directory ExternalTask or another DirectoryTask; files keep their relative paths.
    """

    target_cls = ManifestTarget
    target_kwargs = {}

    def transform(self, data):
        raise NotImplementedError

    def run(self):
        source = self.input()
        files = input_files(source)
        if not files:
            raise EmptyInputError(
                f"no input files in {source.folder}: put your files there (any depth of"
                f" subfolders), or run `python -m {__package__} samples` for sample images"
            )
        lenient = directory_tasks().lenient
        staging = Staging(self.output())
        try:
            committed, bad = self._process_all(source, files, staging)
            if bad and not lenient:
                raise BadFilesError(bad)
            staging.commit(
                {
                    "manifest_version": MANIFEST_VERSION,
                    "task": self.get_task_family(),
                    "files": committed,
                    "skipped": [{"source": path, "reason": reason} for path, reason in bad],
                }
            )
        finally:
            staging.discard()
        summary = f"{self.get_task_family()}: wrote {len(committed)} file(s)"
        if bad:
            summary += f", skipped {len(bad)} unreadable file(s) listed in {self.output().path}"
        logger.info(summary)

    def _process_all(self, source, files, staging):
        committed, bad = [], []
        for item in files:
            output = f"{item.file_id}.npy"
            try:
                content = source.read_file(item.path)
                if content is None:
                    continue
                _, data = content
                save_array(staging.path_for(output), self.transform(data))
            except Exception as error:  # every bad file is reported, not only the first
                bad.append((item.relative_path, describe_failure(item.path, error)))
                continue
            committed.append({"id": item.file_id, "file": output, "source": item.relative_path})
        return committed, bad
