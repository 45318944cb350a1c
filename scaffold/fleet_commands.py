"""`check --all` and `update --all`: each project's line as it ends, a summary, and the exit
code of the worst (see fleet.py for finding the projects)."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from scaffold import reports
from scaffold.errors import ScaffoldError


def echo_lines(lines: list[str], err: bool = False) -> None:
    for line in lines:
        typer.echo(line, err=err)


def check_all(root: Path, json_output: bool, config_file, default_config: bool) -> None:
    """Check every project below `root`; exit with the worst project's code."""
    from scaffold.check import check_project
    from scaffold.fleet import each_project

    def check_one(project: Path):
        return check_project(project, config_file=config_file, default_config=default_config)

    reports_, codes = [], []
    counts = {"up to date": 0, "behind their template or waiting for you": 0, "errors": 0}
    try:
        for outcome in each_project(root, check_one):
            name = reports.fleet_name(root, outcome.project_dir)
            if outcome.error:
                codes.append(2)
                counts["errors"] += 1
                reports_.append({"project": str(outcome.project_dir), "status": "error",
                                 "error": str(outcome.error)})  # fmt: skip
                if not json_output:
                    typer.echo(f"{name}: error: {outcome.error}")
                continue
            status = outcome.result
            codes.append(status.exit_code)
            counts["up to date" if status.exit_code == 0 else
                   "behind their template or waiting for you"] += 1  # fmt: skip
            reports_.append(status.as_dict())
            if not json_output:
                typer.echo(reports.status_headline(status, name))
    except ScaffoldError as error:
        typer.echo(f"Error: {error}", err=True)
        raise typer.Exit(2) from None
    if json_output:
        typer.echo(json.dumps(reports_, indent=2))
    else:
        typer.echo(reports.fleet_summary(counts))
    raise typer.Exit(reports.fleet_exit_code(codes))


def update_all(root: Path, dry_run: bool, hooks: bool, config_file, default_config: bool):
    """Update every project below `root`, each all or nothing; list those that need the user."""
    from scaffold.fleet import each_project
    from scaffold.update import update_project

    def update_one(project: Path):
        return update_project(
            project, {}, dry_run=dry_run, hooks=hooks, config_file=config_file,
            default_config=default_config,
        )  # fmt: skip

    waiting, codes = [], []
    counts = {"updated": 0, "up to date": 0, "with conflicts": 0, "errors": 0}
    try:
        for outcome in each_project(root, update_one):
            name = reports.fleet_name(root, outcome.project_dir)
            if outcome.error:
                codes.append(2)
                counts["errors"] += 1
                waiting.append(f"{name}: {outcome.error}")
                typer.echo(f"{name}: error: {outcome.error}", err=True)
                continue
            result = outcome.result
            echo_lines(reports.update_lines(result, dry_run, name))
            if result.conflicts:
                codes.append(1)
                counts["with conflicts"] += 1
                waiting.append(
                    f"{name}: conflict markers in {len(result.conflicts)} file(s); resolve them,"
                    " then run `scaffold update --continue` there"
                )
            else:
                codes.append(0)
                counts["updated" if result.changes else "up to date"] += 1
    except ScaffoldError as error:
        typer.echo(f"Error: {error}", err=True)
        raise typer.Exit(2) from None
    typer.echo(reports.fleet_summary(counts))
    if waiting:
        echo_lines([f"Needs you ({len(waiting)}):", *(f"  {line}" for line in waiting)], err=True)
    raise typer.Exit(reports.fleet_exit_code(codes))
