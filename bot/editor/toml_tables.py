"""Edit one table of a flow configuration file row by row (a key and its text or list of phrases), in
place: untouched rows keep their layout and comments, an edited list keeps its lines where it can, so
the diff shows the rows that changed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import tomlkit
from tomlkit.items import Array, Table

from bot.editor import toml_edit
from bot.errors import InvalidInput


@dataclass(frozen=True)
class RowEdit:
    """One row of a table form: `original` is the key it was shown with ("" for a new row)."""

    original: str
    key: str
    value: str | list[str]
    remove: bool = False


def _table(doc: tomlkit.TOMLDocument, kind: str, path: Sequence[str]) -> Table:
    node: Any = doc
    for part in path:
        node = node.get(part) if hasattr(node, "get") else None
    if not isinstance(node, Table):
        raise InvalidInput([f"{kind}: {'.'.join(path)}: missing table"])
    return node


def _value(value: str | list[str]) -> Any:
    if isinstance(value, str):
        return value
    array = tomlkit.array()
    array.extend(value)
    return array


def _add(table: Table, key: str, value: str | list[str]) -> None:
    """A new row after the table's last row (plain assignment would put it after the comment that
    introduces the next table)."""
    body = table.value.body
    last = max((i for i, (k, _) in enumerate(body) if k is not None), default=len(body) - 1)
    table.value._insert_at(last + 1, key, tomlkit.item(_value(value)))


def _collisions(table: Table, edits: Sequence[RowEdit]) -> list[str]:
    """Keys a new or renamed row would take from a row it does not replace: a TOML table holds a key once,
    so the other row's meaning would be lost without a word."""
    freed = {e.original for e in edits if e.original and (e.remove or e.key != e.original)}
    taken = {k for k in table if k not in freed}
    out, seen = [], set()
    for e in edits:
        if e.remove or not e.key or e.key == e.original:
            continue
        if e.key in taken or e.key in seen:
            out.append(e.key)
        seen.add(e.key)
    return out


def edit_rows(kind: str, content: str, path: Sequence[str], edits: Sequence[RowEdit]) -> str:
    """The file with `edits` applied to the table at `path`; a key given to two rows is refused."""
    doc = toml_edit._parse(kind, content)
    table = _table(doc, kind, path)
    twice = _collisions(table, edits)
    if twice:
        raise InvalidInput([f"{kind}: {'.'.join(path)}.{key}: already a row of this table; change that row instead"
                            for key in twice])
    for e in edits:
        if e.original and e.original in table and (e.remove or e.key != e.original):
            del table[e.original]
    for e in edits:
        if e.remove or not e.key:
            continue
        current = table.get(e.key)
        if isinstance(current, Array) and isinstance(e.value, list):
            toml_edit.update_list(current, e.value)
        elif current is None:
            _add(table, e.key, e.value)
        elif current != e.value:
            table[e.key] = _value(e.value)
    return tomlkit.dumps(doc)
