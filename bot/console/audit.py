"""The console's append-only audit log: who did what, when, from where, before and after. Personal data
is masked and secrets are left out before anything is written."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from storage.console import repo

SECRET_KEYS = frozenset({"password", "password_hash", "totp_secret", "csrf_token"})


def _ends(value: object) -> str:
    """Only the last two characters: enough to tell two values apart in the log."""
    text = str(value)
    return "*" * max(len(text) - 2, 1) + text[-2:] if len(text) > 4 else "*" * len(text)


MASKS = {key: _ends for key in ("phone", "zalo_user_id", "id_number", "household_name", "address")}


def masked(values: dict[str, Any] | None) -> dict[str, Any] | None:
    if values is None:
        return None
    out: dict[str, Any] = {}
    for key, value in values.items():
        if key in SECRET_KEYS:
            continue
        if isinstance(value, datetime):
            value = value.isoformat()
        out[key] = MASKS[key](value) if key in MASKS and value else value
    return out


async def record(conn: AsyncConnection, *, actor: str, action: str, at: datetime, target: str | None = None,
                 ip: str | None = None, before: dict[str, Any] | None = None,
                 after: dict[str, Any] | None = None) -> None:
    await repo.append_audit(conn, {"at": at, "actor": actor, "action": action, "target": target, "ip": ip,
                                   "before": masked(before), "after": masked(after)})
