"""The admin-editable flow configuration: resident-facing texts and the main menu, in Vietnamese
(`texts.toml`, `texts-<feature>.toml`) and English (`texts.en.toml`, `texts-<feature>.en.toml` beside them).
Every key must exist in both languages, and both menus must offer the same commands."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic_core import ErrorDetails

from flows.problems import Problems, problem_line
from flows.tomlfile import FlowFiles

LANGUAGES = ("vi", "en")  # the first is the default


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
    more_choices: str = "Lựa chọn khác:"  # a further message carrying the buttons beyond Zalo's limit

    def get(self, key: str, **values: str) -> str:
        raw = getattr(self, key, None)
        if not isinstance(raw, str):
            raise KeyError(f"texts.{key} is not configured")
        text = raw.format_map(_Defaulting(values))
        # An optional value left empty (no office address configured) must not leave "bộ phận một cửa ()".
        return _EMPTY_BRACKETS.sub("", text) if "()" in text or "( )" in text else text


_EMPTY_BRACKETS = re.compile(r"\s*\(\s*\)")


class _Defaulting(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


class FlowTexts(BaseModel):
    model_config = ConfigDict(extra="forbid")
    texts: Texts
    menu: list[MenuEntry]


class FlowConfigError(Problems):
    """One line per problem, naming the file and field."""


def _suffix(language: str) -> str:
    return "" if language == LANGUAGES[0] else f".{language}"


def _load_language(files: FlowFiles, language: str) -> tuple[FlowTexts, dict[str, str]]:
    """One language's texts and menu, and which file defined each key."""
    sfx = _suffix(language)
    main = f"texts{sfx}.toml"
    data = files.read(main, FlowConfigError)
    merged: dict[str, Any] = dict(data.get("texts") or {})
    origin = dict.fromkeys(merged, main)
    problems = []
    for extra in files.matching(f"texts-*{sfx}.toml"):
        feature = extra[len("texts-") : -len(f"{sfx}.toml")]
        if "." in feature:  # another language's file ("texts-news.en.toml" seen from Vietnamese)
            continue
        for key, value in (files.read(extra, FlowConfigError).get("texts") or {}).items():
            if key in merged:
                problems.append(f"{extra}: texts.{key}: already defined in {origin[key]}")
            merged[key], origin[key] = value, extra
    if problems:
        raise FlowConfigError(problems)
    try:
        return FlowTexts.model_validate({**data, "texts": merged}), origin
    except ValidationError as e:
        raise FlowConfigError([_describe(err, origin, main) for err in e.errors()]) from None


def load_languages(files: FlowFiles | None = None) -> dict[str, FlowTexts]:
    """Texts and menu per language (the shipped ones when `files` is None); every key in every language,
    every menu offering the same commands."""
    files = FlowFiles.from_folder() if files is None else files
    out: dict[str, FlowTexts] = {}
    origins: dict[str, dict[str, str]] = {}
    for language in LANGUAGES:
        out[language], origins[language] = _load_language(files, language)
    problems: list[str] = []
    base = LANGUAGES[0]
    for language in LANGUAGES[1:]:
        for a, b in ((base, language), (language, base)):
            missing = sorted(set(origins[a]) - set(origins[b]))
            problems += [f"texts{_suffix(b)}.toml: texts.{k}: missing (defined in {origins[a][k]})" for k in missing]
        ours = sorted(e.payload for e in out[base].menu if not e.payload.startswith("#lang:"))
        theirs = sorted(e.payload for e in out[language].menu if not e.payload.startswith("#lang:"))
        if ours != theirs:
            problems.append(f"texts{_suffix(language)}.toml: menu: offers {theirs}, texts.toml offers {ours}")
    if problems:
        raise FlowConfigError(problems)
    return out


def _describe(err: ErrorDetails, origin: dict[str, str], main: str = "texts.toml") -> str:
    """The problem, led by the file that defined the text (texts*.toml are merged)."""
    loc = err["loc"]
    source = origin.get(str(loc[1]), main) if len(loc) > 1 and loc[0] == "texts" else main
    return f"{source}: {problem_line(err)}"
