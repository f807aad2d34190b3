"""Event → middlewares → handler (after aiogram's outer middleware chain around a routing table).

Middlewares (handlers/middlewares.py) see the whole turn and may answer it themselves (abuse limit, handoff
pause) or let it through; the handler for the event family (handlers/router.py) then decides which flow
answers.
"""

from __future__ import annotations

from collections.abc import Sequence

from flows.base import Step
from flows.registry import FlowRegistry
from handlers.middlewares import Middleware, Next, Turn
from handlers.router import HANDLERS, EventHandler


class Dispatcher:
    def __init__(self, flows: FlowRegistry, middlewares: Sequence[Middleware],
                 handlers: dict[str, EventHandler] | None = None) -> None:
        self.flows = flows
        self.handlers = HANDLERS if handlers is None else handlers
        self.middlewares = list(middlewares)

    async def dispatch(self, turn: Turn) -> Step:
        async def call_handler(t: Turn) -> Step:
            handler = self.handlers.get(t.incoming.kind)
            if handler is None:
                return Step([], next=t.conv)
            return await handler(t.ctx, t.conv, t.incoming, self.flows)

        chain: Next = call_handler
        for mw in reversed(self.middlewares):
            chain = _bind(mw, chain)
        return await chain(turn)


def _bind(mw: Middleware, nxt: Next) -> Next:
    async def run(turn: Turn) -> Step:
        return await mw(turn, nxt)
    return run
