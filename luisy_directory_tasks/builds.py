"""One build, one look at each folder: what a luisy run learns about the files is remembered
until the run ends.

luigi asks a directory task whether it is complete several times in one build (inside its
dependent's complete(), on its own, before its dependent runs, and `run` asks again at the end),
and each answer lists and stats every file of its input folder and walks its output folder. In a
build (`one_build()`, which luisy's runs enter, see luisy_fixes/builds.py) each such look is
made once: every answer describes the folders as the build first saw them, and a file changed
while the build runs is picked up by the next one, as luigi already assumes for the completeness
of a task it ran. Outside a build nothing is remembered.
"""

import contextlib

_looks = None  # {key: result} while a build runs, else None


@contextlib.contextmanager
def one_build():
    """Remember each look at the files until the outermost `one_build()` ends."""
    global _looks
    outer = _looks
    if outer is None:
        _looks = {}
    try:
        yield
    finally:
        _looks = outer


def looked_up(key, look, again=False):
    """`look()`, made once per build for `key` (every time outside a build; `again`: now, and
    remembered for the rest of the build); do not modify what it returns."""
    if _looks is None:
        return look()
    if again or key not in _looks:
        _looks[key] = look()
    return _looks[key]
