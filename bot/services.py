"""What flows may use (through ctx.services, typed by flows.services.FlowServices): settings, text
understanding and repositories.

`Services` is built once from the configuration; `bind(conn)` gives the per-transaction view whose
repository calls join the worker's transaction.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncConnection

from bot import commune_facts
from bot.broadcasts.config import TopicConfig
from bot.config import AppConfig, CommuneConfig
from bot.lookups.config import PrivacyConfig
from flows.facts import FactsError, load_confirmations
from flows.lookups.hashing import KeyedHasher, hasher_for
from flows.procedures.catalog import Catalog, CatalogError, load_catalog
from flows.text.lexicon import LexiconError, load_lexicon
from flows.text.normalize import unaccent
from flows.text.talk import Talk, TalkError, load_talk
from flows.text.understand import Understander, Understanding, decide
from flows.texts import LANGUAGES, FlowConfigError, FlowTexts, MenuEntry, Texts, load_languages
from flows.tomlfile import FlowFiles
from storage.broadcasts.households import HouseholdRepo
from storage.broadcasts.news import NewsRepo
from storage.lookups.repo import LookupStore
from storage.models import ProcedureFeedback, UnansweredMessage
from storage.types import utcnow

_DIGIT_RUNS = re.compile(r"\d[\d ./-]{5,}\d")  # "/" too: dates of birth


def simplify(text: str) -> str:
    """Lower case, no accents (đ → d), single spaces: for matching fixed command words."""
    return " ".join(re.sub(r"[^\w\s]", " ", unaccent(text.lower())).split())


def mask_digits(text: str) -> str:
    """Hide long digit runs (phone numbers, ID numbers) before a resident's text is stored."""
    return _DIGIT_RUNS.sub(lambda m: "*" * (len(m.group()) - 2) + m.group()[-2:], text)


def text_defaults(c: CommuneConfig, texts: Texts) -> dict[str, str]:
    """{commune}, {phone} and {address} for every text; a phone or address not verified is labelled so, in
    the language of `texts`."""

    def labelled(value: str, verified: bool, key: str) -> str:
        return value if verified or not value else texts.get(key, value=value)

    return {"commune": c.name,
            "phone": labelled(c.office_phone, c.office_phone_verified, "unverified_phone") or "bộ phận một cửa",
            "address": labelled(c.office_address, c.office_address_verified, "unverified_address")}


class Services:
    def __init__(self, config: AppConfig, flow_texts: FlowTexts, catalog: Catalog, understander: Understander,
                 talk: Talk, languages: dict[str, FlowTexts] | None = None,
                 commune: CommuneConfig | None = None) -> None:
        self.config = config
        self.commune = commune or config.commune  # with the published confirmations (bot/commune_facts.py)
        self.texts = flow_texts.texts
        self.menu = flow_texts.menu
        self.languages = languages or {LANGUAGES[0]: flow_texts}
        self.catalog = catalog
        self.understander = understander
        self.talk = talk  # the conversation layer's aspect words, cues and topic details
        # The handler asks for the intent and the flow then for the ranking of the same text: one analysis.
        self._understand = functools.lru_cache(maxsize=256)(understander.understand)
        self.hasher: KeyedHasher | None = hasher_for(config.privacy.hash_key)  # None: lookups are off
        self.text_defaults = text_defaults(self.commune, self.texts)
        self.language_defaults = {lang: text_defaults(self.commune, ft.texts) for lang, ft in self.languages.items()}

    @staticmethod
    def simplify(text: str) -> str:
        return simplify(text)

    def understand(self, text: str) -> Understanding:
        return self._understand(text)

    def language_of(self, text: str) -> str | None:
        """"en" or "vi" when the message shows which language it is written in, else None."""
        return self.understander.language_of(text)

    def text_defaults_for(self, language: str) -> dict[str, str]:
        return self.language_defaults.get(language) or self.text_defaults

    def texts_for(self, language: str) -> FlowTexts:
        """Texts and menu in `language`, the default language's when there are none in it."""
        return self.languages.get(language) or self.languages[LANGUAGES[0]]

    @staticmethod
    def decide(understanding: Understanding) -> str:
        """"card" (confident), "suggest" (did you mean… the top three) or "none"."""
        return decide(understanding)

    def bind(self, conn: AsyncConnection, clock: Callable[[], datetime] = utcnow) -> BoundServices:
        return BoundServices(self, conn, clock)

    def adopt(self, fresh: Services) -> None:
        """Run `fresh`'s flow configuration, in place, so every holder of this object (worker, broadcasts)
        sees it."""
        for name in ("commune", "texts", "menu", "languages", "catalog", "understander", "_understand", "text_defaults",
                     "language_defaults", "talk"):
            setattr(self, name, getattr(fresh, name))


class BoundServices:
    """`FlowServices` for one turn: the shared services, with repositories on the turn's connection."""

    def __init__(self, services: Services, conn: AsyncConnection, clock: Callable[[], datetime]) -> None:
        self._services = services
        self.conn = conn
        self._clock = clock  # the worker's: what flows record is stamped with the service's time

    @property
    def commune(self) -> CommuneConfig:
        return self._services.commune

    @property
    def topics(self) -> list[TopicConfig]:
        return self._services.config.topics

    @property
    def lookup_limits(self) -> PrivacyConfig:
        return self._services.config.privacy

    @property
    def request_info_image_url(self) -> str:
        return self._services.config.broadcasts.request_info_image_url

    @property
    def text_defaults(self) -> dict[str, str]:
        return self._services.text_defaults

    def text_defaults_for(self, language: str) -> dict[str, str]:
        return self._services.text_defaults_for(language)

    @property
    def texts(self) -> Texts:
        return self._services.texts

    @property
    def menu(self) -> list[MenuEntry]:
        return self._services.menu

    @property
    def catalog(self) -> Catalog:
        return self._services.catalog

    @property
    def talk(self) -> Talk:
        return self._services.talk

    @property
    def hasher(self) -> KeyedHasher | None:
        return self._services.hasher

    def simplify(self, text: str) -> str:
        return simplify(text)

    def understand(self, text: str) -> Understanding:
        return self._services.understand(text)

    def language_of(self, text: str) -> str | None:
        return self._services.language_of(text)

    def texts_for(self, language: str) -> FlowTexts:
        return self._services.texts_for(language)

    def decide(self, understanding: Understanding) -> str:
        return decide(understanding)

    @property
    def households(self) -> HouseholdRepo:
        return HouseholdRepo(self.conn)

    @property
    def news(self) -> NewsRepo:
        return NewsRepo(self.conn)

    @property
    def lookups(self) -> LookupStore:
        return LookupStore(self.conn)

    async def record_feedback(self, slug: str, helpful: bool) -> None:
        await self.conn.execute(ProcedureFeedback.__table__.insert().values(
            procedure_slug=slug, helpful=helpful, created_at=self._clock()))

    async def record_unanswered(self, text: str, kind: str = "unanswered") -> None:
        await self.conn.execute(UnansweredMessage.__table__.insert().values(
            text=mask_digits(text)[:1000], kind=kind, created_at=self._clock()))


CONFIG_ERRORS = (FlowConfigError, CatalogError, LexiconError, TalkError, FactsError)


def flows_folder(config: AppConfig) -> Path | None:
    """The admin's folder of flow files (`[flows] path`): what the database's first versions are seeded
    from, over the shipped defaults."""
    return Path(config.flows.path) if config.flows.path else None


def build_services(config: AppConfig, files: FlowFiles | None = None) -> Services:
    """Load and validate the flow configuration (the files when `files` is None); raises one of
    CONFIG_ERRORS."""
    files = files if files is not None else FlowFiles.from_folder(flows_folder(config))
    catalog = load_catalog(files)
    lexicon = load_lexicon(files)
    commune = commune_facts.applied(config.commune, load_confirmations(files))
    thon_names = [n for t in commune.thon for n in (t.name, *t.aliases)]
    understander = Understander(catalog, lexicon, thon_names, [t.slug for t in config.topics])
    languages = load_languages(files)
    talk = load_talk(files, understander.canon, lexicon.classes, set(catalog.by_slug), lexicon.cues)
    return Services(config, languages[LANGUAGES[0]], catalog, understander, talk, languages, commune)
