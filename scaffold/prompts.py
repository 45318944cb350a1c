"""Interactive answers: cookiecutter asks, but not what was given, and again after a bad answer."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Collection, Iterator


@contextlib.contextmanager
def asking(given: Collection[str], problem: Callable[[str, object], str | None]) -> Iterator[None]:
    """While active, cookiecutter's `prompt_for_config` does not ask for the variables in
    `given` (NAME and --set answers: their value is already the default it would offer), and
    asks a variable again, after printing the rule on stderr, while `problem(key, answer)`
    returns one."""
    import cookiecutter.prompt as prompt

    read_variable = prompt.read_user_variable
    read_choice = prompt.read_user_choice
    read_yes_no = prompt.read_user_yes_no

    def variable(name, default, *args, **kwargs):
        if name in given:
            return default
        while True:
            answer = read_variable(name, default, *args, **kwargs)
            reason = problem(name, answer)
            if reason is None:
                return answer
            print(f"  {reason}", file=sys.stderr)

    def choice(name, options, *args, **kwargs):
        return options[0] if name in given else read_choice(name, options, *args, **kwargs)

    def yes_no(name, default, *args, **kwargs):
        return default if name in given else read_yes_no(name, default, *args, **kwargs)

    prompt.read_user_variable = variable
    prompt.read_user_choice = choice
    prompt.read_user_yes_no = yes_no
    try:
        yield
    finally:
        prompt.read_user_variable = read_variable
        prompt.read_user_choice = read_choice
        prompt.read_user_yes_no = read_yes_no
