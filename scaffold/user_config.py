"""The user's cookiecutter configuration, read as cookiecutter reads it (with its own functions):
`--config-file`, else the file `COOKIECUTTER_CONFIG` names, else `~/.cookiecutterrc`, else
cookiecutter's defaults; `--default-config` reads none."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from scaffold.errors import ConfigError, one_line


@dataclass(frozen=True)
class UserConfig:
    """What scaffold takes from the user's cookiecutter configuration."""

    default_context: dict[str, object] = field(default_factory=dict)
    abbreviations: dict[str, str] = field(default_factory=dict)
    cookiecutters_dir: str | None = None
    replay_dir: str | None = None


def load_user_config(
    config_file: Path | str | None = None, default_config: bool = False
) -> UserConfig:
    """Read the user's cookiecutter configuration with cookiecutter's `get_user_config`.

    `~/.cookiecutterrc` is looked up when asked, not when cookiecutter was imported, so that
    the home folder in force now is the one read.
    """
    from cookiecutter.config import get_user_config
    from cookiecutter.exceptions import ConfigDoesNotExistException, InvalidConfiguration

    if config_file is None and not default_config and "COOKIECUTTER_CONFIG" not in os.environ:
        home_config = Path("~/.cookiecutterrc").expanduser()
        config_file = home_config if home_config.is_file() else None
    named = str(config_file) if config_file is not None else os.environ.get("COOKIECUTTER_CONFIG")
    try:
        config = get_user_config(
            config_file=str(config_file) if config_file is not None else None,
            default_config=default_config,
        )
    except ConfigDoesNotExistException:
        where = "--config-file" if config_file is not None else "COOKIECUTTER_CONFIG"
        raise ConfigError(
            f"the cookiecutter config file {named} ({where}) does not exist"
        ) from None
    except InvalidConfiguration as error:
        reason = _yaml_problem(error.__cause__) or one_line(error)
        raise ConfigError(f"cannot read the cookiecutter config file {named}: {reason}") from None
    except OSError as error:
        raise ConfigError(f"cannot read the cookiecutter config file {named}: {error}") from None
    for key in ("default_context", "abbreviations"):
        if not isinstance(config.get(key), dict):
            raise ConfigError(
                f"the cookiecutter config file {named} has a {key!r} that is not a mapping"
            )
    bad = [key for key, value in config["abbreviations"].items() if not isinstance(value, str)]
    if bad:
        raise ConfigError(
            f"the cookiecutter config file {named} has an abbreviation {bad[0]!r} that is not"
            " a text"
        )
    return UserConfig(
        default_context=dict(config["default_context"]),
        abbreviations={str(key): value for key, value in config["abbreviations"].items()},
        cookiecutters_dir=config.get("cookiecutters_dir"),
        replay_dir=config.get("replay_dir"),
    )


def _yaml_problem(error: BaseException | None) -> str | None:
    """What the YAML parser found wrong, and where, in one line ("... at line 3")."""
    problem = getattr(error, "problem", None)
    if not problem:
        return None
    mark = getattr(error, "problem_mark", None)
    where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
    return f"not valid YAML: {problem}{where}"
