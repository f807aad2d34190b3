"""Reading one-stop and police exports (CSV or XLSX) into rows keyed by record field.

Exports often start with a title block, so the header row is the first of the opening rows that holds
the natural key's header. Headers are matched ignoring case, accents and spacing; columns not in the
mapping (names, addresses…) are never read. Row numbers are the spreadsheet's own, from 1.
"""

from __future__ import annotations

import codecs
import csv
import io
import zipfile
from pathlib import Path
from typing import Any

from bot.services import simplify

HEADER_SEARCH_ROWS = 20


class FileProblem(Exception):
    """The file cannot be imported at all (unreadable, no header, required columns missing)."""


def read_rows(path: Path, columns: dict[str, list[str]], required: list[str], key: str
              ) -> tuple[dict[str, str], list[tuple[int, dict[str, Any]]]]:
    """(field → header as written in the file, [(row number, {field: cell})]); blank cells are left out."""
    table = _read_table(path)
    header_at, found = _find_header(table, columns, key, path.name)
    number, cells = table[header_at]
    headers: dict[str, str] = {}
    for i, field in found.items():
        if field in headers:
            raise FileProblem(f"{path.name}: row {number}: columns {headers[field]!r} and {cells[i]!r} "
                              f"both mean {field}")
        headers[field] = str(cells[i]).strip()
    missing = [f"{f} (accepted headers: {', '.join(columns.get(f, []))})" for f in required if f not in headers]
    if missing:
        raise FileProblem(f"{path.name}: row {number}: missing columns: {'; '.join(missing)}")
    rows = []
    for row_number, row in table[header_at + 1:]:
        values = {field: row[i] for i, field in found.items() if i < len(row) and not _blank(row[i])}
        if values:
            rows.append((row_number, values))
    return headers, rows


def _find_header(table: list[tuple[int, list[Any]]], columns: dict[str, list[str]], key: str, name: str
                 ) -> tuple[int, dict[int, str]]:
    """Index of the header row, and column index → field for the columns it names."""
    aliases = {simplify(h): field for field, headers in columns.items() for h in headers}
    for at, (_, cells) in enumerate(table[:HEADER_SEARCH_ROWS]):
        found = {i: aliases[simplify(str(c))] for i, c in enumerate(cells)
                 if c is not None and simplify(str(c)) in aliases}
        if key in found.values():
            return at, found
    raise FileProblem(f"{name}: no header row with a {key} column (accepted headers: "
                      f"{', '.join(columns.get(key, []))})")


def _blank(v: Any) -> bool:
    return v is None or (isinstance(v, str) and not v.replace("\xa0", " ").strip())


def _read_table(path: Path) -> list[tuple[int, list[Any]]]:
    suffix = path.suffix.lower()
    try:
        if suffix in (".xlsx", ".xlsm"):
            return _read_xlsx(path)
        if suffix in (".csv", ".txt"):
            return _read_csv(path.read_bytes(), path.name)
    except FileNotFoundError:
        raise FileProblem(f"{path}: file not found") from None
    raise FileProblem(f"{path.name}: unsupported file type {suffix or '(none)'}; use .csv or .xlsx")


def _read_xlsx(path: Path) -> list[tuple[int, list[Any]]]:
    import openpyxl  # only the import command needs it
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except FileNotFoundError:
        raise
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError):
        raise FileProblem(f"{path.name}: not a readable .xlsx file") from None
    try:
        sheet = book.active
        return [(n, list(cells)) for n, cells in enumerate(sheet.iter_rows(values_only=True), start=1)]
    finally:
        book.close()


def _read_csv(raw: bytes, name: str) -> list[tuple[int, list[Any]]]:
    encoding = "utf-16" if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) else "utf-8-sig"
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError:
        raise FileProblem(f"{name}: not UTF-8 text; in Excel choose \"Save as: CSV UTF-8\"") from None
    try:
        dialect: Any = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    # Numbered by record, as a spreadsheet shows them: a quoted cell spanning lines is still one row.
    return [(n, list(cells)) for n, cells in enumerate(csv.reader(io.StringIO(text), dialect), start=1)]
