"""What the dossier and căn cước lookups share: the failure lock, the audit trail and the opt-in commands.

A failed verification (unknown key or wrong secret) counts towards the resident's limit; the count is
read from the audit, so it holds across conversations, processes and an erasure request.
"""

from __future__ import annotations

from datetime import timedelta

from flows.base import Command, Step
from flows.context import TurnContext
from flows.lookups.hashing import KeyedHasher
from flows.menu import back_button
from flows.replies import Text
from storage.lookups.models import LOCKED


def ready(ctx: TurnContext) -> bool:
    """Lookups need the hashing key; without it they say so instead of failing."""
    return ctx.services.hasher is not None


def hasher(ctx: TurnContext) -> KeyedHasher:
    """The key's hasher, for flows that checked `ready` on entry (the key cannot go away mid-turn)."""
    keyed = ctx.services.hasher
    if keyed is None:
        raise RuntimeError("lookups need privacy.hash_key: check ready() before hashing")
    return keyed


def unavailable(ctx: TurnContext) -> Step:
    return Step([Text(ctx.text("lookup_unavailable"), (back_button(ctx),))])


def _window(ctx: TurnContext) -> timedelta:
    return timedelta(hours=ctx.services.lookup_limits.failure_window_hours)


async def audit(ctx: TurnContext, kind: str, outcome: str, key_hash: str | None = None,
                record_id: int | None = None) -> None:
    await ctx.services.lookups.audit(zalo_user_id=ctx.zalo_user_id, user_ref=hasher(ctx).user(ctx.zalo_user_id),
                                     kind=kind, outcome=outcome, at=ctx.now, key_hash=key_hash, record_id=record_id)


async def attempts_left(ctx: TurnContext) -> int:
    failures = await ctx.services.lookups.failures_since(hasher(ctx).user(ctx.zalo_user_id),
                                                         ctx.now - _window(ctx))
    return max(ctx.services.lookup_limits.max_failed_lookups - failures, 0)


def locked_step(ctx: TurnContext) -> Step:
    limit = str(ctx.services.lookup_limits.max_failed_lookups)
    return Step([Text(ctx.text("lookup_locked", max=limit), (back_button(ctx),))])


async def refuse_if_locked(ctx: TurnContext, kind: str, key_hash: str | None = None) -> Step | None:
    if await attempts_left(ctx) > 0:
        return None
    await audit(ctx, kind, LOCKED, key_hash)
    return locked_step(ctx)


async def failed(ctx: TurnContext, kind: str, outcome: str, key_hash: str) -> int:
    """Record a failed verification; returns how many attempts are left."""
    await audit(ctx, kind, outcome, key_hash)
    return await attempts_left(ctx)


def optin_command(kind: str) -> Command:
    """"Tell me when it changes": only for a record this resident verified within the failure window,
    so a typed payload with someone else's record id gets nothing."""

    async def run(ctx: TurnContext, arg: str) -> Step:
        if not ready(ctx):
            return unavailable(ctx)
        lookups = ctx.services.lookups
        if not arg.isdigit() or not await lookups.verified_since(ctx.zalo_user_id, kind, int(arg),
                                                                   ctx.now - _window(ctx)):
            return Step([Text(ctx.text("lookup_notify_expired"), (back_button(ctx),))])
        await lookups.add_optin(ctx.zalo_user_id, kind, int(arg), ctx.now)
        return Step([Text(ctx.text("lookup_notify_ok"), (back_button(ctx),))])

    return run


def stop_command(kind: str) -> Command:
    async def run(ctx: TurnContext, arg: str) -> Step:
        if arg.isdigit():
            await ctx.services.lookups.remove_optin(ctx.zalo_user_id, kind, int(arg))
        return Step([Text(ctx.text("lookup_stop_ok"), (back_button(ctx),))])

    return run
