"""Fingerprints as columns of numbers: one array of 64-bit integers per position (size, mtime,
ctime), in memory and in a manifest.

Every run compares the fingerprints of every file with those committed; for hundreds of
thousands of files, arrays take a fifth of the memory of Python integers in tuples and compare
in one call. A manifest stores each array as base64 text, which parses in one step. A value that
does not fit in 64 bits (a file dated after 2262) keeps its column a plain list of integers.
"""

import base64
import binascii
import sys
from array import array

import numpy as np

_LITTLE = sys.byteorder == "little"


def number_column(values):
    """`values` (integers) as an array of 64-bit integers, or a list when one does not fit."""
    values = values if isinstance(values, (list, array)) else list(values)
    try:
        return array("q", values)
    except OverflowError:
        return list(values)


def picked(column, positions):
    """The values of `column` at `positions` (a list or a numpy array of integers), as a
    column of the same kind."""
    if type(column) is array:
        chosen = np.frombuffer(column, dtype=np.int64)[np.asarray(positions, dtype=np.intp)]
        return array("q", chosen.tobytes())
    return list(map(column.__getitem__, positions))


def joined(first, second):
    """`first` followed by `second`, as one column."""
    if type(first) is array and type(second) is array:
        return first + second
    return number_column([*first, *second])


def extended(column, values):
    """`column` with `values` (integers) added at its end, in place where it can be."""
    more = number_column(values)
    if type(column) is array:
        if type(more) is array:
            column.extend(more)
            return column
        column = list(column)
    column.extend(more)
    return column


def rows(columns, count):
    """The columns (one per position) as one tuple per file; `count` files."""
    return list(zip(*columns, strict=True)) if columns else [()] * count


def transposed(rows_, what):
    """Rows of numbers (one sequence per file, all of one length) as one column per position."""
    lengths = set(map(len, rows_))
    if len(lengths) > 1:
        raise ValueError(f"the {what}s of one manifest must have one length")
    return [number_column(values) for values in zip(*rows_, strict=True)] if rows_ else []


def same_columns(first, second):
    """True when both hold the same columns of the same numbers (arrays compare in one call; an
    array and a list never compare equal here, which makes callers take their slow path)."""
    return len(first) == len(second) and all(
        type(a) is type(b) and a == b for a, b in zip(first, second, strict=False)
    )


def encoded(column):
    """A column as a manifest stores it: base64 of little-endian 64-bit integers, or the list
    of integers when they do not fit."""
    if type(column) is not array:
        return list(column)
    if not _LITTLE:
        column = array("q", column)
        column.byteswap()
    return base64.b64encode(column.tobytes()).decode("ascii")


def decoded(stored, count):
    """The column a manifest stores as `stored` (encoded() text, or a list of integers) of
    `count` numbers; ValueError when it is neither."""
    if type(stored) is str:
        try:
            data = base64.b64decode(stored, validate=True)
        except binascii.Error:
            raise ValueError("not base64") from None
        if len(data) != 8 * count:
            raise ValueError(f"not {count} numbers")
        column = array("q")
        column.frombytes(data)
        if not _LITTLE:
            column.byteswap()
        return column
    if type(stored) is list and len(stored) == count and set(map(type, stored)) <= {int}:
        return number_column(stored)
    raise ValueError(f"not {count} integers")
