"""Errors the services raise for their callers (CLI: exit 2; HTTP: 422/404; console: the form again)."""

from __future__ import annotations

from flows.problems import Problems


class InvalidInput(Problems):
    """Bad input; one line per problem, each naming the field."""


class NotFound(Exception):
    pass
