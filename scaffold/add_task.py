"""`scaffold add task`: add a directory task to a generated project from its template's overlay.

A template says how to add a task in its `add-task/` folder. Each file there is a Jinja template
(path included) rendered with the project's answers as `cookiecutter` and the new task as
`task` (name, module, input, layer). A file whose path names the task (`task.` in it) is
created and must not exist yet; any other file must exist and gets the rendered text appended.
Nothing else in the project is touched.
"""

from __future__ import annotations

import ast
import builtins
import keyword
import re
from dataclasses import dataclass, field
from pathlib import Path

from scaffold.answers import build_answers
from scaffold.errors import GenerationFailed, UsageError, one_line
from scaffold.files import project_path
from scaffold.hooks import importable
from scaffold.journal import FileWrite, change_files, open_project
from scaffold.provenance import read_provenance
from scaffold.scratch import private_temp
from scaffold.sources import BUNDLED
from scaffold.templates import read_template_info
from scaffold.user_config import load_user_config
from scaffold.versions import open_recorded_template

OVERLAY = "add-task"
LAYERS = ("interim", "final")
_TASK_NAME = re.compile(r"[A-Z][A-Za-z0-9]*")
_WORD_START = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
MAX_TASK_NAME = 40  # keeps the generated lines within the project's line length


@dataclass
class AddedTask:
    """What `add_task` wrote: files created and files extended, relative to the project."""

    project_dir: Path
    name: str
    input: str
    layer: str
    input_reason: str = ""  # why `input` was chosen when no input was given
    created: list[str] = field(default_factory=list)
    extended: list[str] = field(default_factory=list)


def module_name(task_name: str) -> str:
    """The snake_case form of a task name, e.g. 'HDRMerge' -> 'hdr_merge'."""
    return _WORD_START.sub("_", task_name).lower()


def check_task_name(name: str) -> None:
    """Refuse a task name that is not a CamelCase Python class name."""
    if hasattr(builtins, name):
        raise UsageError(f"invalid task name {name!r}: it would hide Python's built-in {name}")
    if name.startswith("Test"):
        raise UsageError(
            f"invalid task name {name!r}: pytest would collect a class named Test... as tests"
        )
    if not _TASK_NAME.fullmatch(name) or keyword.iskeyword(name) or len(name) > MAX_TASK_NAME:
        raise UsageError(
            f"invalid task name {name!r}: a task is a Python class, so use CamelCase letters"
            f" and digits starting with a capital, at most {MAX_TASK_NAME} characters,"
            " e.g. 'GreenChannel'"
        )


def add_task(
    project_dir: Path | str,
    name: str,
    *,
    input_task: str | None = None,
    layer: str = "final",
    template: str | None = None,
) -> AddedTask:
    """Add task `name`, reading `input_task`, to a project. By default it reads what the
    project's final tasks read (e.g. the interim arrays), else the last task defined.
    `template` is where to find the project's template if it moved."""
    project_dir = Path(project_dir).resolve()
    check_task_name(name)
    with private_temp(), open_project(project_dir):
        return _add(project_dir, name, input_task, layer, template)


def _add(project_dir, name, input_task, layer, template) -> AddedTask:
    provenance = read_provenance(project_dir)
    if layer not in LAYERS:
        raise UsageError(f"unknown layer {layer!r}; use one of: {', '.join(LAYERS)}")
    task = {"name": name, "module": module_name(name), "layer": layer, "input": input_task}
    config = load_user_config() if template else None  # for an abbreviation in `template`
    with open_recorded_template(provenance, template, config) as template_dir:
        overlay = Path(template_dir) / OVERLAY
        if not overlay.is_dir():
            raise UsageError(
                f"template {provenance.template_name} {provenance.template_version} has no"
                f" {OVERLAY}/ folder that says how to add a task; if a newer version has,"
                " run `scaffold update` first"
            )
        info = read_template_info(template_dir)
        with importable(template_dir):
            context = build_answers(
                info,
                None,
                {},
                no_input=True,
                recorded=provenance.answers,
                template_rules=provenance.template_source == BUNDLED,
            )
            rendered = _render_overlay(overlay, context, task, project_dir)
    added = AddedTask(project_dir, name, task["input"], layer, task.get("input_reason", ""))
    _write(project_dir, rendered, added)
    return added


def _render_overlay(overlay: Path, context: dict, task: dict, project_dir: Path) -> dict:
    """{relative path: (text, whether the file is new)}, after checking the task against the
    project."""
    from cookiecutter.utils import create_env_with_context
    from jinja2 import TemplateError

    env = create_env_with_context(context)
    sources = sorted(p for p in overlay.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    try:
        targets = {
            source: env.from_string(source.relative_to(overlay).as_posix()).render(
                cookiecutter=context["cookiecutter"], task=task
            )
            for source in sources
        }
        is_new = {
            target: "task." in source.relative_to(overlay).as_posix()
            for source, target in targets.items()
        }
        _check_against_project(project_dir, is_new, task)
        rendered = {
            target: (
                env.from_string(source.read_text(encoding="utf-8")).render(
                    cookiecutter=context["cookiecutter"], task=task
                ),
                is_new[target],
            )
            for source, target in targets.items()
        }
    except TemplateError as error:
        raise GenerationFailed(f"the template's {OVERLAY}/ failed: {one_line(error)}") from None
    for target, (text, is_new) in rendered.items():
        if is_new and target.endswith(".py"):
            _refuse_clash(target, text, task["name"])
    return rendered


def _refuse_clash(target: str, text: str, name: str) -> None:
    """Refuse a task name that a new module also takes for something else (e.g. an import)."""
    try:
        tree = ast.parse(text, filename=target)
    except SyntaxError as error:
        raise GenerationFailed(
            f"the template's {OVERLAY}/ made invalid {target}: {error}"
        ) from None
    bound = [n for node in tree.body for n in _names_defined(node)]
    if bound.count(name) > 1:
        raise UsageError(f"invalid task name {name!r}: {target} uses that name for something else")


def _check_against_project(project_dir: Path, targets: dict[str, bool], task: dict) -> None:
    """Refuse a name that exists or an unknown input task; fill in the default input task.
    `targets` maps each path to True for a new file, False for a file to extend."""
    defined: dict[str, str] = {}  # module-level name -> file
    tasks: list[str] = []
    final_inputs: list[tuple[str, str]] = []  # (final task, the task it reads)
    for target, is_new in targets.items():
        path = project_path(project_dir, target)
        if is_new:
            if path.exists():
                raise UsageError(f"{target} already exists; choose another task name")
            continue
        if not path.is_file():
            raise UsageError(f"the project has no {target} to add the task to")
        if path.suffix != ".py":
            continue
        try:
            tree = ast.parse(path.read_bytes(), filename=target)
        except (SyntaxError, ValueError) as error:
            raise UsageError(f"cannot read {target}: {one_line(error)}; fix it first") from None
        for node in tree.body:
            for defined_name in _names_defined(node):
                defined.setdefault(defined_name, target)
            if isinstance(node, ast.ClassDef) and _looks_like_task(node):
                tasks.append(node.name)
                final_inputs += [(node.name, read) for read in _final_task_input(node)]
    if task["name"] in defined:
        raise UsageError(
            f"{task['name']} already exists in {defined[task['name']]}; choose another name"
        )
    if not tasks:
        raise UsageError(f"found no task classes to read from in {', '.join(targets)}")
    if task["input"] is None:
        task["input"], task["input_reason"] = _default_input(tasks, final_inputs)
    elif task["input"] not in tasks:
        raise UsageError(
            f"unknown input task {task['input']!r}; the project's tasks are: {', '.join(tasks)}"
        )


def _default_input(tasks: list[str], final_inputs: list[tuple[str, str]]) -> tuple[str, str]:
    """(input task, why): what the first final task reads, so that a new task works on the
    same data as the project's results (a GreenChannel beside RedChannel reads ToNumpy, not
    the red channels); the last task when no final task reads another task."""
    for final, read in final_inputs:
        if read in tasks:
            return read, f"what {final} reads"
    return tasks[-1], "the last task"


def _final_task_input(node: ast.ClassDef) -> list[str]:
    """[the task it reads] for a class decorated as final (`@luisy.final`) that names its
    input with `@luisy.requires(Task, ...)`; [] otherwise."""
    names = [ast.unparse(d.func if isinstance(d, ast.Call) else d) for d in node.decorator_list]
    if not any(name.split(".")[-1] == "final" for name in names):
        return []
    for decorator in node.decorator_list:
        if (
            isinstance(decorator, ast.Call)
            and ast.unparse(decorator.func).split(".")[-1] == "requires"
            and decorator.args
            and isinstance(decorator.args[0], ast.Name)
        ):
            return [decorator.args[0].id]
    return []


def _looks_like_task(node: ast.ClassDef) -> bool:
    """A class whose base is named like a luigi task (DirectoryTask, luisy.ExternalTask, ...)."""
    return any(ast.unparse(base).endswith("Task") for base in node.bases)


def _names_defined(node: ast.stmt) -> list[str]:
    if isinstance(node, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
        return [node.name]
    if isinstance(node, ast.Import | ast.ImportFrom):
        return [(alias.asname or alias.name).split(".")[0] for alias in node.names]
    if isinstance(node, ast.Assign | ast.AnnAssign):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        return [n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)]
    return []


def _write(project_dir: Path, rendered: dict[str, tuple[str, bool]], added: AddedTask) -> None:
    """Create the new files and extend the others, all or nothing."""
    writes = []
    for target, (text, is_new) in rendered.items():
        if is_new:
            writes.append(FileWrite(target, text.encode("utf-8")))
            added.created.append(target)
            continue
        try:
            existing = project_path(project_dir, target).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise GenerationFailed(f"cannot read {target}, nothing changed: {error}") from None
        if existing and not existing.endswith("\n"):
            existing += "\n"
        writes.append(FileWrite(target, (existing + text).encode("utf-8"), mode_from=target))
        added.extended.append(target)
    change_files(project_dir, writes)
