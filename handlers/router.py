"""Which handler gets each event family (the dispatcher's routing table)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from flows.base import Conversation, Incoming, Step
from flows.context import TurnContext
from flows.registry import FlowRegistry
from handlers.events import handle_attachment, handle_follow, handle_submit_info, handle_unfollow
from handlers.messages import handle_text

EventHandler = Callable[[TurnContext, Conversation | None, Incoming, FlowRegistry], Awaitable[Step]]

HANDLERS: dict[str, EventHandler] = {
    "text": handle_text,
    "payload": handle_text,
    "attachment": handle_attachment,
    "follow": handle_follow,
    "unfollow": handle_unfollow,
    "submit_info": handle_submit_info,
}
