"""Text messages and button payloads: decide which flow answers (the conversation layer in
handlers/conversation.py reads free text in the light of the conversation)."""

from __future__ import annotations

from flows.base import Conversation, Incoming, Step, parse_payload
from flows.context import TurnContext
from flows.registry import FlowRegistry
from handlers.commands import global_command
from handlers.conversation import IDLE, converse, in_step, recall, remember, run_command


async def handle_text(
    ctx: TurnContext, conv: Conversation | None, msg: Incoming, flows: FlowRegistry
) -> Step:
    recall(ctx, conv)
    return remember(ctx, await _answer(ctx, conv, msg, flows))


async def _answer(ctx: TurnContext, conv: Conversation | None, msg: Incoming, flows: FlowRegistry) -> Step:
    text = msg.text.strip()
    if parse_payload(text) is not None:
        return await run_command(ctx, flows, text, "")
    step = await global_command(ctx, flows, ctx.services.simplify(text))
    if step is not None:
        return step
    if conv is not None and conv.flow != IDLE:
        return await in_step(ctx, conv, msg, flows, text)
    return (await converse(ctx, flows, text)).step
