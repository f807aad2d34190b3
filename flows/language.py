"""The language switch: the "English" / "Tiếng Việt" menu entries (#lang:set:en, #lang:set:vi)."""

from __future__ import annotations

from flows.base import Flow, Step
from flows.context import TurnContext
from flows.menu import menu_step
from flows.texts import LANGUAGES


async def _set(ctx: TurnContext, arg: str) -> Step:
    if arg in LANGUAGES:
        ctx.resident.language = arg
        ctx.use_language(arg)
    return menu_step(ctx, lead=ctx.text("language_set"))


LANGUAGE = Flow("lang", commands={"set": _set})
