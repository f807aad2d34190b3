"""POST /webhook/zalo: verify, parse, store durably, answer — well under Zalo's 2 s.

401 bad signature, 400 malformed body, 408 body not received in time, 413 too large, 503 when the event
could not be stored (so Zalo retries), 200 otherwise — including a duplicate, which is stored and processed
once. Each rejection's reason is logged, a few lines a minute per reason (anyone can send bad requests).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime

from aiohttp import web

from bot.inbox import InboxWriter, StorageUnavailable
from bot.logs import Throttled
from bot.metrics import Metrics
from bot.zalo.events import EventError, loads, parse_event
from bot.zalo.signature import verify_signature
from storage.types import utcnow

log = logging.getLogger(__name__)

OK = b'{"ok":true}'
DUPLICATE = b'{"ok":true,"duplicate":true}'


WEBHOOK_PATH = "/webhook/zalo"


def body_too_slow(metrics: Metrics, route: str, seconds: float) -> web.Response:
    """408 for a request whose body did not arrive within `seconds`, counted by route."""
    metrics.bodies_cut.inc(route=route)
    return web.json_response({"ok": False, "error": f"request body not received within {seconds:g} s"},
                             status=408)


async def _read_limited(request: web.Request, limit: int) -> bytes | None:
    """The body, or None when it is larger than `limit` (checked before reading all of it)."""
    if request.content_length is not None and request.content_length > limit:
        return None
    chunks, size = [], 0
    while chunk := await request.content.read(65536):
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


class ZaloWebhook:
    def __init__(self, inbox: InboxWriter, metrics: Metrics, *, secret: str, id_values: list[str],
                 max_body_bytes: int, body_timeout: float, clock: Callable[[], datetime] = utcnow) -> None:
        self._inbox = inbox
        self._clock = clock
        self._metrics = metrics
        self._secret = secret
        self._id_values = id_values
        self._max_body = max_body_bytes
        self._body_timeout = body_timeout
        self._rejections = Throttled(log)

    def _reject(self, status: int, reason: str, message: str) -> web.Response:
        self._metrics.events_rejected.inc(reason=reason)
        self._rejections.log(reason, "webhook request rejected with %s (%s): %s", status, reason, message)
        return web.json_response({"ok": False, "error": message}, status=status)

    async def handle(self, request: web.Request) -> web.Response:
        m = self._metrics
        try:
            async with asyncio.timeout(self._body_timeout):
                raw = await _read_limited(request, self._max_body)
        except TimeoutError:
            self._rejections.log("slow_body", "webhook request rejected with 408 (slow_body)")
            return body_too_slow(m, WEBHOOK_PATH, self._body_timeout)
        if raw is None:
            return self._reject(413, "too_large", f"body larger than {self._max_body} bytes")
        try:
            obj = loads(raw)
        except EventError as e:
            return self._reject(400, "malformed", e.reason)
        timestamp = obj.get("timestamp")
        if not verify_signature(raw, request.headers.get("X-ZEvent-Signature"),
                                timestamp if isinstance(timestamp, str) else "", self._secret, self._id_values):
            return self._reject(401, "signature", "invalid X-ZEvent-Signature")
        try:
            event = parse_event(raw, obj)
        except EventError as e:
            return self._reject(400, "malformed", e.reason)
        row = {"event_key": event.event_key, "event_name": event.event_name, "family": event.family,
               "zalo_user_id": event.user_id, "body": raw.decode(), "received_at": self._clock(),
               "status": "pending"}
        try:
            is_new = await self._inbox.submit(row)  # bounded by the inbox's timeout
        except StorageUnavailable as e:
            log.error("event not stored, answering 503: %s", e)
            return self._reject(503, "storage", "event could not be stored; retry later")
        m.events_received.inc(result="new" if is_new else "duplicate")
        return web.Response(body=OK if is_new else DUPLICATE, content_type="application/json")
