"""Hand the resident over to staff: the bot stays quiet until the pause ends or they ask for the menu."""

from __future__ import annotations

from datetime import timedelta

from flows.base import Flow, Step
from flows.context import TurnContext
from flows.replies import Text

HANDOFF_PAUSE = timedelta(hours=24)


async def _start(ctx: TurnContext, _arg: str) -> Step:
    ctx.resident.handoff_until = ctx.now + HANDOFF_PAUSE
    return Step([Text(ctx.text("handoff"))])


HANDOFF = Flow("handoff", commands={"start": _start})
