"""Non-text event families: follow/unfollow, attachments, submitted info."""

from __future__ import annotations

from flows.base import Conversation, Incoming, Step
from flows.context import TurnContext
from flows.menu import menu_step
from flows.registry import FlowRegistry
from flows.replies import Text

STICKERS = frozenset({"sticker", "gif"})


async def handle_follow(
    ctx: TurnContext, conv: Conversation | None, msg: Incoming, flows: FlowRegistry
) -> Step:
    ctx.resident.is_follower = True
    onboarding = flows.command("#onboard:start")
    if onboarding is not None:
        return await onboarding(ctx, "")
    return menu_step(ctx, lead=ctx.text("welcome"))


async def handle_unfollow(
    ctx: TurnContext, conv: Conversation | None, msg: Incoming, flows: FlowRegistry
) -> Step:
    ctx.resident.is_follower = False
    return Step([])  # an unfollowed resident cannot be messaged


async def handle_attachment(
    ctx: TurnContext, conv: Conversation | None, msg: Incoming, flows: FlowRegistry
) -> Step:
    if msg.attachment_type in STICKERS:  # a sticker is a gesture, not a file
        return Step([Text(ctx.text("sticker_reply"))], next=conv)
    return Step([Text(ctx.text("attachment"))], next=conv)


async def handle_submit_info(
    ctx: TurnContext, conv: Conversation | None, msg: Incoming, flows: FlowRegistry
) -> Step:
    if conv is not None:
        flow = flows.get(conv.flow)
        step = None if flow is None else await flow.handle(ctx, conv, msg)
        if step is not None:
            return step
    return Step([], next=conv)
