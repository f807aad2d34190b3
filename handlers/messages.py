"""Text messages and button payloads: decide which flow answers (the conversation layer in
handlers/conversation.py reads free text in the light of the conversation)."""

from __future__ import annotations

from flows.base import Conversation, Incoming, Step, parse_payload
from flows.context import TurnContext
from flows.menu import menu_step
from flows.privacy import ERASE_COMMAND, ERASE_WORDS
from flows.registry import FlowRegistry
from handlers.conversation import IDLE, converse, in_step, recall, remember, run_command

# Words that always bring the main menu back, whatever the conversation state (normalised text).
MENU_WORDS = frozenset({"menu", "menu chinh", "bat dau", "start", "bot", "quay lai", "ve menu", "tro ve"})


async def handle_text(
    ctx: TurnContext, conv: Conversation | None, msg: Incoming, flows: FlowRegistry
) -> Step:
    recall(ctx, conv)
    return remember(ctx, await _answer(ctx, conv, msg, flows))


async def _answer(ctx: TurnContext, conv: Conversation | None, msg: Incoming, flows: FlowRegistry) -> Step:
    text = msg.text.strip()
    if parse_payload(text) is not None:
        return await run_command(ctx, flows, text, "")
    simple = ctx.services.simplify(text)
    if simple in MENU_WORDS:
        return menu_step(ctx)
    if simple in ERASE_WORDS:  # a data-protection right: honoured in any state
        return await run_command(ctx, flows, ERASE_COMMAND, "")
    if conv is not None and conv.flow != IDLE:
        return await in_step(ctx, conv, msg, flows, text)
    return (await converse(ctx, flows, text)).step
