"""The files a task did not read, counted for a person: per extension for files of a type the
task does not read (the ones a setting can include), per kind for the rest."""

import collections
import os

NOT_THIS_TYPE = "not a file type this task reads"
# Short names for the other reasons a file is not read (see SortedDirectoryTarget.survey).
KINDS = {
    "a hidden file": "hidden file",
    "a hidden folder (not read)": "hidden folder",
    "a symbolic link to a folder (not followed)": "link to a folder",
    "the reader skipped it": "skipped by the reader",
}


def unread_counts(records):
    """[(label, count)] of manifest records {"source", "reason"}, most frequent first: an
    extension ('.jpg', 'no extension') for a file type the task does not read, else a kind."""
    counts = collections.Counter()
    for record in records:
        if record["reason"] == NOT_THIS_TYPE:
            extension = os.path.splitext(record["source"])[1].lower()
            counts[extension or "no extension"] += 1
        else:
            counts[KINDS.get(record["reason"], record["reason"])] += 1
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))


def describe_unread(records, hint=""):
    """'6 file(s): 2 .jpg, 1 hidden file' plus `hint` (how to read them) when some are of a
    type the task does not read; '' for no records."""
    if not records:
        return ""
    counts = ", ".join(f"{count} {label}" for label, count in unread_counts(records))
    text = f"{len(records)} file(s): {counts}"
    if hint and any(record["reason"] == NOT_THIS_TYPE for record in records):
        text += f"; to read them, {hint}"
    return text
