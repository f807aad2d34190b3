"""What flows may use (through ctx.services): configuration, text understanding and repositories.

`Services` is built once from the configuration; `bind(conn)` gives the per-transaction view whose
repository calls join the worker's transaction.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.config import AppConfig
from flows.config import DEFAULT_DIR, FlowTexts, load_texts
from storage.models import UnansweredMessage
from storage.types import utcnow

_DIGIT_RUNS = re.compile(r"\d[\d .-]{5,}\d")


def simplify(text: str) -> str:
    """Lower case, no accents (đ → d), single spaces: for matching fixed command words."""
    decomposed = unicodedata.normalize("NFD", text.lower().replace("đ", "d"))
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^\w\s]", " ", plain).split())


def mask_digits(text: str) -> str:
    """Hide long digit runs (phone numbers, ID numbers) before a resident's text is stored."""
    return _DIGIT_RUNS.sub(lambda m: "*" * (len(m.group()) - 2) + m.group()[-2:], text)


class Services:
    def __init__(self, config: AppConfig, flow_texts: FlowTexts, understander: Any = None) -> None:
        self.config = config
        self.commune = config.commune
        self.texts = flow_texts.texts
        self.menu = flow_texts.menu
        self.understander = understander
        self.text_defaults = {
            "commune": config.commune.name,
            "phone": config.commune.office_phone or "bộ phận một cửa",
            "address": config.commune.office_address,
        }

    @staticmethod
    def simplify(text: str) -> str:
        return simplify(text)

    def understand(self, text: str) -> Any:
        return None if self.understander is None else self.understander.understand(text)

    def bind(self, conn: AsyncConnection) -> BoundServices:
        return BoundServices(self, conn)


class BoundServices:
    def __init__(self, services: Services, conn: AsyncConnection) -> None:
        self._services = services
        self.conn = conn

    def __getattr__(self, name: str) -> Any:
        return getattr(self._services, name)

    async def record_unanswered(self, text: str) -> None:
        await self.conn.execute(UnansweredMessage.__table__.insert().values(
            text=mask_digits(text)[:1000], created_at=utcnow()))


def flows_folder(config: AppConfig) -> Path:
    return Path(config.flows.path) if config.flows.path else DEFAULT_DIR


def build_services(config: AppConfig) -> Services:
    return Services(config, load_texts(flows_folder(config)))
