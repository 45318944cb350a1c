"""The `scaffold` command line: declares commands and turns results and errors into exit codes."""

from __future__ import annotations

import json
import logging
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from scaffold import __version__
from scaffold.errors import ScaffoldError, UsageError

app = typer.Typer(
    name="scaffold",
    help="Start a luisy pipeline over thousands of files that runs, correctly and fast.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain help: options as a user types them, no <bool> beside flags
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"scaffold {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    """Start a luisy pipeline over thousands of files that runs, correctly and fast."""


NO_HOOKS = typer.Option(
    "--no-hooks", help="Run none of the template's hooks (for templates you do not trust)."
)
ConfigFile = Annotated[
    Path | None,
    typer.Option(
        "--config-file",
        metavar="PATH",
        help="Your cookiecutter config file (default_context, abbreviations)."
        " Default: $COOKIECUTTER_CONFIG, else ~/.cookiecutterrc.",
    ),
]
DefaultConfig = Annotated[
    bool,
    typer.Option("--default-config", help="Read no cookiecutter config file; use its defaults."),
]


def _fail(error: ScaffoldError) -> typer.Exit:
    typer.echo(f"Error: {error}", err=True)
    return typer.Exit(error.exit_code)


@app.command()
def new(
    name: Annotated[
        str | None,
        typer.Argument(
            metavar="NAME",
            help="Project name, e.g. 'My Image Pipeline' or a slug (the template's"
            " project_name; leave it out for a template without one).",
            show_default=False,
        ),
    ] = None,
    output_dir: Annotated[
        Path,
        typer.Option("--output-dir", "-o", metavar="DIR", help="Folder that receives the project."),
    ] = Path("."),
    set_: Annotated[
        list[str] | None,
        typer.Option("--set", metavar="KEY=VALUE", help="Answer a template variable (repeatable)."),
    ] = None,
    template: Annotated[
        str | None,
        typer.Option(
            metavar="SOURCE",
            help="Template: 'images' or 'curves' (bundled, see `scaffold templates`), a"
            " directory, a zip file, a git URL or an abbreviation (gh:org/repo, your own)."
            " Default: images.",
        ),
    ] = None,
    checkout: Annotated[
        str | None,
        typer.Option(metavar="REF", help="Branch, tag or commit of a git --template."),
    ] = None,
    directory: Annotated[
        str | None,
        typer.Option(
            metavar="DIR",
            help="The template's folder inside --template (a repository of several templates).",
        ),
    ] = None,
    config_file: ConfigFile = None,
    default_config: DefaultConfig = False,
    no_input: Annotated[
        bool, typer.Option("--no-input", help="Use defaults for everything not given.")
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="List the files that would be written; write none.")
    ] = False,
    force: Annotated[
        bool, typer.Option("--force", help="Generate into an existing project directory.")
    ] = False,
    no_hooks: Annotated[bool, NO_HOOKS] = False,
    no_git: Annotated[
        bool,
        typer.Option(
            "--no-git",
            help="Start no git repository (by default a project outside one gets its own,"
            " with a first commit).",
        ),
    ] = False,
) -> None:
    """Generate a new project from the bundled template or your team's own.

    The template's hooks run, as in cookiecutter: use only templates you trust, or pass
    --no-hooks. --dry-run runs none.
    """
    from scaffold import reports
    from scaffold.generate import is_interactive, new_project, parse_settings

    try:
        result = new_project(
            name,
            output_dir=output_dir,
            template=template,
            checkout=checkout,
            directory=directory,
            settings=parse_settings(set_ or []),
            no_input=no_input or not is_interactive(),
            dry_run=dry_run,
            force=force,
            hooks=not no_hooks,
            git=not no_git,
            config_file=config_file,
            default_config=default_config,
        )
    except ScaffoldError as error:
        raise _fail(error) from None
    _echo(reports.created_lines(result))


@app.command()
def templates() -> None:
    """List the bundled templates with their variables and defaults."""
    from scaffold import reports
    from scaffold.templates import bundled_templates

    try:
        infos = bundled_templates()
    except ScaffoldError as error:
        raise _fail(error) from None

    _echo(reports.template_lines(infos))


ProjectPath = Annotated[
    Path,
    typer.Argument(
        metavar="PATH", help="The generated project's folder.", show_default="current folder"
    ),
]


ALL = typer.Option(
    "--all",
    help="Every project at or below PATH (folders with a .scaffold.json; .git and what git"
    " ignores are skipped).",
)


def _refuse_one_project_options(**given: object) -> None:
    named = [name.rstrip("_") for name, value in given.items() if value]
    if named:
        options = ", ".join(f"--{name}" for name in named)
        raise _fail(UsageError(f"{options} applies to one project; --all takes each project's own"))


@app.command()
def check(
    path: ProjectPath = Path("."),
    json_output: Annotated[bool, typer.Option("--json", help="Print a JSON report.")] = False,
    template: Annotated[
        str | None,
        typer.Option(
            metavar="SOURCE",
            help="Compare with this copy of the project's template (e.g. a local clone).",
        ),
    ] = None,
    checkout: Annotated[
        str | None,
        typer.Option(
            metavar="REF",
            help="Compare with this branch or tag. Default: the one the project records.",
        ),
    ] = None,
    directory: Annotated[
        str | None,
        typer.Option(
            metavar="DIR",
            help="The template's folder inside its source. Default: the one the project records.",
        ),
    ] = None,
    config_file: ConfigFile = None,
    default_config: DefaultConfig = False,
    every: Annotated[bool, ALL] = False,
) -> None:
    """Say whether a project is up to date with its template, and what was edited since.

    Runs none of the template's hooks, so it is safe in CI on changes nobody reviewed yet.
    Exit 0: up to date. 1: a newer template version or commit, or conflicts to resolve.
    2: not a scaffold project, its template cannot be found, or any other error. With --all,
    one line per project and a summary; the exit code is the worst project's.
    """
    from scaffold import reports
    from scaffold.check import check_project
    from scaffold.fleet_commands import check_all

    if every:
        _refuse_one_project_options(template=template, checkout=checkout, directory=directory)
        check_all(path, json_output, config_file, default_config)
    try:
        status = check_project(
            path,
            template,
            checkout,
            directory=directory,
            config_file=config_file,
            default_config=default_config,
        )
    except ScaffoldError as error:
        if json_output:
            report = {"project": str(path.resolve()), "status": "error", "error": str(error)}
            typer.echo(json.dumps(report, indent=2))
        typer.echo(f"Error: {error}", err=True)
        raise typer.Exit(2) from None  # whatever went wrong, the project's state is unknown
    if json_output:
        typer.echo(json.dumps(status.as_dict(), indent=2))
        raise typer.Exit(status.exit_code)
    _echo([reports.status_headline(status), *reports.status_details(status)])
    raise typer.Exit(status.exit_code)


@app.command()
def link(
    template_or_path: Annotated[
        str | None,
        typer.Argument(
            metavar="[TEMPLATE]",
            help="The template the project was made from (as for `new`). Leave it out for a"
            " project with a .cruft.json.",
            show_default=False,
        ),
    ] = None,
    path: Annotated[
        Path | None,
        typer.Argument(
            metavar="[PATH]", help="The project's folder.", show_default="current folder"
        ),
    ] = None,
    checkout: Annotated[
        str | None,
        typer.Option(metavar="REF", help="Branch, tag or commit it was made from (git)."),
    ] = None,
    directory: Annotated[
        str | None,
        typer.Option(metavar="DIR", help="The template's folder inside its source."),
    ] = None,
    set_: Annotated[
        list[str] | None,
        typer.Option("--set", metavar="KEY=VALUE", help="An answer it was made with (repeatable)."),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Replace the project's .scaffold.json.")
    ] = False,
    no_input: Annotated[
        bool, typer.Option("--no-input", help="Take defaults for answers not known; ask nothing.")
    ] = False,
    config_file: ConfigFile = None,
    default_config: DefaultConfig = False,
) -> None:
    """Bring an existing project under scaffold: record its template, commit and answers.

    Answers come from --set, else from cookiecutter's replay file of the template, else are
    asked (or defaulted with --no-input). With a .cruft.json and no TEMPLATE, everything comes
    from it. Writes only .scaffold.json; then `check` lists your edits and `update` works.
    """
    from scaffold import reports
    from scaffold.generate import is_interactive, parse_settings
    from scaffold.link import link_project, template_and_project

    template, path = template_and_project(template_or_path, path, directory)
    try:
        linked = link_project(
            path,
            template,
            checkout=checkout,
            directory=directory,
            settings=parse_settings(set_ or []),
            no_input=no_input or not is_interactive(),
            force=force,
            config_file=config_file,
            default_config=default_config,
        )
    except ScaffoldError as error:
        raise _fail(error) from None
    typer.echo(reports.linked_line(linked))


@app.command()
def diff(
    path: ProjectPath = Path("."),
    exit_code: Annotated[
        bool,
        typer.Option("--exit-code", help="Exit 1 when there are changes, 0 when none (as git)."),
    ] = False,
    template: Annotated[
        str | None,
        typer.Option(
            metavar="SOURCE",
            help="Render from this copy of the project's template (e.g. a local clone).",
        ),
    ] = None,
) -> None:
    """Show your changes to the template's files as a unified diff (a/ template, b/ project).

    Compares with the template rendered with the project's answers at the version or commit
    that made it. Runs none of the template's hooks, as check: it compares the template's own
    files. Files you added are your own and not shown; template files you deleted are shown
    as deleted; files the project's git ignores are left out. Writes nothing.

    Exit 0 (with --exit-code: 1 when there are changes). 2: not a scaffold project, its
    template cannot be found, or any other error.
    """
    from scaffold.diff import diff_project

    try:
        text = diff_project(path, template)
    except ScaffoldError as error:
        typer.echo(f"Error: {error}", err=True)
        raise typer.Exit(2) from None
    typer.echo(text.encode("utf-8"), nl=False)
    if exit_code and text:
        raise typer.Exit(1)


@app.command()
def update(
    path: ProjectPath = Path("."),
    set_: Annotated[
        list[str] | None,
        typer.Option("--set", metavar="KEY=VALUE", help="Change an answer (repeatable)."),
    ] = None,
    template: Annotated[
        str | None,
        typer.Option(
            metavar="SOURCE",
            help="Take the newest template from here (e.g. a local clone of it).",
        ),
    ] = None,
    checkout: Annotated[
        str | None,
        typer.Option(
            metavar="REF",
            help="Branch, tag or commit of a git template to update to."
            " Default: the one the project records.",
        ),
    ] = None,
    directory: Annotated[
        str | None,
        typer.Option(
            metavar="DIR",
            help="The template's folder inside its source, if it moved there."
            " Default: the one the project records.",
        ),
    ] = None,
    config_file: ConfigFile = None,
    default_config: DefaultConfig = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what would change; write nothing.")
    ] = False,
    continue_: Annotated[
        bool,
        typer.Option("--continue", help="Finish an update whose conflicts you have resolved."),
    ] = False,
    no_hooks: Annotated[bool, NO_HOOKS] = False,
    every: Annotated[bool, ALL] = False,
) -> None:
    """Merge the newest template into a project, keeping your edits.

    Renders both template versions in a throwaway folder with their hooks, as generation
    made the project (--no-hooks refuses them). Lines changed on both sides get conflict
    markers and the exit code is 1: resolve them, then run `scaffold update --continue`.
    With --all, every project below PATH in turn, each all or nothing; the ones that need
    you are listed at the end.
    """
    from scaffold import reports
    from scaffold.fleet_commands import update_all
    from scaffold.generate import parse_settings
    from scaffold.update import finish_update, update_project

    if every:
        _refuse_one_project_options(
            set=set_, template=template, checkout=checkout, directory=directory,
            continue_=continue_,
        )  # fmt: skip
        update_all(path, dry_run, not no_hooks, config_file, default_config)
    try:
        if continue_:
            if set_ or template or checkout or directory or dry_run or no_hooks:
                raise UsageError("--continue takes no other option: it only finishes an update")
            finished = finish_update(path)
            typer.echo(
                f"Finished the update to {finished.template_name} {finished.template_version}"
            )
            return
        result = update_project(
            path,
            parse_settings(set_ or []),
            template=template,
            checkout=checkout,
            dry_run=dry_run,
            hooks=not no_hooks,
            directory=directory,
            config_file=config_file,
            default_config=default_config,
        )
    except ScaffoldError as error:
        raise _fail(error) from None
    _echo(reports.update_lines(result, dry_run))
    if result.conflicts:
        _echo(reports.conflict_lines(result, dry_run), err=True)
        raise typer.Exit(1)


@app.command()
def recover(path: ProjectPath = Path(".")) -> None:
    """Finish or undo a change that a stopped scaffold command left in a project.

    Commands that change a project do this first on their own; check refuses until it is done.
    """
    from scaffold.journal import recover_project

    try:
        recovered = recover_project(path)
    except ScaffoldError as error:
        raise _fail(error) from None
    if not recovered:
        typer.echo(f"{path.resolve().name}: no stopped change to finish or undo")


add_app = typer.Typer(
    help="Add parts to a generated project.", no_args_is_help=True, rich_markup_mode=None
)
app.add_typer(add_app, name="add")


class Layer(StrEnum):
    interim = "interim"
    final = "final"


@add_app.command("task")
def add_task(
    name: Annotated[
        str, typer.Argument(metavar="NAME", help="The task's class name, e.g. GreenChannel.")
    ],
    path: ProjectPath = Path("."),
    input_task: Annotated[
        str | None,
        typer.Option(
            "--input",
            metavar="TASK",
            help="The task it reads. Default: what the final tasks read (e.g. the interim"
            " arrays), else the last task in tasks.py.",
        ),
    ] = None,
    layer: Annotated[Layer, typer.Option(help="Where its outputs land.")] = Layer.final,
    template: Annotated[
        str | None,
        typer.Option(metavar="SOURCE", help="Where the project's template is now, if it moved."),
    ] = None,
) -> None:
    """Add a directory task to a generated project, wired to its input task, with a test."""
    from scaffold import reports
    from scaffold.add_task import add_task as add

    try:
        added = add(path, name, input_task=input_task, layer=layer.value, template=template)
    except ScaffoldError as error:
        raise _fail(error) from None
    _echo(reports.added_task_lines(added))


def _echo(lines: list[str], err: bool = False) -> None:
    for line in lines:
        typer.echo(line, err=err)


def main() -> None:
    """Entry point of the `scaffold` console script."""
    # What scaffold does on its own (finishing a change a stopped command left) goes to stderr.
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("scaffold: %(message)s"))
    logging.getLogger("scaffold").addHandler(handler)
    app(prog_name="scaffold")
