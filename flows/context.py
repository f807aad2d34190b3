"""The per-turn context handed to flows: configuration, the clock, the resident, repositories."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from flows.text.reading import Reading
from flows.texts import MenuEntry, Texts

if TYPE_CHECKING:
    from flows.services import FlowServices


@dataclass(slots=True)
class ResidentView:
    """The parts of a resident a flow may read or change; the worker persists changes."""

    zalo_user_id: str
    is_follower: bool
    handoff_until: datetime | None = None
    language: str | None = None  # the resident's language ("vi", "en"); None until they show one


@dataclass(slots=True)
class TurnContext:
    zalo_user_id: str
    now: datetime
    texts: Texts
    services: FlowServices
    resident: ResidentView
    menu: list[MenuEntry] = field(default_factory=list)
    language: str = "vi"  # the language of this turn's replies; `texts` and `menu` are in it
    # What the conversation remembers across turns (the topic in focus, whether the helpfulness
    # question was asked…); kept in the conversation state by the message handler.
    memory: dict[str, Any] = field(default_factory=dict)
    readings: dict[str, Reading] = field(default_factory=dict)  # this turn's texts, each analysed once

    def read(self, text: str) -> Reading:
        """This turn's reading of `text`: the layer and the flow that answers share one analysis of it."""
        return self.readings.get(text) or Reading(text, self.services.understand, self.services.talk, self.readings)

    def use_language(self, language: str) -> None:
        """Answer this turn in `language` (texts and menu from the services' files in it)."""
        flow_texts = self.services.texts_for(language)
        self.language, self.texts, self.menu = language, flow_texts.texts, flow_texts.menu

    def text(self, key: str, **values: str) -> str:
        return self.texts.get(key, **{**self.services.text_defaults_for(self.language), **values})

    def has_text(self, key: str) -> bool:
        return isinstance(getattr(self.texts, key, None), str)
