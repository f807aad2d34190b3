"""What flows may use, as a typed seam: the settings they read, text understanding, and repositories
joined to the turn's transaction. The running service implements it (bot/services.py); a flow never
sees the service's configuration object, only the settings named here."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

from flows.lookups.hashing import KeyedHasher
from flows.procedures.catalog import Catalog
from flows.text.talk import Talk
from flows.text.understand import Understanding
from flows.texts import FlowTexts
from storage.broadcasts.households import HouseholdRepo
from storage.broadcasts.news import NewsRepo
from storage.lookups.repo import LookupStore


class Thon(Protocol):
    slug: str
    name: str


class Topic(Protocol):
    slug: str
    name: str
    default: bool  # one of "the essentials" offered during onboarding


class Commune(Protocol):
    name: str
    office_name: str
    office_address: str
    office_phone: str
    office_phone_verified: bool
    office_hours_verified: bool
    timezone: str

    @property
    def thon(self) -> Sequence[Thon]: ...
    @property
    def office_hours(self) -> Mapping[int, list[str]]: ...


class LookupLimits(Protocol):
    """How lookups guard against guessing, and the retention periods they tell residents about."""

    max_failed_lookups: int
    failure_window_hours: int
    record_retention_days: int
    audit_retention_days: int


class FlowServices(Protocol):
    @property
    def commune(self) -> Commune: ...
    @property
    def topics(self) -> Sequence[Topic]: ...
    @property
    def lookup_limits(self) -> LookupLimits: ...
    @property
    def request_info_image_url(self) -> str: ...  # the picture on Zalo's contact form
    @property
    def text_defaults(self) -> Mapping[str, str]: ...  # values every text may use ({commune}, {phone}, …)
    def text_defaults_for(self, language: str) -> Mapping[str, str]: ...  # the same, labelled in that language
    @property
    def catalog(self) -> Catalog: ...
    @property
    def talk(self) -> Talk: ...  # the conversation layer's aspect words, cues and topic details
    @property
    def hasher(self) -> KeyedHasher | None: ...  # None: no key configured, lookups are off
    @property
    def households(self) -> HouseholdRepo: ...
    @property
    def news(self) -> NewsRepo: ...
    @property
    def lookups(self) -> LookupStore: ...

    def simplify(self, text: str) -> str: ...
    def understand(self, text: str) -> Understanding: ...
    def language_of(self, text: str) -> str | None: ...  # "en", "vi", or None when the text does not show
    def texts_for(self, language: str) -> FlowTexts: ...  # texts and menu in that language
    def decide(self, understanding: Understanding) -> str: ...
    async def record_feedback(self, slug: str, helpful: bool) -> None: ...
    async def record_unanswered(self, text: str, kind: str = "unanswered") -> None: ...  # or "suggested"
