"""Change one value of a flow configuration file and keep the rest of it (comments, order, layout), so
that a form's edit shows in the diff as the one line it is."""

from __future__ import annotations

from typing import Any

import tomlkit
from tomlkit.exceptions import TOMLKitError
from tomlkit.items import AoT, Array, Table

from bot.errors import InvalidInput, NotFound


def _parse(kind: str, content: str) -> tomlkit.TOMLDocument:
    try:
        return tomlkit.parse(content)
    except TOMLKitError as e:
        raise InvalidInput([f"{kind}: not valid TOML ({e}): fix it in the raw view first"]) from None


def _string(value: str) -> Any:
    return tomlkit.string(value, multiline="\n" in value)


def set_text(kind: str, content: str, key: str, value: str) -> str:
    doc = _parse(kind, content)
    texts = doc.get("texts")
    if not isinstance(texts, Table):
        raise InvalidInput([f"{kind}: texts: missing table"])
    texts[key] = _string(value)
    return tomlkit.dumps(doc)


def set_menu(kind: str, content: str, entries: list[tuple[str, str]]) -> str:
    doc = _parse(kind, content)
    menu = tomlkit.aot()
    for title, payload in entries:
        item = tomlkit.table()
        item["title"], item["payload"] = title, payload
        menu.append(item)
    doc["menu"] = menu
    return tomlkit.dumps(doc)


def procedure(doc: tomlkit.TOMLDocument, slug: str) -> Table:
    procedures = doc.get("procedure")
    for item in procedures if isinstance(procedures, AoT) else []:
        if item.get("slug") == slug:
            return item
    raise NotFound(f"slug: no procedure {slug}")


def update_list(array: Array, phrases: list[str]) -> None:
    """Make `array` hold `phrases`, removing and appending in place so that its untouched lines stay as they
    are (the diff shows the one name added); rebuilt only when the order changed."""
    for i in reversed(range(len(array))):
        if array[i] not in phrases:
            del array[i]
    for phrase in phrases:
        if phrase not in array:
            array.append(phrase)
    if list(array) != phrases:
        array.clear()
        array.extend(phrases)


def set_procedure(kind: str, content: str, slug: str, values: dict[str, Any]) -> str:
    """Set (or, for None, remove) fields of one procedure."""
    doc = _parse(kind, content)
    item = procedure(doc, slug)
    for field, value in values.items():
        if value is None:
            item.pop(field, None)
        elif isinstance(value, list) and isinstance(item.get(field), Array):
            update_list(item[field], value)
        elif isinstance(value, list):
            array = tomlkit.array()
            array.extend(value)
            array.multiline(len(value) > 2)
            item[field] = array
        else:
            item[field] = _string(value) if isinstance(value, str) else value
    return tomlkit.dumps(doc)


def add_to_list(kind: str, content: str, path: tuple[str, ...], phrase: str) -> str:
    """Append `phrase` to the list at `path` (e.g. ("cues", "handoff")) unless it is there already."""
    doc = _parse(kind, content)
    node: Any = doc
    for part in path[:-1]:
        node = node.setdefault(part, tomlkit.table())
    items = node.setdefault(path[-1], tomlkit.array())
    if phrase not in items:
        items.append(phrase)
    return tomlkit.dumps(doc)


def add_informal_name(kind: str, content: str, slug: str, phrase: str) -> str:
    doc = _parse(kind, content)
    item = procedure(doc, slug)
    names = item.setdefault("informal_names", tomlkit.array())
    if phrase not in names:
        names.append(phrase)
    return tomlkit.dumps(doc)
