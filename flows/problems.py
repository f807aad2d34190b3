"""One way to report input that cannot be used: a list of lines, each naming where the problem is.

Configuration files, flow files, the CLI and the API all validate with pydantic; their errors become
lines like `server.port: Input should be a valid integer` here, so one validation speaks everywhere.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from pydantic import ValidationError
from pydantic_core import ErrorDetails


class Problems(Exception):
    """Input that cannot be used; `problems` holds one line per problem."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def field_path(loc: Iterable[int | str], empty: str = "(top level)") -> str:
    """`items.3.code`; `empty` names the whole input when the problem is not in one field."""
    return ".".join(str(part) for part in loc) or empty


def problem_line(err: ErrorDetails, empty: str = "(top level)", wording: Mapping[str, str] | None = None) -> str:
    """`path: message`; `wording` replaces pydantic's message for some error types (e.g. unknown keys)."""
    message = (wording or {}).get(err["type"], err["msg"])
    return f"{field_path(err['loc'], empty)}: {message}"


def problem_lines(error: ValidationError, prefix: str = "", empty: str = "(top level)",
                  wording: Mapping[str, str] | None = None) -> list[str]:
    lead = f"{prefix}: " if prefix else ""
    return [lead + problem_line(err, empty, wording) for err in error.errors()]

