"""Projects made from every archived template version, which carried the machinery in their own
package, move to the library with `scaffold update`: the user's own task and function survive,
the machinery files the user never edited go, an edited one stays and is named, and the
pipeline's results come out byte for byte as before."""

import subprocess
import sys

import pytest
from typer.testing import CliRunner

from scaffold.cli import app
from scaffold.history import HISTORY_DIR
from tests.conftest import bake_bundled_version

pytestmark = pytest.mark.slow

PACKAGE = "lab_images"
VENDORED_VERSIONS = sorted(
    path.stem.removeprefix("luisy-pipeline-") for path in HISTORY_DIR.glob("luisy-pipeline-1.*.zip")
)
USER_FUNCTION = '''

def green_channel(image):
    """Channel 1 of a colour image; a grayscale image as it is (the user's own function)."""
    return image if image.ndim == 2 else np.ascontiguousarray(image[:, :, 1])
'''
USER_TASK = '''

from lab_images.images import green_channel  # noqa: E402


@luisy.final
@luisy.requires(ToNumpy)
class GreenChannel(DirectoryTask):
    """The user's own task."""

    def transform(self, data):
        return green_channel(data)
'''
LUISY_GREEN = ["luisy", "--module", f"{PACKAGE}.tasks", "GreenChannel", "--working-dir", "data",
               "--no-ask", "--local-scheduler"]  # fmt: skip
# The machinery file the user edits: where each version kept its progress reporting.
PROGRESS_MODULES = ("directory_tasks/progress.py", "progress.py")
USERS_MODULES = {"__init__.py", "__main__.py", "images.py", "tasks.py"}


def run(*command, cwd):
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=900)


def python(*command, cwd):
    return run(sys.executable, "-m", *command, cwd=cwd)


def git(project, *args):
    result = run("git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args, cwd=project)
    assert result.returncode == 0, result.stderr


def results(project, task):
    """{relative path: bytes} of a task's .npy outputs."""
    folder = project / "data" / PACKAGE / "final" / task
    return {path.relative_to(folder): path.read_bytes() for path in sorted(folder.rglob("*.npy"))}


def package_file(project):
    return project / "src" / PACKAGE


def make_users_project(version, tmp_path):
    """A project of `version` with the user's own task and function, a machinery file the user
    edited, and a committed first run."""
    project = bake_bundled_version(version, "Lab Images", tmp_path)
    with open(project / "src" / PACKAGE / "images.py", "a") as images:
        images.write(USER_FUNCTION)
    with open(project / "src" / PACKAGE / "tasks.py", "a") as tasks:
        tasks.write(USER_TASK)
    edited = next(path for path in map(package_file(project).__truediv__, PROGRESS_MODULES)
                  if path.exists())  # fmt: skip
    edited.write_text(edited.read_text() + "# tuned for our cluster\n")
    git(project, "init", "-q")
    git(project, "add", "-A")
    git(project, "commit", "-qm", "our pipeline")
    return project, edited.relative_to(project).as_posix()


@pytest.mark.parametrize("version", VENDORED_VERSIONS)
def test_a_project_with_its_own_task_moves_to_the_library(version, tmp_path):
    project, edited = make_users_project(version, tmp_path)
    install = python("pip", "install", "-q", "--no-deps", "--no-build-isolation", "-e", ".",
                     cwd=project)  # fmt: skip
    assert install.returncode == 0, install.stderr
    try:
        # Older versions' `run` ran RedChannel only; luisy's command runs the user's task.
        for command in ([PACKAGE, "samples"], [PACKAGE, "run"], LUISY_GREEN):
            before_run = python(*command, cwd=project)
            assert before_run.returncode == 0, before_run.stdout + before_run.stderr
        red_before, green_before = results(project, "RedChannel"), results(project, "GreenChannel")

        update = CliRunner().invoke(app, ["update", str(project)])

        assert update.exit_code == 0, update.output
        assert "install the project again" in update.output
        install = python("pip", "install", "-q", "--no-deps", "--no-build-isolation", "-e", ".",
                         cwd=project)  # fmt: skip
        assert install.returncode == 0, install.stderr
        after_run = python(PACKAGE, "run", cwd=project)
        tests = python("pytest", "-q", "-p", "no:cacheprovider", cwd=project)
    finally:
        python("pip", "uninstall", "-y", "lab-images", cwd=project)
    assert "next run recomputes the tasks that use what changed" in update.output
    assert f"keep yours   {edited}: removed from the template, changed by you" in update.output
    package = package_file(project)
    left = {path.relative_to(package).as_posix() for path in package.rglob("*.py")}
    assert left == USERS_MODULES | {edited.removeprefix(f"src/{PACKAGE}/")}
    tasks = (package / "tasks.py").read_text()
    assert "from luisy_directory_tasks import DirectoryTask" in tasks
    assert "class GreenChannel(DirectoryTask)" in tasks
    assert "def green_channel(image)" in (package / "images.py").read_text()
    assert after_run.returncode == 0, after_run.stdout + after_run.stderr
    assert "RedChannel: wrote 6 file(s)" in after_run.stdout  # the hashes changed
    assert results(project, "RedChannel") == red_before
    assert results(project, "GreenChannel") == green_before
    assert len(green_before) == 6
    assert tests.returncode == 0, tests.stdout[-3000:] + tests.stderr[-2000:]
