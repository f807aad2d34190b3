"""All flows the bot knows, by name, and which command answers each understood intent."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from flows.base import Command, Flow, parse_payload


class FlowRegistry:
    def __init__(self, flows: Iterable[Flow], intents: Mapping[str, str] | None = None) -> None:
        self._flows = {f.name: f for f in flows}
        self._intents = dict(intents or {})

    def intent_command(self, intent: str) -> str | None:
        """The command (button payload) that answers an understood intent, if a feature answers it."""
        return self._intents.get(intent)

    def get(self, name: str) -> Flow | None:
        return self._flows.get(name)

    def command(self, text: str) -> Command | None:
        parsed = parse_payload(text)
        if parsed is None:
            return None
        flow = self._flows.get(parsed[0])
        return None if flow is None else flow.commands.get(parsed[1])
