"""Unit tests of the template's pre-generation hook, the single source of its answer rules."""

import importlib.util
import json
import subprocess
import sys

import pytest

from tests.conftest import BAD_PACKAGE_NAMES, TEMPLATE_DIR

HOOK = TEMPLATE_DIR / "hooks" / "pre_gen_project.py"
RESERVED = json.loads((TEMPLATE_DIR / "cookiecutter.json").read_text())["_reserved_packages"]


def load_hook():
    spec = importlib.util.spec_from_file_location("pre_gen_project", HOOK)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def answers(**overrides):
    base = {
        "project_slug": "my-pipeline",
        "package_name": "my_pipeline",
        "image_extensions": "png",
        "_reserved_packages": RESERVED,
    }
    return {**base, **overrides}


def test_good_answers_pass():
    assert load_hook().validate(answers()) == []


@pytest.mark.parametrize(
    ("package", "problem"),
    [
        *BAD_PACKAGE_NAMES,
        ("My-Pkg", "lower-case"),
        ("", "lower-case"),
        ("a" * 65, "longer"),
        ("a" * 41, "longer than 40"),
    ],
)
def test_bad_package_names_are_refused(package, problem):
    problems = load_hook().validate(answers(package_name=package))
    assert len(problems) == 1 and problem in problems[0]


@pytest.mark.parametrize("slug", ["", "../evil", "a/b", "My Slug", "-x", "x" * 65])
def test_bad_slugs_are_refused(slug):
    assert load_hook().validate(answers(project_slug=slug))


@pytest.mark.parametrize(
    ("extensions", "valid"),
    [("png,tif,jpg", True), ("png, .tif", True), ("PNG", False), ("png;rm", False), ("", False)],
)
def test_extension_lists(extensions, valid):
    problems = load_hook().validate(answers(image_extensions=extensions))
    assert (problems == []) is valid


def test_main_reads_answers_as_json_and_exits_non_zero_on_problems():
    hook = load_hook()
    assert hook.main(json.dumps(answers())) == 0
    assert hook.main(json.dumps(answers(package_name="os"))) == 1


def test_answers_with_quotes_cannot_inject_code(tmp_path):
    """The rendered hook embeds the answers as a JSON string literal, never as code."""
    from cookiecutter.environment import StrictEnvironment

    hostile = answers(project_slug='x"""; import os; os._exit(0) #', _extensions=[])
    rendered = (
        StrictEnvironment(context={"cookiecutter": hostile})
        .from_string(HOOK.read_text())
        .render(cookiecutter=hostile)
    )
    script = tmp_path / "hook.py"
    script.write_text(rendered)
    result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True)
    assert result.returncode == 1
    assert "project_slug" in result.stderr


@pytest.mark.parametrize(
    ("email", "valid"),
    [
        ("you@example.com", True),
        ("o'brien+tag@example.co.uk", True),
        ("", True),
        ("zoë@example.com", False),
        ("no-at-sign", False),
        ("a@b", False),
        ("a b@example.com", False),
    ],
)
def test_emails(email, valid):
    assert (load_hook().validate(answers(email=email)) == []) is valid


def test_the_curves_hook_has_the_same_rules_without_image_extensions():
    """Each template carries its own hook (cookiecutter runs the rendered template's): the
    curves template's keeps every rule but the one about image extensions."""
    from tests.conftest import CURVES_TEMPLATE_DIR

    spec = importlib.util.spec_from_file_location(
        "curves_pre_gen_project", CURVES_TEMPLATE_DIR / "hooks" / "pre_gen_project.py"
    )
    curves = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(curves)
    reserved = json.loads((CURVES_TEMPLATE_DIR / "cookiecutter.json").read_text())
    good = {"project_slug": "runs", "package_name": "runs", "email": ""}
    good["_reserved_packages"] = reserved["_reserved_packages"]

    assert curves.validate(good) == []
    for package, problem in [*BAD_PACKAGE_NAMES, ("pandas", "dependency")]:
        problems = curves.validate({**good, "package_name": package})
        assert len(problems) == 1 and problem in problems[0], package
    assert curves.validate({**good, "project_slug": "../evil"})
