"""Checks of the flow configuration beyond its schema, for what an admin can get wrong in a text or the
menu: a placeholder the text is never given, a text longer than one Zalo message, a button title Zalo
would cut, a menu entry that starts no flow. Problems name the file and field, like the loader's."""

from __future__ import annotations

import string
import tomllib
from collections.abc import Iterable, Mapping
from typing import Any

from bot.zalo.render import MAX_BUTTON_TITLE
from flows.base import Flow, parse_payload
from flows.tomlfile import FlowFiles

# Every text may use these (filled from the commune's configuration).
GLOBAL_PLACEHOLDERS = frozenset({"commune", "phone", "address"})


def placeholders(text: str) -> set[str]:
    try:
        return {name.split(".")[0].split("[")[0] for _, name, _, _ in string.Formatter().parse(text) if name}
    except ValueError:  # an unmatched brace: str.format_map would fail too
        return {"{"}


def is_button(key: str) -> bool:
    return "button" in key or key == "back_to_menu"


def text_files(files: Mapping[str, str]) -> Iterable[tuple[str, dict[str, Any]]]:
    for name in FlowFiles(files).matching("texts*.toml"):
        try:
            yield name, tomllib.loads(files[name])
        except tomllib.TOMLDecodeError:
            continue  # the loader reports it


def allowed_placeholders(shipped: Mapping[str, str]) -> dict[str, frozenset[str]]:
    """Text key → the placeholders it may use: those its shipped texts use (in any language), and the
    global ones."""
    allowed: dict[str, set[str]] = {}
    for _, data in text_files(shipped):
        for key, value in dict(data.get("texts") or {}).items():
            if isinstance(value, str):
                allowed.setdefault(key, set()).update(placeholders(value))
    return {key: frozenset(names | GLOBAL_PLACEHOLDERS) for key, names in allowed.items()}


def entry_points(flows: Iterable[Flow]) -> list[str]:
    """The commands a menu entry may start: every flow's entry commands, as button payloads."""
    return sorted(f"#{flow.name}:{command}" for flow in flows for command in flow.commands)


def content_problems(files: Mapping[str, str], shipped: Mapping[str, str], flows: Iterable[Flow],
                     max_text: int) -> list[str]:
    allowed = allowed_placeholders(shipped)
    commands = {(f.name, c) for f in flows for c in f.commands}
    problems: list[str] = []
    for name, data in text_files(files):
        for key, value in dict(data.get("texts") or {}).items():
            if not isinstance(value, str):
                continue
            where = f"{name}: texts.{key}"
            unknown = sorted(placeholders(value) - allowed.get(key, GLOBAL_PLACEHOLDERS))
            if unknown:
                may = ", ".join("{" + p + "}" for p in sorted(allowed.get(key, GLOBAL_PLACEHOLDERS)))
                problems.append(f"{where}: unknown placeholder {', '.join('{' + u + '}' for u in unknown)} "
                                f"(this text may use {may})")
            if len(value) > max_text:
                problems.append(f"{where}: {len(value)} characters, more than one Zalo message ({max_text})")
            if is_button(key) and len(value) > MAX_BUTTON_TITLE:
                problems.append(f"{where}: a button title of {len(value)} characters; Zalo shows "
                                f"{MAX_BUTTON_TITLE}")
        for i, entry in enumerate(data.get("menu") or []):
            if not isinstance(entry, dict):
                continue
            title, payload = str(entry.get("title", "")), str(entry.get("payload", ""))
            if len(title) > MAX_BUTTON_TITLE:
                problems.append(f"{name}: menu.{i}.title: {len(title)} characters; Zalo shows {MAX_BUTTON_TITLE}")
            parsed = parse_payload(payload)
            if parsed is None or (parsed[0], parsed[1]) not in commands:
                problems.append(f"{name}: menu.{i}.payload: {payload!r} starts no conversation")
    return problems
