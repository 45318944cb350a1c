"""The `scaffold` command line: declares commands and turns results and errors into exit codes."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from scaffold import __version__
from scaffold.errors import ScaffoldError

app = typer.Typer(
    name="scaffold",
    help="Start a luisy pipeline over thousands of files that runs, correctly and fast.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
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


def _fail(error: ScaffoldError) -> typer.Exit:
    typer.echo(f"Error: {error}", err=True)
    return typer.Exit(error.exit_code)


@app.command()
def new(
    name: Annotated[str, typer.Argument(help="Project name, e.g. 'My Image Pipeline' or a slug.")],
    output_dir: Annotated[
        Path, typer.Option("--output-dir", "-o", help="Folder that receives the project.")
    ] = Path("."),
    set_: Annotated[
        list[str] | None,
        typer.Option("--set", metavar="KEY=VALUE", help="Answer a template variable (repeatable)."),
    ] = None,
    template: Annotated[
        str | None,
        typer.Option(help="Template: a directory, a zip file or a git URL. Default: bundled."),
    ] = None,
    checkout: Annotated[
        str | None, typer.Option(help="Branch, tag or commit of a git --template.")
    ] = None,
    no_input: Annotated[
        bool, typer.Option("--no-input", help="Use defaults for everything not given.")
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="List the files that would be written; write none.")
    ] = False,
    force: Annotated[
        bool, typer.Option("--force", help="Generate into an existing project directory.")
    ] = False,
) -> None:
    """Generate a new project from the bundled template or your team's own."""
    from scaffold.generate import is_interactive, new_project, parse_settings

    try:
        result = new_project(
            name,
            output_dir=output_dir,
            template=template,
            checkout=checkout,
            settings=parse_settings(set_ or []),
            no_input=no_input or not is_interactive(),
            dry_run=dry_run,
            force=force,
        )
    except ScaffoldError as error:
        raise _fail(error) from None
    if result.dry_run:
        typer.echo(f"Would write {len(result.files)} files into {result.project_dir}:")
        for path in result.files:
            typer.echo(f"  {path}")
        return
    typer.echo(f"Created {result.project_dir}")
    if result.next_steps:
        typer.echo("Next:")
        typer.echo(f"  cd {result.project_dir}")
        for step in result.next_steps:
            typer.echo(f"  {step}")


@app.command()
def templates() -> None:
    """List the bundled templates with their variables and defaults."""
    from scaffold.templates import bundled_templates

    try:
        infos = bundled_templates()
    except ScaffoldError as error:
        raise _fail(error) from None
    for info in infos:
        typer.echo(f"{info.name} (version {info.version})")
        if info.description:
            typer.echo(f"  {info.description}")
        for key, default in info.variables.items():
            typer.echo(f"  {key} = {default!r}")


def main() -> None:
    """Entry point of the `scaffold` console script."""
    app(prog_name="scaffold")
