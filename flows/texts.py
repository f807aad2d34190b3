"""The admin-editable flow configuration: resident-facing texts and the main menu."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic_core import ErrorDetails

from flows.problems import Problems, problem_line
from flows.tomlfile import read_toml

DEFAULT_DIR = Path(__file__).with_name("default")


class MenuEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str
    payload: str


class Texts(BaseModel):
    model_config = ConfigDict(extra="allow")  # later features add their own keys
    welcome: str
    menu_title: str
    not_built: str
    fallback: str
    error: str
    rate_limited: str
    handoff: str
    handoff_resume: str
    attachment: str
    unfollow_bye: str = ""
    back_to_menu: str = "Về menu"

    def get(self, key: str, **values: str) -> str:
        raw = getattr(self, key, None)
        if not isinstance(raw, str):
            raise KeyError(f"texts.{key} is not configured")
        return raw.format_map(_Defaulting(values))


class _Defaulting(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


class FlowTexts(BaseModel):
    model_config = ConfigDict(extra="forbid")
    texts: Texts
    menu: list[MenuEntry]


class FlowConfigError(Problems):
    """One line per problem, naming the file and field."""


def load_texts(folder: Path | None = None) -> FlowTexts:
    """texts.toml holds the core texts and the menu; each feature may add a texts-<feature>.toml whose
    [texts] keys are merged in (a key defined twice is an error naming both files)."""
    folder = folder or DEFAULT_DIR
    data = read_toml(folder / "texts.toml", FlowConfigError)
    merged: dict[str, Any] = dict(data.get("texts") or {})
    origin = dict.fromkeys(merged, "texts.toml")
    problems = []
    for extra in sorted(folder.glob("texts-*.toml")):
        for key, value in (read_toml(extra, FlowConfigError).get("texts") or {}).items():
            if key in merged:
                problems.append(f"{extra.name}: texts.{key}: already defined in {origin[key]}")
            merged[key], origin[key] = value, extra.name
    if problems:
        raise FlowConfigError(problems)
    try:
        return FlowTexts.model_validate({**data, "texts": merged})
    except ValidationError as e:
        raise FlowConfigError([_describe(err, origin) for err in e.errors()]) from None


def _describe(err: ErrorDetails, origin: dict[str, str]) -> str:
    """The problem, led by the file that defined the text (texts*.toml are merged)."""
    loc = err["loc"]
    source = origin.get(str(loc[1]), "texts.toml") if len(loc) > 1 and loc[0] == "texts" else "texts.toml"
    return f"{source}: {problem_line(err)}"
