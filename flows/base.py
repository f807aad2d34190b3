"""Conversations as explicit state tables (after python-telegram-bot's ConversationHandler).

A flow maps each of its states to a handler ``(ctx, conv, msg) -> Step | None``. ``None`` means
"not mine": the caller then falls back to global understanding (menu commands, intents). A flow step
returns replies and the next conversation, or ``None`` for idle. Flows never touch HTTP or Zalo JSON.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from flows.context import TurnContext
from flows.replies import Reply

# Bump when the shape of Conversation.data changes: the worker drops a state saved in another version.
STATE_VERSION = 1

# Hidden button payloads start with this marker: "#<flow>:<action>[:<arg>]".
PAYLOAD_MARK = "#"


@dataclass(frozen=True, slots=True)
class Incoming:
    """What the resident did, independent of the channel."""

    kind: str  # text | payload | attachment | follow | unfollow | submit_info
    text: str = ""
    info: dict[str, str] | None = None
    attachment_type: str | None = None


@dataclass(slots=True)
class Conversation:
    flow: str
    state: str
    data: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"flow": self.flow, "state": self.state, "data": self.data}


@dataclass(slots=True)
class Step:
    replies: list[Reply]
    next: Conversation | None = None


Handler = Callable[[TurnContext, Conversation, Incoming], Awaitable[Step | None]]
Command = Callable[[TurnContext, str], Awaitable[Step]]


@dataclass(frozen=True)
class Waiting:
    """What a state that waits for a value tells the conversation layer, for repair: the text key of its
    short "what to type" prompt, the details topic its questions are answered from, the command that
    asks again with the step's own buttons, and extra buttons (text key, payload) for a re-ask. A state
    that cannot read the value returns its own conversation object as the next one (`Step(…, conv)`):
    the layer counts that as a miss."""

    prompt: str
    topic: str
    reask: str | None = None
    buttons: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Flow:
    """A named state table plus the commands (button payloads) that enter it."""

    name: str
    states: dict[str, Handler] = field(default_factory=dict)
    commands: dict[str, Command] = field(default_factory=dict)
    waiting: dict[str, Waiting] = field(default_factory=dict)  # the states that wait for a value

    async def handle(self, ctx: TurnContext, conv: Conversation, msg: Incoming) -> Step | None:
        handler = self.states.get(conv.state)
        return None if handler is None else await handler(ctx, conv, msg)


def payload(flow: str, action: str, arg: str = "") -> str:
    return f"{PAYLOAD_MARK}{flow}:{action}" + (f":{arg}" if arg else "")


def parse_payload(text: str) -> tuple[str, str, str] | None:
    if not text.startswith(PAYLOAD_MARK):
        return None
    flow, _, rest = text[1:].partition(":")
    action, _, arg = rest.partition(":")
    return (flow, action, arg) if flow and action else None
