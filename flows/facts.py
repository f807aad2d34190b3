"""Confirmations of the commune's own facts (`facts.toml`): the office's phone, address and hours and the
thôn names live in the service's configuration file, but whether they were checked, by whom and against
what source is flow configuration — versioned, audited, published to every process like the catalog.

A confirmation names the figure as the configuration file had it (`file_value`) and the figure as
checked (`value`: the same when confirmed, another when corrected). It applies only while the file still
says `file_value`: a figure changed in the file is unverified again until someone checks it."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from flows.problems import Problems, problem_lines
from flows.tomlfile import FlowFiles

FACTS_FILE = "facts.toml"


class FactsError(Problems):
    """One line per problem, naming the file and field."""


class Confirmation(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    fact: str = Field(pattern=r"^(office_phone|office_address|office_hours|thon:[a-z0-9-]+)$")
    file_value: str
    value: str = Field(min_length=1)
    source: str = Field(min_length=1)
    by: str = ""
    at: str = ""


class _FactsFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    confirmed: list[Confirmation] = []


def load_confirmations(files: FlowFiles) -> dict[str, Confirmation]:
    """Fact → its latest confirmation; none when the set has no facts file."""
    if FACTS_FILE not in files:
        return {}
    try:
        file = _FactsFile.model_validate(files.read(FACTS_FILE, FactsError, "facts"))
    except ValidationError as e:
        raise FactsError(problem_lines(e, "facts")) from None
    return {c.fact: c for c in file.confirmed}
