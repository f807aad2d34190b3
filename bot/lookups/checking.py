"""Reading and checking an import file, for the CLI and the console's dry run alike: the same column
mapping, the same rules and the same `row N: 'Header' (field): reason` lines."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.lookups.config import ImportsConfig
from bot.lookups.files import read_rows
from bot.lookups.validate import MODELS, NATURAL_KEY, DossierIn, IdCardIn, Problem, validate


@dataclass(frozen=True)
class Checked:
    headers: dict[str, str]  # field → the header as written in the file
    rows: list[tuple[int, dict[str, Any]]]  # every non-blank row read
    valid: list[tuple[int, DossierIn | IdCardIn]]
    problems: list[Problem]
    duplicates: list[tuple[int, int]]  # (row, the earlier identical row)

    @property
    def rejected(self) -> int:
        return len({p.item for p in self.problems})

    def problem_lines(self) -> list[str]:
        return [f"row {p.item}: {self.where(p)}: {p.reason}" for p in self.problems]

    def where(self, p: Problem) -> str:
        return f"{self.headers.get(p.field, p.field)!r} ({p.field})" if p.field else "row"


def check_file(imports: ImportsConfig, kind: str, path: Path) -> Checked:
    """Blocking (file reading, parsing): call it in a thread from the event loop. Raises FileProblem."""
    columns = imports.dossier_columns if kind == "dossier" else imports.id_card_columns
    labels = imports.dossier_statuses if kind == "dossier" else imports.id_card_statuses
    required = [name for name, f in MODELS[kind].model_fields.items() if f.is_required()]
    headers, rows = read_rows(path, columns, required, NATURAL_KEY[kind])
    valid, problems, duplicates = validate(kind, rows, labels, item_name="row")
    return Checked(headers, rows, valid, problems, duplicates)
