"""Global commands: what a resident can say in any state, whatever the conversation waits for. Menu words
bring the main menu back; erase words run the erasure (a data-protection right, honoured even while staff
have the chat)."""

from __future__ import annotations

from flows.base import Step, payload
from flows.context import TurnContext
from flows.menu import menu_step
from flows.privacy import ERASE_COMMAND, ERASE_WORDS
from flows.registry import FlowRegistry
from handlers.conversation import run_command

# Words that always bring the main menu back, whatever the conversation state (normalised text).
MENU_WORDS = frozenset({"menu", "menu chinh", "bat dau", "start", "bot", "quay lai", "ve menu", "tro ve"})
MENU_COMMAND = payload("menu", "show")


def asks_for_menu(text: str, simple: str) -> bool:
    """The menu's button or one of MENU_WORDS (`simple`: the text as `services.simplify` makes it)."""
    return text == MENU_COMMAND or simple in MENU_WORDS


def asks_to_erase(text: str, simple: str) -> bool:
    return text == ERASE_COMMAND or simple in ERASE_WORDS


async def global_command(ctx: TurnContext, flows: FlowRegistry, simple: str) -> Step | None:
    """The answer to typed menu or erase words; None for any other text."""
    if simple in MENU_WORDS:
        return menu_step(ctx)
    if simple in ERASE_WORDS:
        return await run_command(ctx, flows, ERASE_COMMAND, "")
    return None
