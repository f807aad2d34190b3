"""The middlewares every turn passes through before its handler (after aiogram's outer middlewares): they
see the whole turn and may answer it themselves (abuse limit, handoff pause) or let it through, after
noting the interaction window, choosing the language and ending a conversation left too long."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flows.base import Conversation, Incoming, Step, parse_payload
from flows.context import TurnContext
from flows.menu import menu_step
from flows.replies import Text
from handlers.commands import asks_for_menu, asks_to_erase
from handlers.conversation import handoff_notice

CONVERSATION_TIMEOUT = timedelta(minutes=30)
USER_FAMILIES = frozenset({"text", "payload", "attachment", "submit_info"})


@dataclass(slots=True)
class Turn:
    incoming: Incoming
    ctx: TurnContext
    conv: Conversation | None
    row: dict[str, Any]  # the resident's persisted counters, updated in place


Next = Callable[[Turn], Awaitable[Step]]
Middleware = Callable[[Turn, Next], Awaitable[Step]]


async def track_interaction(turn: Turn, nxt: Next) -> Step:
    """Remember when the resident last wrote: Zalo only lets the OA answer inside that window."""
    if turn.incoming.kind in USER_FAMILIES:
        turn.row["last_message_at"] = turn.ctx.now
    return await nxt(turn)


async def choose_language(turn: Turn, nxt: Next) -> Step:
    """Answer in the language the resident writes: a message that shows its language (English words,
    Vietnamese accents) sets it, and it is kept for the resident, so "5567" or a tap after an English
    question is still answered in English. The language buttons (#lang:set:…) set it too."""
    ctx = turn.ctx
    text = turn.incoming.text
    if turn.incoming.kind == "text" and text and parse_payload(text.strip()) is None:
        ctx.resident.language = ctx.services.language_of(text) or ctx.resident.language
    if ctx.resident.language:
        ctx.use_language(ctx.resident.language)
    return await nxt(turn)


async def expire_conversation(turn: Turn, nxt: Next) -> Step:
    updated: datetime | None = turn.row.get("state_updated_at")
    if turn.conv is not None and (updated is None or turn.ctx.now - updated > CONVERSATION_TIMEOUT):
        turn.conv = None
    return await nxt(turn)


def abuse_limit(per_minute: int) -> Middleware:
    """At most `per_minute` messages a minute per resident; one warning, then silence until the window ends."""

    async def limit(turn: Turn, nxt: Next) -> Step:
        if turn.incoming.kind not in USER_FAMILIES:
            return await nxt(turn)
        now = turn.ctx.now
        started: datetime | None = turn.row.get("window_started_at")
        if started is None or now - started >= timedelta(minutes=1):
            turn.row["window_started_at"], turn.row["window_count"] = now, 0
        turn.row["window_count"] = count = int(turn.row.get("window_count") or 0) + 1
        if count == per_minute + 1:
            return Step([Text(turn.ctx.text("rate_limited"))], next=turn.conv)
        if count > per_minute:
            return Step([], next=turn.conv)
        return await nxt(turn)

    return limit


async def handoff_pause(turn: Turn, nxt: Next) -> Step:
    """While staff have the conversation the bot stays quiet, unless the resident asks for the menu."""
    until = turn.ctx.resident.handoff_until
    if until is None or turn.ctx.now >= until or turn.incoming.kind not in USER_FAMILIES:
        return await nxt(turn)
    text = turn.incoming.text.strip()
    simple = turn.ctx.services.simplify(text)
    if asks_to_erase(text, simple):
        return await nxt(turn)  # a data-protection right is honoured even while staff have the chat
    if asks_for_menu(text, simple):
        turn.ctx.resident.handoff_until = None
        return menu_step(turn.ctx, lead=turn.ctx.text("handoff_resume"))
    notice = handoff_notice(turn.ctx, turn.conv, text, until.isoformat()) if turn.incoming.kind == "text" else None
    return notice if notice is not None else Step([], next=turn.conv)


def default_middlewares(per_minute: int) -> list[Middleware]:
    return [track_interaction, choose_language, abuse_limit(per_minute), handoff_pause, expire_conversation]
