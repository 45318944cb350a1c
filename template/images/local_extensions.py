"""Jinja filters of this template (cookiecutter loads them through `_extensions`)."""

from cookiecutter.utils import simple_filter


@simple_filter
def toml_string(value):
    """Render `value` as a TOML basic string: any text, including quotes and emoji, stays valid."""
    escaped = []
    for char in str(value):
        if char in '"\\':
            escaped.append("\\" + char)
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            escaped.append(f"\\u{ord(char):04x}")
        else:
            escaped.append(char)
    return '"' + "".join(escaped) + '"'
