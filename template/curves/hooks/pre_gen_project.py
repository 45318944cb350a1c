"""Refuse answers that would generate a broken project, before anything is written.

Answers are read as data (JSON), never pasted into code. `scaffold` imports this module and calls
`validate` itself, so its users get the same rules as plain cookiecutter users. (The image
template's hook has the same rules and one more; each template carries its own, as cookiecutter
runs the hooks of the template it renders.)
"""

import json
import keyword
import re
import sys

MAX_LENGTH = 64
# The generated code keeps its lines within 100 characters (ruff) for package names up to this.
MAX_PACKAGE_LENGTH = 40
SLUG = re.compile(r"[a-z0-9]+(?:[-_][a-z0-9]+)*")
PACKAGE = re.compile(r"[a-z_][a-z0-9_]*")
# Package metadata (the Author-email header) accepts ASCII addresses only.
EMAIL = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")


def package_problem(package, reserved):
    """Return why `package` cannot be the generated package's name, or None."""
    if len(package) > MAX_PACKAGE_LENGTH:
        return (
            f"package_name {package[:20]!r}... is longer than {MAX_PACKAGE_LENGTH} characters"
        )
    if package[:1].isdigit():
        return f"package_name {package!r} starts with a digit"
    if not PACKAGE.fullmatch(package):
        return f"package_name {package!r} must be lower-case letters, digits and '_'"
    if keyword.iskeyword(package):
        return f"package_name {package!r} is a Python keyword"
    if package in sys.stdlib_module_names:
        return f"package_name {package!r} would shadow the standard-library module"
    if package in reserved:
        return f"package_name {package!r} would shadow a dependency of the project"
    return None


def validate(answers):
    """Return a list of problems with `answers` (empty when they are fine)."""
    problems = []
    slug = str(answers.get("project_slug", ""))
    if len(slug) > MAX_LENGTH or not SLUG.fullmatch(slug):
        problems.append(
            f"project_slug {slug[:MAX_LENGTH]!r} must be lower-case letters and digits joined by"
            f" '-' or '_', at most {MAX_LENGTH} characters"
        )
    problem = package_problem(
        str(answers.get("package_name", "")), set(answers.get("_reserved_packages", ()))
    )
    if problem:
        problems.append(problem + "; pass --set package_name=... with another name")
    email = str(answers.get("email", ""))
    if email and not EMAIL.fullmatch(email):
        problems.append(
            f"email {email!r} is not an address package metadata accepts (ASCII, name@domain);"
            " leave it empty to omit it"
        )
    return problems


def main(raw_answers):
    problems = validate(json.loads(raw_answers))
    for problem in problems:
        print(f"ERROR: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(r"""{{ cookiecutter | tojson }}"""))
