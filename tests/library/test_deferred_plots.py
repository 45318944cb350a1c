"""luisy's plotting module (and matplotlib with it) loads when first used, not with luisy."""

import os
import subprocess
import sys

PLOT_AFTER_IMPORT = """
import sys
import luisy_directory_tasks
import luisy
print("loaded at import:", sorted({"matplotlib", "networkx"} & set(sys.modules)))

class Leaf(luisy.Task):
    pass

@luisy.requires(Leaf)
class Root(luisy.Task):
    pass

Root().visualize()  # luisy's own method, through the name luisy imported at its start
import matplotlib.pyplot as plt
import luisy.visualize as vis
print("axes drawn:", len(plt.gcf().axes), "patches:", len(plt.gca().patches))
print("module works:", vis.unique_types([1, "a", 2]), vis.visualize_task.__module__)
"""


def run_python(code):
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True, text=True, timeout=300, env={**os.environ, "MPLBACKEND": "Agg"},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def test_luisy_loads_without_matplotlib_and_visualize_still_draws():
    output = run_python(PLOT_AFTER_IMPORT)
    assert "loaded at import: []" in output
    drawn = next(line for line in output.splitlines() if line.startswith("axes drawn"))
    assert drawn.startswith("axes drawn: 1") and not drawn.endswith("patches: 0")
    assert "module works: [1, 'a'] luisy.visualize" in output


def test_luisy_imported_first_is_left_as_it_is():
    output = run_python(
        "import sys, luisy, luisy_directory_tasks, luisy.visualize as vis\n"
        "print('matplotlib' in sys.modules, hasattr(vis, 'plt'), '__getattr__' in vars(vis))"
    )
    assert output.strip().endswith("True True False")
