"""Fingerprints as columns of 64-bit integers: stored, read back, compared, and the numbers that
do not fit."""

import json
from array import array

import pytest

from luisy_directory_tasks.inputs import InputFile, Inputs, file_id, file_ids
from luisy_directory_tasks.manifests import FileEntries, from_columns, manifest_text
from luisy_directory_tasks.number_columns import decoded, encoded, number_column, transposed
from luisy_directory_tasks.staging import keep_unchanged

BEYOND_64_BITS = 2**63  # a file dated after the year 2262


def entry(name, source_fingerprint, fingerprint=(7, 8)):
    return {
        "id": name,
        "file": f"{name}.npy",
        "source": f"{name}.png",
        "source_fingerprint": list(source_fingerprint),
        "fingerprint": list(fingerprint),
    }


def manifest_of(entries):
    return {"files": entries, "skipped": [], "ignored": [], "generation": "g"}


@pytest.mark.parametrize("values", [[1, -2, 3], [0, BEYOND_64_BITS], []])
def test_a_column_is_stored_and_read_back_exactly(values):
    column = number_column(values)
    assert type(column) is (list if BEYOND_64_BITS in values else array)
    assert list(decoded(json.loads(json.dumps(encoded(column))), len(values))) == values


@pytest.mark.parametrize(
    "stored", ["not base64!", "AAAA", [1, True, 3], [1, 2], [1, 2, 3, 4], None, {"a": 1}]
)
def test_a_column_that_is_not_three_integers_is_refused(stored):
    with pytest.raises(ValueError):
        decoded(stored, 3)


def test_a_manifest_of_version_2_with_lists_of_integers_is_read():
    entries = [entry("a", (1, 2, 3)), entry("b", (4, 5, 6))]
    stored = {
        "file": ["a.npy", "b.npy"],
        "source": ["a.png", "b.png"],
        "fingerprint": [[7, 7], [8, 8]],
        "source_fingerprint": [[1, 4], [2, 5], [3, 6]],
    }
    assert from_columns(manifest_of(stored), "ToNumpy.json")["files"] == entries


def test_a_fingerprint_beyond_64_bits_is_stored_read_and_compared():
    entries = [entry("a", (1, BEYOND_64_BITS, 3)), entry("b", (4, 5, 6))]
    text = manifest_text(manifest_of(entries))
    files = from_columns(json.loads(text), "ToNumpy.json")["files"]
    assert files == entries

    found = inputs_of({"a.png": (1, BEYOND_64_BITS, 3), "b.png": (4, 5, 7)})
    kept, todo, retired = keep_unchanged(found, {"files": files})
    assert list(kept) == [entries[0]]
    assert todo == [InputFile("b", "b.png", "raw/b.png", (4, 5, 7))]


def inputs_of(fingerprints, problems=None):
    """Inputs of files in a folder `raw`: {relative path: fingerprint}."""
    paths = list(fingerprints)
    numbers = transposed(list(fingerprints.values()), "fingerprint")
    return Inputs("raw", paths, file_ids(paths), numbers, problems or {}, [])


def test_only_new_changed_and_unreadable_files_are_processed_again():
    entries = [entry(name, (index, 10, 20)) for index, name in enumerate("abcd")]
    found = inputs_of(
        {
            "a.png": (0, 10, 20),  # unchanged
            "b.png": (1, 10, 21),  # rewritten: a new ctime
            "c.png": (2, 10, 20),  # unchanged, but now unreadable
            "e.png": (4, 10, 20),  # new; d is gone
        },
        problems={2: "cannot be read"},
    )
    kept, todo, retired = keep_unchanged(found, {"files": FileEntries.of(entries)})
    assert list(kept) == [entries[0]]
    assert retired == ["b.npy", "c.npy", "d.npy"]  # replaced, or gone with their input
    assert todo == [
        InputFile("b", "b.png", "raw/b.png", (1, 10, 21)),
        InputFile("c", "c.png", "raw/c.png", (2, 10, 20), "cannot be read"),
        InputFile("e", "e.png", "raw/e.png", (4, 10, 20)),
    ]


def test_fingerprints_of_another_length_are_compared_row_by_row():
    entries = [entry("a", (1, 2)), entry("b", (3, 4))]  # from an earlier format, say
    found = inputs_of({"a.png": (1, 2, 9), "b.png": (3, 4, 9)})
    kept, todo, retired = keep_unchanged(found, {"files": FileEntries.of(entries)})
    assert list(kept) == [] and [item.file_id for item in todo] == ["a", "b"]


@pytest.mark.parametrize(
    "path",
    ["a.png", "b/c.png", "..png", "a/..png", "noext", "a/noext", ".hidden.png", "a.b/c",
     "a.b/c.d", "x/.y.z", "...", "a.tar.gz", "x/y/z.png", "a b/c d.PNG"],
)  # fmt: skip
def test_file_ids_of_a_whole_list_are_those_of_file_id(path):
    paths = ["q/r.png", path, "s.png"]
    assert file_ids(paths) == list(map(file_id, paths))
