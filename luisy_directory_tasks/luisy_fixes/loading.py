"""Run a function right after luisy is first imported, or at once if it already is.

Waiting for luisy's own import keeps commands that do not need luisy quick (`--help`): luisy
loads pandas, matplotlib and luigi, which takes seconds.
"""

import importlib.util
import sys


def after_luisy_loads(function):
    """Call `function()` now if luisy is imported, else as soon as luisy's package has loaded."""
    if "luisy" in sys.modules:
        function()
    elif not any(isinstance(finder, _AfterLuisy) for finder in sys.meta_path):
        sys.meta_path.insert(0, _AfterLuisy(function))


class _AfterLuisy:
    """An import finder that finds nothing itself: it passes luisy's own spec on, with a loader
    that calls `function` once luisy's package has run."""

    def __init__(self, function):
        self.function = function

    def find_spec(self, name, path=None, target=None):
        if name != "luisy":
            return None
        sys.meta_path.remove(self)  # once, and the lookup below must not come back here
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.loader is not None:
            spec.loader = _ThenCall(spec.loader, self.function)
        return spec


class _ThenCall:
    """luisy's own loader, then `function`."""

    def __init__(self, loader, function):
        self.loader, self.function = loader, function

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module):
        self.loader.exec_module(module)
        self.function()

    def __getattr__(self, name):  # resources, source code and the like: luisy's loader answers
        return getattr(self.loader, name)
