"""Errors the services raise for their callers (CLI: exit 2; HTTP: 422/404; console: the form again)."""

from __future__ import annotations


class InvalidInput(Exception):
    """Bad input; one line per problem, each naming the field."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


class NotFound(Exception):
    pass
