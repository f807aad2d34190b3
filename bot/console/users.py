"""Staff accounts — the one implementation behind `python -m bot users ...` (and the console's pages)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import AppConfig
from bot.console import audit
from bot.console.config import Role
from bot.console.passwords import MIN_PASSWORD_LENGTH, Passwords
from bot.errors import InvalidInput, NotFound
from storage.console import repo

_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")


def login_name(raw: str) -> str:
    return raw.strip().casefold()


class UserIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    name: str
    roles: list[Role] = Field(min_length=1)
    thon: list[str] = []
    zalo_user_id: str | None = Field(None, max_length=64)

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        v = login_name(v)
        if not _NAME.match(v):
            raise ValueError("must be 2-64 characters: lower-case letters, digits, '.', '_' or '-'")
        return v


def check_password(password: str) -> list[str]:
    return [] if len(password) >= MIN_PASSWORD_LENGTH else [
        f"password: must be at least {MIN_PASSWORD_LENGTH} characters"]


def _check_thon(spec: UserIn, config: AppConfig) -> list[str]:
    known = {t.slug for t in config.commune.thon}
    problems = [f"thon.{i}: unknown thôn {s!r} (known: {', '.join(sorted(known)) or 'none configured'})"
                for i, s in enumerate(spec.thon) if s not in known]
    if "thon_team" in spec.roles and not spec.thon:
        problems.append("thon: a thon_team member needs at least one thôn (--thon SLUG)")
    return problems


def public(row: Any) -> dict[str, Any]:
    return {"name": row.name, "roles": list(row.roles), "thon": list(row.thon), "disabled": row.disabled,
            "zalo_user_id": row.zalo_user_id, "totp": row.totp_confirmed_at is not None}


async def add(engine: AsyncEngine, config: AppConfig, passwords: Passwords, spec: UserIn, password: str,
              now: datetime, actor: str) -> int:
    problems = _check_thon(spec, config) + check_password(password)
    if problems:
        raise InvalidInput(problems)
    hashed = await passwords.hash(password)
    async with engine.begin() as conn:
        if await repo.user_by_name(conn, spec.name) is not None:
            raise InvalidInput([f"name: a user named {spec.name!r} already exists"])
        user_id = await repo.add_user(conn, {**spec.model_dump(), "password_hash": hashed, "disabled": False,
                                             "created_at": now, "updated_at": now})
        await audit.record(conn, actor=actor, action="user.add", target=f"user:{spec.name}", at=now,
                           after=spec.model_dump())
    return user_id


async def _existing(conn: Any, name: str) -> Any:
    row = await repo.user_by_name(conn, login_name(name))
    if row is None:
        raise NotFound(f"no user named {login_name(name)!r}")
    return row


async def set_disabled(engine: AsyncEngine, name: str, disabled: bool, now: datetime, actor: str,
                       ip: str | None = None) -> int:
    """Disable (or enable) an account; disabling ends its sessions. Returns the sessions ended."""
    async with engine.begin() as conn:
        row = await _existing(conn, name)
        await repo.set_user(conn, row.id, disabled=disabled, updated_at=now)
        ended = await repo.delete_user_sessions(conn, row.id) if disabled else 0
        await audit.record(conn, actor=actor, action="user.disable" if disabled else "user.enable",
                           target=f"user:{row.name}", at=now, ip=ip, before={"disabled": row.disabled},
                           after={"disabled": disabled})
    return ended


async def reset(engine: AsyncEngine, passwords: Passwords, name: str, password: str, now: datetime, actor: str,
                *, totp: bool = False) -> None:
    """A new password (and, with `totp`, a new authenticator enrolment); every session of the user ends."""
    problems = check_password(password)
    if problems:
        raise InvalidInput(problems)
    hashed = await passwords.hash(password)
    async with engine.begin() as conn:
        row = await _existing(conn, name)
        values: dict[str, Any] = {"password_hash": hashed, "updated_at": now}
        if totp:
            values.update(totp_secret=None, totp_confirmed_at=None, totp_last_step=None)
        await repo.set_user(conn, row.id, **values)
        await repo.delete_user_sessions(conn, row.id)
        await audit.record(conn, actor=actor, action="user.reset", target=f"user:{row.name}", at=now,
                           after={"password": "changed", "totp_reset": totp})


async def list_all(engine: AsyncEngine) -> list[dict[str, Any]]:
    async with engine.connect() as conn:
        return [public(r) for r in await repo.list_users(conn)]
