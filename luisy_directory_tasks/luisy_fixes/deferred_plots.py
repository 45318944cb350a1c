"""luisy imports `luisy.visualize`, and with it matplotlib and networkx, whenever luisy is
imported, for `Task.visualize()`, which a pipeline run never calls: about a third of the time
`import luisy` takes, paid by every run. Until something of it is used, a stand-in takes the
module's place; its first use loads the real module into the stand-in.

Installed before luisy loads (luisy_fixes.install); once luisy is imported, nothing changes.
"""

import importlib.machinery
import importlib.util
import sys
import threading

MODULE = "luisy.visualize"
# What luisy itself imports from the module when it loads, without calling it.
NAMES_IMPORTED_BY_LUISY = ("visualize_task",)


def defer():
    """Have `luisy.visualize` stand in until first used (when luisy is not imported yet)."""
    if "luisy" in sys.modules or MODULE in sys.modules:
        return
    if not any(isinstance(finder, _StandInFinder) for finder in sys.meta_path):
        sys.meta_path.insert(0, _StandInFinder())


class _StandInFinder:
    """Finds `luisy.visualize` once, as the stand-in."""

    def find_spec(self, name, path=None, target=None):
        if name != MODULE:
            return None
        sys.meta_path.remove(self)
        real = importlib.machinery.PathFinder.find_spec(name, path)
        if real is None:
            return None
        return importlib.util.spec_from_loader(name, _StandInLoader(real), origin=real.origin)


class _StandInLoader:
    def __init__(self, real_spec):
        self.real_spec = real_spec

    def create_module(self, spec):
        return None  # the default module

    def exec_module(self, module):
        real_spec, loading = self.real_spec, threading.Lock()

        def load():
            """The module, with everything the real one defines (run once, on first use)."""
            with loading:  # a second caller waits for the first to finish loading
                if "__getattr__" in vars(module):
                    real = importlib.util.module_from_spec(real_spec)
                    real_spec.loader.exec_module(real)
                    for name, value in vars(real).items():
                        if not name.startswith("__"):
                            setattr(module, name, value)
                    del module.__getattr__
            return module

        def stand_in_for(name):
            def call(*args, **kwargs):
                return getattr(load(), name)(*args, **kwargs)

            call.__name__ = call.__qualname__ = name
            return call

        def __getattr__(name):  # noqa: N807 (a module's own attribute hook)
            if name.startswith("__"):
                raise AttributeError(name)
            return getattr(load(), name)

        module.__getattr__ = __getattr__
        for name in NAMES_IMPORTED_BY_LUISY:
            setattr(module, name, stand_in_for(name))
