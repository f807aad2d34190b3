"""Delivery channels: ways an announcement reaches a household.

Zalo is the main one (messages go through the outbox and the paced broadcast sender). The others carry
an announcement to households Zalo could not reach: an SMS gateway reached over HTTP, and per-thôn CSV
files for the thôn's community technology team to call or visit.
"""

from __future__ import annotations

import asyncio
import csv
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

import aiohttp
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.zalo.errors import describe
from flows.base import payload
from flows.replies import Button, Image, Reply, Text
from flows.text.normalize import unaccent
from flows.texts import Texts
from storage.broadcasts import announcements as store
from storage.models import Priority
from storage.queues import insert_ignoring_duplicates, outbox

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class BroadcastMessage:
    announcement_id: int
    run_id: int
    title: str
    text: str
    image_url: str | None
    link: str | None
    urgent: bool


@dataclass(frozen=True, slots=True)
class Recipient:
    resident_id: int
    zalo_user_id: str
    thon_slug: str | None = None
    name: str | None = None
    phone: str | None = None
    address: str | None = None
    reason: int | None = None  # the Zalo error that made the household unreachable


@dataclass(frozen=True, slots=True)
class Delivery:
    resident_id: int
    status: str  # queued | sent | failed | skipped
    detail: str | None = None


class DeliveryChannel(Protocol):
    name: str

    async def deliver(self, message: BroadcastMessage, recipients: Sequence[Recipient]) -> list[Delivery]: ...


def announcement_replies(texts: Texts, defaults: dict[str, str], message: BroadcastMessage) -> list[Reply]:
    body = texts.get("announcement_urgent" if message.urgent else "announcement_message",
                     **{**defaults, "title": message.title, "text": message.text})
    buttons = [Button(texts.get("announcement_link_button"), url=message.link)] if message.link else []
    buttons.append(Button(texts.get("settings_button"), payload=payload("subscribe", "start")))
    replies: list[Reply] = [Image(message.image_url)] if message.image_url else []
    return [*replies, Text(body, tuple(buttons))]


class ZaloChannel:
    """Queues the announcement in the outbox, one row per household (idempotent per run and household)."""

    name = "zalo"

    def __init__(self, engine: AsyncEngine, texts: Texts, defaults: dict[str, str],
                 clock: Callable[[], datetime]) -> None:
        self._engine = engine
        self._texts = texts
        self._defaults = defaults
        self._clock = clock
        self._rendered: dict[int, list[dict[str, Any]]] = {}

    def _replies(self, message: BroadcastMessage) -> list[dict[str, Any]]:
        if message.run_id not in self._rendered:
            self._rendered = {message.run_id: [r.to_dict() for r in
                                               announcement_replies(self._texts, self._defaults, message)]}
        return self._rendered[message.run_id]

    async def deliver(self, message: BroadcastMessage, recipients: Sequence[Recipient]) -> list[Delivery]:
        if not recipients:
            return []
        now, replies, source = self._clock(), self._replies(message), store.run_source(message.run_id)
        priority = Priority.URGENT_BROADCAST if message.urgent else Priority.BROADCAST
        rows = [{"idempotency_key": f"{source}:{r.resident_id}", "zalo_user_id": r.zalo_user_id, "replies": replies,
                 "parts_sent": 0, "priority": priority, "source": source, "status": "pending", "attempts": 0,
                 "next_attempt_at": now, "created_at": now} for r in recipients]
        async with self._engine.begin() as conn:
            stmt = insert_ignoring_duplicates(conn, outbox).returning(outbox.c.idempotency_key)
            new = {k for (k,) in (await conn.execute(stmt, rows)).all()}
        return [Delivery(r.resident_id, "queued" if f"{source}:{r.resident_id}" in new else "skipped",
                         None if f"{source}:{r.resident_id}" in new else "already queued") for r in recipients]


def sms_text(texts: Texts, defaults: dict[str, str], message: BroadcastMessage, max_chars: int,
             ascii_only: bool) -> str:
    text = texts.get("sms_message", **{**defaults, "title": message.title, "text": " ".join(message.text.split())})
    if ascii_only:
        text = unaccent(text)
    return text if len(text) <= max_chars else text[:max_chars - 3].rstrip() + "..."


class SmsGatewayChannel:
    """Posts one JSON request per household to an SMS gateway:
    `{"to": phone, "text": .., "reference": "bc:<run>:<resident>"}` with the reference also sent as an
    Idempotency-Key header, so a gateway that honours it never sends one household two SMS."""

    name = "sms"

    def __init__(self, http: aiohttp.ClientSession, url: str, token: str, texts: Texts, defaults: dict[str, str],
                 *, max_chars: int, ascii_only: bool, timeout: float = 10.0, concurrency: int = 4) -> None:
        self._http = http
        self._url = url
        self._token = token
        self._texts = texts
        self._defaults = defaults
        self._max_chars = max_chars
        self._ascii_only = ascii_only
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._semaphore = asyncio.Semaphore(concurrency)

    async def deliver(self, message: BroadcastMessage, recipients: Sequence[Recipient]) -> list[Delivery]:
        text = sms_text(self._texts, self._defaults, message, self._max_chars, self._ascii_only)
        return list(await asyncio.gather(*(self._one(message, text, r) for r in recipients)))

    async def _one(self, message: BroadcastMessage, text: str, r: Recipient) -> Delivery:
        if not r.phone:
            return Delivery(r.resident_id, "skipped", "no phone number")
        reference = f"{store.run_source(message.run_id)}:{r.resident_id}"
        headers = {"Idempotency-Key": reference}
        if self._token:
            headers["Authorization"] = f"Bearer {self._token}"
        async with self._semaphore:
            try:
                async with self._http.post(self._url, json={"to": r.phone, "text": text, "reference": reference},
                                           headers=headers, timeout=self._timeout) as resp:
                    await resp.read()
                    status = resp.status
            except (aiohttp.ClientError, TimeoutError) as e:
                return Delivery(r.resident_id, "failed", f"gateway unreachable: {type(e).__name__}")
        if 200 <= status < 300:
            return Delivery(r.resident_id, "sent")
        return Delivery(r.resident_id, "failed", f"gateway answered HTTP {status}")


CSV_PATTERN = "announcement-*.csv"
CSV_HEADER = ["Thôn", "Họ tên", "Số điện thoại", "Địa chỉ", "Lý do Zalo không gửi được", "Mã hộ (nội bộ)"]


class CsvExportChannel:
    """Appends unreachable households to one CSV file per thôn (UTF-8 with BOM, so Excel shows Vietnamese):
    `<folder>/announcement-<id>-run-<run>-<thôn>.csv`. The files hold personal data: keep them for the
    thôn team only; the retention purge deletes them after `privacy.export_retention_days`."""

    name = "csv"

    def __init__(self, folder: Path, thon_names: dict[str, str]) -> None:
        self.folder = folder
        self._thon_names = thon_names

    def path_for(self, message: BroadcastMessage, thon_slug: str | None) -> Path:
        thon = thon_slug or "khong-ro-thon"
        return self.folder / CSV_PATTERN.replace("*", f"{message.announcement_id}-run-{message.run_id}-{thon}")

    async def deliver(self, message: BroadcastMessage, recipients: Sequence[Recipient]) -> list[Delivery]:
        by_thon: dict[str | None, list[Recipient]] = {}
        for r in recipients:
            by_thon.setdefault(r.thon_slug, []).append(r)
        await asyncio.to_thread(self._write, message, by_thon)
        log.info("exported %d unreachable household(s) of run %s to %d CSV file(s)", len(recipients),
                 message.run_id, len(by_thon))
        return [Delivery(r.resident_id, "sent") for r in recipients]

    def _write(self, message: BroadcastMessage, by_thon: dict[str | None, list[Recipient]]) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        for slug, group in by_thon.items():
            path = self.path_for(message, slug)
            fresh = not path.exists()
            with path.open("a", encoding="utf-8-sig" if fresh else "utf-8", newline="") as f:
                writer = csv.writer(f)
                if fresh:
                    writer.writerow(CSV_HEADER)
                for r in group:
                    writer.writerow([self._thon_names.get(slug or "", "") or "", _cell(r.name), _cell(r.phone),
                                     _cell(r.address), describe(r.reason) if r.reason is not None else "",
                                     r.resident_id])


def _cell(value: str | None) -> str:
    """What a resident typed, made inert for a spreadsheet: a cell starting with = + - @ (or a tab or
    carriage return) is a formula to Excel, which could run when a thôn team opens the file."""
    text = value or ""
    return "'" + text if text.startswith(("=", "+", "-", "@", "\t", "\r")) else text
