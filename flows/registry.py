"""All flows the bot knows, by name."""

from __future__ import annotations

from collections.abc import Iterable

from flows.base import Command, Flow, parse_payload


class FlowRegistry:
    def __init__(self, flows: Iterable[Flow]) -> None:
        self._flows = {f.name: f for f in flows}

    def get(self, name: str) -> Flow | None:
        return self._flows.get(name)

    def command(self, text: str) -> Command | None:
        parsed = parse_payload(text)
        if parsed is None:
            return None
        flow = self._flows.get(parsed[0])
        return None if flow is None else flow.commands.get(parsed[1])
