"""The answers a project is made with: the template's defaults, recorded answers, NAME, --set
and prompts, checked and kept as data."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping

from scaffold.errors import BadSetting, GenerationFailed, UnknownVariable, UsageError, one_line
from scaffold.hooks import importable
from scaffold.library import VARIABLE as LIBRARY_VARIABLE
from scaffold.library import library_requirement
from scaffold.names import check_project_name, check_slug
from scaffold.prompts import asking
from scaffold.templates import TemplateInfo, template_problems


def build_answers(
    info: TemplateInfo,
    name: str | None,
    settings: Mapping[str, str],
    *,
    no_input: bool,
    recorded: Mapping[str, object] = (),
    extra_context: Mapping[str, object] = (),
    template_rules: bool = True,
    default_context: Mapping[str, object] = (),
) -> dict:
    """Return the cookiecutter context for `info`: defaults, then the user's cookiecutter
    `default_context`, recorded answers, NAME, --set and prompts. Recorded answers the template
    no longer asks for are dropped.

    `template_rules` is for the bundled template, which opts in to scaffold's own checks of
    names and to its rules checked before anything is rendered (its pre-generation hook's
    `validate`, which scaffold ships and so trusts). Other templates get their answers as
    cookiecutter gives them; their hooks are never imported, only run rendered, as cookiecutter
    runs them.
    """
    from cookiecutter.exceptions import CookiecutterException
    from cookiecutter.generate import generate_context
    from cookiecutter.prompt import prompt_for_config

    unknown = sorted(set(settings) - set(info.variables))
    if unknown:
        raise UnknownVariable(unknown[0], sorted(info.variables))
    overrides = {key: value for key, value in dict(recorded).items() if key in info.variables}
    if name is not None:
        if template_rules:
            check_project_name(name)
        if "project_name" not in info.variables:
            raise UsageError(
                f"template {info.name!r} has no project_name variable; "
                "pass its variables with --set instead"
            )
        if "project_name" in settings and settings["project_name"] != name:
            raise UsageError(
                f"NAME {name!r} and --set project_name={settings['project_name']!r} disagree;"
                " give the project name once"
            )
        overrides["project_name"] = name
    overrides.update(settings)
    _check_choices(info, overrides, settings)
    overrides = {key: _as_literal(value) for key, value in overrides.items()}
    try:
        context = generate_context(
            context_file=str(info.path / "cookiecutter.json"),
            default_context=dict(default_context),
            extra_context=overrides,
        )
        given = set(settings) | ({"project_name"} if name is not None else set())
        rules = _rule_of(info, context) if template_rules else lambda key, answer: None
        with asking(given, rules):
            context["cookiecutter"].update(prompt_for_config(context, no_input=no_input))
    except ValueError as error:  # a --set value outside a choice variable's options
        raise BadSetting(str(error)) from None
    except CookiecutterException as error:
        raise GenerationFailed(f"the template's variables failed: {one_line(error)}") from None
    context["cookiecutter"].update(extra_context)
    answers = context["cookiecutter"]
    if template_rules and LIBRARY_VARIABLE in answers:
        # The bundled template's dependency on the library: as recorded, else as installed now.
        answers[LIBRARY_VARIABLE] = dict(recorded).get(LIBRARY_VARIABLE) or library_requirement()
    if template_rules and "project_slug" in answers:
        check_slug(str(answers["project_slug"]))
    problems = template_problems(info.path, answers) if template_rules else []
    if problems:
        raise UsageError("; ".join(problems))
    return context


def _rule_of(info: TemplateInfo, context: dict) -> Callable[[str, object], str | None]:
    """The template's rule an interactive answer breaks, if any (its `validate`, asked about
    that one answer)."""
    reserved = context["cookiecutter"].get("_reserved_packages", [])

    def problem(key: str, answer: object) -> str | None:
        problems = template_problems(info.path, {key: answer, "_reserved_packages": reserved})
        return next((p for p in problems if p.startswith(key)), None)

    return problem


def _check_choices(info: TemplateInfo, answers: Mapping, settings: Mapping) -> None:
    """Refuse an answer to a choice variable that is not among its options, saying which are."""
    for key, value in answers.items():
        options = info.variables.get(key)
        if isinstance(options, list) and options and value not in options:
            given = "--set" if key in settings else "the recorded answer"
            raise BadSetting(
                f"{given} {key}={value!r} is not an option of template {info.name}"
                f" ({', '.join(map(str, options))}); pass --set {key}=<one of them>"
            )


def default_answers(info: TemplateInfo) -> dict[str, object]:
    """What a template's variables come to when nothing is answered (derived ones rendered)."""
    with importable(info.path):
        context = build_answers(info, None, {}, no_input=True, template_rules=False)
    return {key: context["cookiecutter"][key] for key in info.variables}


def public_answers(context: dict) -> dict[str, object]:
    """The answers a project records: the context without cookiecutter's private keys, but
    with where the bundled template's project gets the library from."""
    return {
        k: v
        for k, v in context["cookiecutter"].items()
        if not k.startswith("_") or k == LIBRARY_VARIABLE
    }


def _as_literal(value: object) -> object:
    """Keep an answer as data: cookiecutter renders given values as Jinja templates, so a value
    holding Jinja syntax is wrapped in an expression that evaluates to exactly that text."""
    if isinstance(value, str) and "{" in value:
        return "{{ " + json.dumps(value, ensure_ascii=False) + " }}"
    return value
