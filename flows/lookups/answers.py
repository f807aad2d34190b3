"""What residents are told about a dossier or căn cước record: in lookups and in change notifications.

Only the status, dates, what to do next and where to go; identifiers masked. `text` is a texts getter
such as `TurnContext.text` (key, **values) -> str.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from flows.base import payload
from flows.info import hours_lines
from flows.lookups.values import dossier_tail, mask_tail, show_date
from flows.replies import Button, Text

TextFn = Callable[..., str]
FLOW_OF_KIND = {"dossier": "dossier", "id_card": "idcard"}


def office_hours(text: TextFn, hours: Mapping[int, list[str]], language: str = "vi") -> str:
    return "; ".join(hours_lines(hours, language)) if hours else text("office_hours_unknown")


def dossier_title(text: TextFn, row: Any) -> str:
    code = dossier_tail(row.code)
    return text("dossier_title", code=code, procedure=row.procedure) if row.procedure else code


def _status(text: TextFn, key: str, missing: bool, **values: str) -> str:
    """The status text; its `_undated` variant when the value the sentence needs (a date, the papers) is
    missing, so no sentence reads "từ chưa có" or lists "• chưa có"."""
    return text(f"{key}_undated" if missing else key, **values)


def dossier_status(text: TextFn, row: Any, hours: str) -> str:
    unknown = text("unknown_date")
    papers = "\n".join(f"• {p}" for p in row.missing_papers.splitlines() if p.strip())
    since = text("result_since", date=show_date(row.result_on)) if row.result_on else ""
    missing = {"need_more": not papers, "overdue": not row.due_on}.get(row.status, False)
    return _status(text, f"dossier_status_{row.status}", missing, due=show_date(row.due_on) or unknown, since=since,
                   result_on=show_date(row.result_on) or unknown, received_on=show_date(row.received_on) or unknown,
                   pickup=row.pickup_place or text("dossier_default_pickup"), papers=papers, hours=hours)


def card_ident(text: TextFn, row: Any, by_id_number: bool) -> str:
    if by_id_number:
        return text("idcard_ident_id", masked=mask_tail("0" * 8 + row.id_last4))
    return text("idcard_ident_receipt", masked=mask_tail(row.receipt_no))


def card_status(text: TextFn, row: Any) -> str:
    return _status(text, f"idcard_status_{row.status}", row.status == "ready" and not row.ready_on,
                   ready_on=show_date(row.ready_on) or text("unknown_date"),
                   pickup=row.pickup_place or text("idcard_default_pickup"))


def notification(text: TextFn, kind: str, row: Any, hours: str) -> Text:
    """The message an opted-in resident gets when the record's status changed."""
    if kind == "dossier":
        body = text("dossier_notify", code=dossier_title(text, row), status=dossier_status(text, row, hours))
    else:
        body = text("idcard_notify", ident=card_ident(text, row, by_id_number=False), status=card_status(text, row))
    stop = Button(text("lookup_stop_button"), payload=payload(FLOW_OF_KIND[kind], "stop", str(row.id)))
    return Text(body, (stop,))
