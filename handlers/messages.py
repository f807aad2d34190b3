"""Text messages and button payloads: decide which flow answers."""

from __future__ import annotations

from flows.base import Conversation, Incoming, Step, parse_payload
from flows.context import TurnContext
from flows.menu import back_button, menu_step
from flows.privacy import ERASE_COMMAND, ERASE_WORDS
from flows.registry import FlowRegistry
from flows.replies import Text
from flows.text.dossier_code import find_dossier_code

# Words that always bring the main menu back, whatever the conversation state (normalised text).
MENU_WORDS = frozenset({"menu", "menu chinh", "bat dau", "start", "bot", "quay lai", "ve menu", "tro ve"})

# A dossier code typed anywhere in a message is a dossier lookup, whatever else the message says.
DOSSIER_INTENT = "dossier_lookup"


async def handle_text(
    ctx: TurnContext, conv: Conversation | None, msg: Incoming, flows: FlowRegistry
) -> Step:
    text = msg.text.strip()
    if parse_payload(text) is not None:
        return await run_command(ctx, flows, text, "")
    simple = ctx.services.simplify(text)
    if simple in MENU_WORDS:
        return menu_step(ctx)
    if simple in ERASE_WORDS:  # a data-protection right: honoured in any state
        return await run_command(ctx, flows, ERASE_COMMAND, "")
    if conv is not None:
        flow = flows.get(conv.flow)
        step = None if flow is None else await flow.handle(ctx, conv, msg)
        if step is not None:
            return step
    return await answer_free_text(ctx, flows, text)


async def answer_free_text(ctx: TurnContext, flows: FlowRegistry, text: str) -> Step:
    dossier_command = flows.intent_command(DOSSIER_INTENT)
    if dossier_command is not None and find_dossier_code(text) is not None:
        return await run_command(ctx, flows, dossier_command, text)
    understanding = ctx.services.understand(text)
    command = flows.intent_command(understanding.intent) if understanding is not None else None
    if command is None:
        await ctx.services.record_unanswered(text)
        return menu_step(ctx, lead=ctx.text("fallback"))
    return await run_command(ctx, flows, command, text)


async def run_command(ctx: TurnContext, flows: FlowRegistry, payload_text: str, arg: str) -> Step:
    """Run a button payload or an intent's command. A payload no flow answers (a menu entry an admin
    added for something the service does not have) gets an honest "not available" instead of silence."""
    command = flows.command(payload_text)
    if command is not None:
        parsed = parse_payload(payload_text)
        return await command(ctx, (parsed[2] if parsed else "") or arg)
    feature = next((e.title for e in ctx.menu if e.payload == payload_text), payload_text)
    return Step([Text(ctx.text("not_built", feature=feature), (back_button(ctx),))])
