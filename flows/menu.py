"""The main menu: entries come from the flow configuration."""

from __future__ import annotations

from flows.base import Flow, Step, payload
from flows.context import TurnContext
from flows.replies import Button, Text


def menu_step(ctx: TurnContext, lead: str | None = None) -> Step:
    buttons = tuple(Button(e.title, payload=e.payload) for e in ctx.menu)
    title = ctx.text("menu_title")
    return Step([Text(f"{lead}\n\n{title}" if lead else title, buttons)])


def back_button(ctx: TurnContext) -> Button:
    return Button(ctx.text("back_to_menu"), payload=payload("menu", "show"))


async def _show(ctx: TurnContext, _arg: str) -> Step:
    return menu_step(ctx)


MENU = Flow("menu", commands={"show": _show})
