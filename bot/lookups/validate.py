"""Validating dossier and căn cước records from an import file or the push API (one set of rules).

Each item becomes a table row with personal values replaced by keyed hashes. Problems name the field
and say what is wrong without repeating the value, which may be personal.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, ValidationInfo, field_validator

from bot.services import simplify
from flows.lookups.hashing import KeyedHasher
from flows.lookups.values import (
    clean,
    last_four_digits,
    normalise_dossier_code,
    normalise_id_number,
    normalise_receipt,
    parse_date,
    split_papers,
)
from flows.problems import field_path
from storage.lookups.models import DOSSIER_STATUSES, ID_CARD_STATUSES

_STATUS_CODES = {"dossier": DOSSIER_STATUSES, "id_card": ID_CARD_STATUSES}
NATURAL_KEY = {"dossier": "code", "id_card": "receipt_no"}


def _blank(v: Any) -> bool:
    return v is None or (isinstance(v, str) and not clean(v))


def _status(kind: str, v: Any, info: ValidationInfo) -> str:
    text = clean(v)
    if text in _STATUS_CODES[kind]:
        return text
    labels: dict[str, str] = (info.context or {}).get("labels", {})
    code = labels.get(simplify(text))
    if code is None:
        raise ValueError("unknown status; use one of " + ", ".join(_STATUS_CODES[kind])
                         + " or a label listed in the [imports] configuration")
    return code


def _optional_date(v: Any) -> date | None:
    return None if _blank(v) else parse_date(v)


def _text(v: Any) -> str:
    return "" if _blank(v) else clean(v)


_Text = Annotated[str, BeforeValidator(_text)]
_OptionalDate = Annotated[date | None, BeforeValidator(_optional_date)]


class DossierIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: Annotated[str, BeforeValidator(normalise_dossier_code)]
    procedure: _Text = ""
    status: str
    received_on: _OptionalDate = None
    due_on: _OptionalDate = None
    result_on: _OptionalDate = None
    missing_papers: Annotated[list[str], BeforeValidator(lambda v: [] if _blank(v) else split_papers(v))] = []
    pickup_place: _Text = ""
    # The registered phone number, or only its last four digits: only a hash of those four is kept.
    phone: Annotated[str, BeforeValidator(last_four_digits), Field(repr=False)]

    @field_validator("status", mode="before")
    @classmethod
    def _status(cls, v: Any, info: ValidationInfo) -> str:
        return _status("dossier", v, info)

    def to_row(self, hasher: KeyedHasher, source: str) -> dict[str, Any]:
        return {"code": self.code, "procedure": self.procedure[:300], "status": self.status,
                "received_on": self.received_on, "due_on": self.due_on, "result_on": self.result_on,
                "missing_papers": "\n".join(self.missing_papers), "pickup_place": self.pickup_place[:300],
                "secret_hash": hasher.phone_tail(self.phone), "source": source}


class IdCardIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    receipt_no: str
    id_number: Annotated[str, BeforeValidator(normalise_id_number), Field(repr=False)]
    birth_date: Annotated[date, BeforeValidator(parse_date), Field(repr=False)]
    status: str
    pickup_place: _Text = ""
    ready_on: _OptionalDate = None

    @field_validator("receipt_no", mode="before")
    @classmethod
    def _receipt(cls, v: Any) -> str:
        text = normalise_receipt(v)
        if not text:
            raise ValueError("is empty")
        if len(text) > 64:
            raise ValueError("is longer than 64 characters")
        return text

    @field_validator("status", mode="before")
    @classmethod
    def _status(cls, v: Any, info: ValidationInfo) -> str:
        return _status("id_card", v, info)

    def to_row(self, hasher: KeyedHasher, source: str) -> dict[str, Any]:
        return {"receipt_no": self.receipt_no, "id_hash": hasher.id_number(self.id_number),
                "id_last4": self.id_number[-4:], "birth_date_hash": hasher.birth_date(self.birth_date),
                "status": self.status, "pickup_place": self.pickup_place[:300], "ready_on": self.ready_on,
                "source": source}


MODELS: dict[str, type[DossierIn] | type[IdCardIn]] = {"dossier": DossierIn, "id_card": IdCardIn}


@dataclass(frozen=True, slots=True)
class Problem:
    item: int  # index in the batch or row number in the file
    field: str  # "" for the whole item
    reason: str


def validate(kind: str, items: list[tuple[int, dict[str, Any]]], labels: dict[str, str], item_name: str = "item"
             ) -> tuple[list[tuple[int, DossierIn | IdCardIn]], list[Problem], list[tuple[int, int]]]:
    """Valid records, problems, and (item, earlier item) pairs of exact duplicates that were skipped.

    Two items with the same natural key but different values are a problem, and neither is stored:
    which one is right is not for the bot to guess (an export listing a dossier's history, older line
    first, would otherwise move its status back and notify the residents following it)."""
    model = MODELS[kind]
    context = {"labels": {simplify(k): v for k, v in labels.items()}}
    key = NATURAL_KEY[kind]
    valid: list[tuple[int, DossierIn | IdCardIn]] = []
    problems: list[Problem] = []
    duplicates: list[tuple[int, int]] = []
    seen: dict[str, tuple[int, DossierIn | IdCardIn]] = {}
    conflicting: dict[str, int] = {}  # natural key -> the first item that disagrees with the first one
    for n, data in items:
        try:
            record = model.model_validate(data, context=context)
        except ValidationError as e:
            problems += [Problem(n, field_path(err["loc"], ""), _reason(err)) for err in e.errors()]
            continue
        natural = getattr(record, key)
        if natural in seen:
            first, earlier = seen[natural]
            if earlier == record:
                duplicates.append((n, first))
            else:
                problems.append(Problem(n, key, f"the same {key} as {item_name} {first} but different values"))
                conflicting.setdefault(natural, n)
            continue
        seen[natural] = (n, record)
        valid.append((n, record))
    for natural, other in conflicting.items():
        first = seen[natural][0]
        problems.append(Problem(first, key, f"the same {key} as {item_name} {other} but different values"))
    problems.sort(key=lambda problem: problem.item)
    return [(n, r) for n, r in valid if getattr(r, key) not in conflicting], problems, duplicates


def _reason(err: Any) -> str:
    if err["type"] == "missing":
        return "is required"
    if err["type"] == "extra_forbidden":
        return "unknown field"
    return str(err["msg"]).removeprefix("Value error, ")
