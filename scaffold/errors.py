"""The one error hierarchy of scaffold: every user-facing failure is a ScaffoldError."""

from __future__ import annotations


class ScaffoldError(Exception):
    """Base of all errors scaffold reports to the user, as one line and an exit code.

    Every command gives one meaning to each exit code: 0 done (or up to date), 1 outdated or
    conflicts left, 2 any error.
    """

    exit_code = 2


class UsageError(ScaffoldError):
    """The user asked for something invalid; nothing was written."""


class InvalidName(UsageError):
    """A project name, slug or package name that cannot be used."""

    def __init__(self, name: str, problem: str, hint: str) -> None:
        self.name = name
        super().__init__(f"invalid name {name!r}: {problem}; {hint}")


class UnknownVariable(UsageError):
    """A --set key that the template does not define."""

    def __init__(self, key: str, known: list[str]) -> None:
        self.key = key
        super().__init__(f"unknown template variable {key!r}; known variables: {', '.join(known)}")


class BadSetting(UsageError):
    """A --set argument that is not KEY=VALUE or a value the template rejects."""


class TargetExists(UsageError):
    """The project directory exists and --force was not given."""

    def __init__(self, path: str) -> None:
        self.path = path
        super().__init__(
            f"{path} already exists; choose another name or --output-dir, "
            "or pass --force to generate into it"
        )


class TemplateNotFound(UsageError):
    """A --template source that does not hold a cookiecutter template."""


class ConfigError(UsageError):
    """The user's cookiecutter configuration is missing or unreadable; nothing was written."""


class UnsafePath(UsageError):
    """A path that would leave its folder or pass through a symbolic link: nothing is written."""

    def __init__(self, path: str, problem: str) -> None:
        self.path = path
        super().__init__(f"{problem}: {path}")


class ProjectBusy(UsageError):
    """Another scaffold command is changing the same project right now."""


class UnresolvedConflicts(ScaffoldError):
    """`update --continue` found conflict markers left in the files of the update."""

    exit_code = 1  # conflicts left, as with an update that leaves them


class JournalError(ScaffoldError):
    """A change a stopped scaffold command left (its journal) waits, or cannot be finished."""


class GenerationFailed(ScaffoldError):
    """Rendering, writing or a template hook failed; the message says what is left where."""


class HookRefused(UsageError):
    """The template's pre-generation hook refused the answers; nothing was written."""


class ProvenanceError(ScaffoldError):
    """A project's provenance file is missing or unreadable."""


class TemplateVersionUnavailable(ScaffoldError):
    """The template version that made a project cannot be rendered any more."""


class DirtyWorkTree(UsageError):
    """The project has uncommitted changes, which an update could mix with its own."""


def one_line(error: BaseException) -> str:
    """The error's message folded onto one line."""
    return " ".join(str(error).split()) or type(error).__name__
