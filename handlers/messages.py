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

DOSSIER_COMMAND = "#dossier:start"
# Which command answers each understood intent; the argument is the resident's own text.
INTENT_COMMANDS = {
    "procedure": "#proc:ask",
    "browse": "#proc:browse",
    "wednesday_info": "#info:wednesday",
    "contact": "#info:contact",
    "dossier_lookup": DOSSIER_COMMAND,
    "id_card_lookup": "#idcard:start",
    "news": "#news:latest",
    "subscribe": "#subscribe:start",
    "unsubscribe": "#subscribe:stop",
    "handoff": "#handoff:start",
    "greeting": "#menu:show",
}


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
    if find_dossier_code(text) is not None:  # a dossier code typed anywhere in a message
        return await run_command(ctx, flows, DOSSIER_COMMAND, text)
    understanding = ctx.services.understand(text)
    command = INTENT_COMMANDS.get(understanding.intent) if understanding is not None else None
    if command is None:
        await ctx.services.record_unanswered(text)
        return menu_step(ctx, lead=ctx.text("fallback"))
    return await run_command(ctx, flows, command, text)


async def run_command(ctx: TurnContext, flows: FlowRegistry, payload_text: str, arg: str) -> Step:
    """Run a button payload or an intent's command; features not built yet say so honestly."""
    command = flows.command(payload_text)
    if command is not None:
        parsed = parse_payload(payload_text)
        return await command(ctx, (parsed[2] if parsed else "") or arg)
    feature = next((e.title for e in ctx.menu if e.payload == payload_text), payload_text)
    return Step([Text(ctx.text("not_built", feature=feature), (back_button(ctx),))])
