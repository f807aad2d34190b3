"""A fake Zalo OA OpenAPI for tests, the sandbox and benchmarks.

In-process: `FakeZalo().app()` under `aiohttp.test_utils.TestServer`, inspect `received` and
`await fake.wait_for_count(n)`. Standalone: `python -m bot.testing.fakezalo --port N`, then use the
`/_fake/*` control routes. `EventFactory` builds signed webhook events shaped like Zalo's.

Recording is an append and there is no per-message logging, so the fake is never the bottleneck.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import hashlib
import itertools
import secrets
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
import orjson
import yarl
from aiohttp import web

from bot.zalo.signature import sign_header

SEND_PATH = "/v3.0/oa/message/cs"
CONVERSATION_PATH = "/v2.0/oa/conversation"
FOLLOWERS_PATH = "/v3.0/oa/user/getlist"
TOKEN_PATH = "/v4/oa/access_token"
CONSENT_PATH = "/v4/oa/permission"

# Error bodies. -216 and -100 are documented send codes; the OAuth codes other than -14014 are
# UNCONFIRMED placeholders (the fake only needs them to be non-zero and distinct).
ERR_INVALID_TOKEN = -216
ERR_INVALID_PARAM = -100
ERR_INVALID_REFRESH = -14014
ERR_INVALID_SECRET = -14002
ERR_INVALID_APP_ID = -14003
ERR_INVALID_GRANT = -14001


@dataclass(frozen=True, slots=True)
class Received:
    seq: int
    user_id: str
    body: dict[str, Any]
    text: str | None
    buttons: list[dict[str, Any]]
    access_token: str
    at: float  # time.time() when recorded

    def to_dict(self) -> dict[str, Any]:
        return {"seq": self.seq, "user_id": self.user_id, "body": self.body, "text": self.text,
                "buttons": self.buttons, "access_token": self.access_token, "at": self.at}


@dataclass(slots=True)
class _Injection:
    value: Any  # error code, HTTP status or delay in seconds
    remaining: int
    user_id: str | None = None
    route: str = "send"  # "send", "token" or "conversation"


def _json(obj: Any, status: int = 200) -> web.Response:
    return web.Response(body=orjson.dumps(obj), status=status, content_type="application/json")


def _message_id(seq: int) -> str:
    return f"fakemsg{seq:012d}"


def _buttons_of(message: dict[str, Any]) -> list[dict[str, Any]]:
    attachment = message.get("attachment")
    payload = attachment.get("payload") if isinstance(attachment, dict) else None
    buttons = payload.get("buttons") if isinstance(payload, dict) else None
    return buttons if isinstance(buttons, list) else []


class FakeZalo:
    def __init__(self, app_id: str = "fake-app-id", app_secret: str = "fake-app-secret",
                 access_token: str = "fake-access-0", refresh_token: str = "fake-refresh-0",
                 refresh_invalidates_access: bool = True, expires_in: int = 90000) -> None:
        self.app_id = app_id
        self.app_secret = app_secret
        self.refresh_invalidates_access = refresh_invalidates_access
        self.expires_in = expires_in
        self._initial_tokens = (access_token, refresh_token)
        self._token_counter = itertools.count(1)
        self.access_token = access_token  # the newest access token issued
        self.refresh_token = refresh_token  # the newest (unspent) refresh token issued
        self._valid_access: set[str] = {access_token}
        self._valid_refresh: set[str] = {refresh_token}
        self._codes: dict[str, str] = {}  # authorization code → its PKCE challenge
        self._cond: asyncio.Condition | None = None
        self._cond_loop: asyncio.AbstractEventLoop | None = None
        self._waiters = 0
        self.followers: list[str] = []  # the OA's followers, as its user list gives them
        self._clear()

    # ---- state -------------------------------------------------------------------------------

    def _clear(self) -> None:
        self.received: list[Received] = []
        self._by_user: dict[str, list[Received]] = {}
        self.refresh_calls = 0
        self.errors_injected = 0
        self.delays_injected = 0
        self.codes: Counter[int] = Counter()  # answers on the send route by error code (0 = success)
        self._codes_inj: list[_Injection] = []
        self._http_inj: list[_Injection] = []
        self._delay_inj: list[_Injection] = []
        self._late_inj: list[_Injection] = []
        self._user_errors: dict[str, int] = {}
        self._seq = 0

    def reset(self, *, tokens: bool = False) -> None:
        """Forget messages, counters, injections and user errors; with `tokens`, restore the first pair."""
        self._clear()
        if tokens:
            access, refresh = self._initial_tokens
            self.access_token, self.refresh_token = access, refresh
            self._valid_access, self._valid_refresh = {access}, {refresh}

    def inject_error(self, code: int, times: int = 1, user_id: str | None = None) -> None:
        """The next `times` sends (to `user_id`, or to anyone) answer HTTP 200 `{"error": code}`."""
        self._codes_inj.append(_Injection(code, times, user_id))

    def inject_http_status(self, status: int, times: int = 1, route: str = "send") -> None:
        """The next `times` requests on `route` answer with this HTTP status ("send", "token" or "conversation")."""
        self._http_inj.append(_Injection(status, times, route=route))

    def inject_delay(self, seconds: float, times: int = 1, route: str = "send") -> None:
        """The next `times` requests on `route` wait `seconds` before answering."""
        self._delay_inj.append(_Injection(seconds, times, route=route))

    def inject_late_answer(self, seconds: float, times: int = 1, route: str = "send") -> None:
        """The next `times` requests on `route` ("send" or "token") take effect at once (the message is
        recorded, the refresh token spent and a new pair issued) but are answered `seconds` later: a client
        that gives up first cannot know what happened."""
        self._late_inj.append(_Injection(seconds, times, route=route))

    def set_user_error(self, user_id: str, code: int | None) -> None:
        """Every send to `user_id` fails with `code` (e.g. -230) until cleared with None."""
        if code is None:
            self._user_errors.pop(user_id, None)
        else:
            self._user_errors[user_id] = code

    def expire_access_token(self) -> None:
        """Every access token issued so far now answers -216."""
        self._valid_access.clear()

    def messages_for(self, user_id: str) -> list[Received]:
        return list(self._by_user.get(user_id, ()))

    def stats(self) -> dict[str, Any]:
        return {"received": len(self.received), "refresh_calls": self.refresh_calls,
                "errors_injected": self.errors_injected, "delays_injected": self.delays_injected,
                "codes": {str(k): v for k, v in self.codes.items()}}

    # ---- waiting -----------------------------------------------------------------------------

    def _condition(self) -> asyncio.Condition:
        # One condition per event loop: a FakeZalo may outlive a test's loop.
        loop = asyncio.get_running_loop()
        if self._cond is None or self._cond_loop is not loop:
            self._cond, self._cond_loop = asyncio.Condition(), loop
        return self._cond

    async def wait_for_count(self, n: int, user_id: str | None = None,
                             timeout: float = 5.0) -> list[Received]:  # noqa: ASYNC109 (test helper API)
        """Wait until at least `n` messages (to `user_id`, or in all) were recorded; return them."""
        def matching() -> list[Received]:
            return self.received if user_id is None else self.messages_for(user_id)

        cond = self._condition()
        self._waiters += 1
        try:
            async with asyncio.timeout(timeout), cond:
                await cond.wait_for(lambda: len(matching()) >= n)
        except TimeoutError:
            got = matching()
            summary = ", ".join(f"#{r.seq} to {r.user_id}: {r.text!r}" for r in got[-10:]) or "nothing"
            who = f" for user {user_id}" if user_id else ""
            raise TimeoutError(
                f"FakeZalo: wanted {n} messages{who} within {timeout}s, got {len(got)} "
                f"({len(self.received)} in all; last: {summary}; stats: {self.stats()})") from None
        finally:
            self._waiters -= 1
        return list(matching())

    async def _record(self, user_id: str, body: dict[str, Any], token: str) -> Received:
        self._seq += 1
        message = body["message"]
        text = message.get("text")
        rec = Received(self._seq, user_id, body, text if isinstance(text, str) else None,
                       _buttons_of(message), token, time.time())
        self.received.append(rec)
        self._by_user.setdefault(user_id, []).append(rec)
        if self._waiters:  # skip the lock when nobody waits (benchmarks)
            cond = self._condition()
            async with cond:
                cond.notify_all()
        return rec

    @staticmethod
    def _take(injections: list[_Injection], route: str, user_id: str | None = None) -> Any:
        for inj in injections:
            if inj.route == route and (inj.user_id is None or inj.user_id == user_id):
                inj.remaining -= 1
                if inj.remaining <= 0:
                    injections.remove(inj)
                return inj.value
        return None

    async def _before(self, route: str) -> web.Response | None:
        """Apply injected delays and HTTP statuses for a route."""
        delay = self._take(self._delay_inj, route) if self._delay_inj else None
        if delay:
            self.delays_injected += 1
            await asyncio.sleep(delay)
        status = self._take(self._http_inj, route) if self._http_inj else None
        if status:
            self.errors_injected += 1
            return web.Response(status=status, text=f"injected HTTP {status}")
        return None

    async def _answer_late(self, route: str) -> None:
        late = self._take(self._late_inj, route) if self._late_inj else None
        if late:
            self.delays_injected += 1
            await asyncio.sleep(late)

    # ---- OpenAPI routes ----------------------------------------------------------------------

    def _send_error(self, code: int, message: str) -> web.Response:
        self.codes[code] += 1
        return _json({"error": code, "message": message})

    async def _handle_send(self, request: web.Request) -> web.Response:
        early = await self._before("send")
        if early is not None:
            return early
        token = request.headers.get("access_token", "")
        if token not in self._valid_access:
            return self._send_error(ERR_INVALID_TOKEN, "Access token is invalid")
        try:
            body = orjson.loads(await request.read())
        except orjson.JSONDecodeError:
            return self._send_error(ERR_INVALID_PARAM, "Body is not valid JSON")
        recipient = body.get("recipient") if isinstance(body, dict) else None
        user_id = recipient.get("user_id") if isinstance(recipient, dict) else None
        message = body.get("message") if isinstance(body, dict) else None
        if not isinstance(user_id, str) or not user_id or not isinstance(message, dict) or not message:
            return self._send_error(ERR_INVALID_PARAM, "recipient.user_id and message are required")
        code = self._user_errors.get(user_id)
        if code is None and self._codes_inj:
            code = self._take(self._codes_inj, "send", user_id)
            if code is not None:
                self.errors_injected += 1
        if code:
            return self._send_error(code, f"Injected error {code}")
        rec = await self._record(user_id, body, token)
        self.codes[0] += 1
        await self._answer_late("send")
        return _json({"error": 0, "message": "Success",
                      "data": {"message_id": _message_id(rec.seq), "user_id": user_id}})

    async def _handle_followers(self, request: web.Request) -> web.Response:
        """The OA's followers (`self.followers`), a page at a time, as Zalo's user list answers."""
        if request.headers.get("access_token", "") not in self._valid_access:
            return _json({"error": ERR_INVALID_TOKEN, "message": "Access token is invalid"})
        try:
            spec = orjson.loads(request.query.get("data", ""))
            offset, count = int(spec.get("offset", 0)), min(int(spec.get("count", 50)), 50)
        except (orjson.JSONDecodeError, AttributeError, TypeError, ValueError):
            return _json({"error": ERR_INVALID_PARAM, "message": "data: offset, count expected"})
        page = self.followers[offset:offset + count]
        return _json({"error": 0, "message": "Success", "data": {
            "total": len(self.followers), "count": len(page), "offset": offset,
            "users": [{"user_id": u} for u in page]}})

    async def _handle_conversation(self, request: web.Request) -> web.Response:
        """The OA's messages to one user, newest first, as Zalo lists a conversation (at most 10 a page)."""
        early = await self._before("conversation")
        if early is not None:
            return early
        if request.headers.get("access_token", "") not in self._valid_access:
            return _json({"error": ERR_INVALID_TOKEN, "message": "Access token is invalid"})
        try:
            spec = orjson.loads(request.query.get("data", ""))
            user_id, offset, count = str(spec["user_id"]), int(spec.get("offset", 0)), int(spec.get("count", 10))
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
            return _json({"error": ERR_INVALID_PARAM, "message": "data: user_id, offset, count expected"})
        newest_first = self._by_user.get(user_id, [])[::-1][offset:offset + min(count, 10)]
        return _json({"error": 0, "message": "Success", "data": [
            {"src": 0, "time": int(r.at * 1000), "type": "text" if r.text is not None else "template",
             "message": r.text, "message_id": _message_id(r.seq), "from_id": "oa", "to_id": r.user_id}
            for r in newest_first]})

    async def _handle_token(self, request: web.Request) -> web.Response:
        self.refresh_calls += 1
        early = await self._before("token")
        if early is not None:
            return early
        form = await request.post()

        def fail(code: int, name: str) -> web.Response:
            return _json({"error": code, "error_name": name, "error_reason": name,
                          "error_description": name})

        if request.headers.get("secret_key") != self.app_secret:
            return fail(ERR_INVALID_SECRET, "Invalid secret key")
        if form.get("app_id") != self.app_id:
            return fail(ERR_INVALID_APP_ID, "Invalid app id")
        if form.get("grant_type") == "authorization_code":  # the first pair, after the consent page (PKCE)
            challenge = self._codes.pop(str(form.get("code", "")), None)
            verifier = str(form.get("code_verifier", ""))
            if challenge is None or _s256(verifier) != challenge:
                return fail(ERR_INVALID_GRANT, "Invalid authorization code or code verifier")
        elif form.get("grant_type") != "refresh_token":
            return fail(ERR_INVALID_GRANT, "Unsupported grant type")
        else:
            old = form.get("refresh_token")
            if not isinstance(old, str) or old not in self._valid_refresh:
                return fail(ERR_INVALID_REFRESH, "Invalid refresh token")
            self._valid_refresh.discard(old)  # single-use, like Zalo's
        n = next(self._token_counter)
        access = f"fake-access-{n}-{secrets.token_hex(4)}"
        refresh = f"fake-refresh-{n}-{secrets.token_hex(4)}"
        if self.refresh_invalidates_access:
            self._valid_access.clear()
        self._valid_access.add(access)
        self._valid_refresh.add(refresh)
        self.access_token, self.refresh_token = access, refresh
        await self._answer_late("token")
        return _json({"access_token": access, "refresh_token": refresh, "expires_in": str(self.expires_in)})

    async def _handle_consent(self, request: web.Request) -> web.StreamResponse:
        """Zalo's consent page, granted at once as if the admin pressed "Cho phép": back to the app's
        redirect_uri with a single-use code bound to the PKCE challenge."""
        q = request.query
        if q.get("app_id") != self.app_id or not q.get("redirect_uri") or not q.get("code_challenge"):
            return web.Response(status=400, text="app_id, redirect_uri and code_challenge are required")
        code = f"fake-code-{secrets.token_hex(8)}"
        self._codes[code] = q["code_challenge"]
        target = yarl.URL(q["redirect_uri"]).update_query(code=code, state=q.get("state", ""), oa_id="fake-oa")
        raise web.HTTPFound(str(target))

    # ---- control routes (for a fake running in another process) ------------------------------

    async def _handle_messages(self, request: web.Request) -> web.Response:
        user_id = request.query.get("user_id") or None
        try:
            after = int(request.query.get("after", "0"))
        except ValueError:
            return _json({"error": "after must be an integer"}, status=400)
        rows = self.received if user_id is None else self.messages_for(user_id)
        return _json([r.to_dict() for r in rows if r.seq > after])

    async def _handle_wait(self, request: web.Request) -> web.Response:
        """Long poll: answers once `count` messages (to `user_id`, or in all) were recorded, 408 on timeout."""
        try:
            count = int(request.query["count"])
            timeout = float(request.query.get("timeout", "10"))
        except (KeyError, ValueError):
            return _json({"error": "count (integer) is required; timeout in seconds"}, status=400)
        try:
            got = await self.wait_for_count(count, request.query.get("user_id") or None, timeout)
        except TimeoutError as e:
            return _json({"error": str(e)}, status=408)
        return _json({"count": len(got)})

    async def _handle_stats(self, request: web.Request) -> web.Response:
        return _json(self.stats())

    async def _handle_inject(self, request: web.Request) -> web.Response:
        try:
            spec = orjson.loads(await request.read())
            times = int(spec.get("times", 1))
            route = str(spec.get("route", "send"))
            if spec.get("code") is not None:
                self.inject_error(int(spec["code"]), times, spec.get("user_id"))
            elif spec.get("http_status") is not None:
                self.inject_http_status(int(spec["http_status"]), times, route)
            elif spec.get("delay_ms") is not None:
                self.inject_delay(float(spec["delay_ms"]) / 1000, times, route)
            elif spec.get("late_ms") is not None:
                self.inject_late_answer(float(spec["late_ms"]) / 1000, times, route)
            else:
                raise ValueError("one of code, http_status, delay_ms, late_ms is required")
        except (orjson.JSONDecodeError, AttributeError, TypeError, ValueError) as exc:
            return _json({"error": str(exc)}, status=400)
        return _json({"ok": True})

    async def _handle_user_error(self, request: web.Request) -> web.Response:
        spec = orjson.loads(await request.read())
        self.set_user_error(str(spec["user_id"]), spec.get("code"))
        return _json({"ok": True})

    async def _handle_expire(self, request: web.Request) -> web.Response:
        self.expire_access_token()
        return _json({"ok": True})

    async def _handle_tokens(self, request: web.Request) -> web.Response:
        return _json({"access_token": self.access_token, "refresh_token": self.refresh_token})

    async def _handle_reset(self, request: web.Request) -> web.Response:
        raw = await request.read()
        spec = orjson.loads(raw) if raw.strip() else {}
        self.reset(tokens=bool(spec.get("tokens", False)))
        return _json({"ok": True})

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post(SEND_PATH, self._handle_send)
        app.router.add_post(TOKEN_PATH, self._handle_token)
        app.router.add_get(CONSENT_PATH, self._handle_consent)
        app.router.add_get(CONVERSATION_PATH, self._handle_conversation)
        app.router.add_get(FOLLOWERS_PATH, self._handle_followers)
        app.router.add_get("/_fake/messages", self._handle_messages)
        app.router.add_get("/_fake/stats", self._handle_stats)
        app.router.add_get("/_fake/wait", self._handle_wait)
        app.router.add_get("/_fake/tokens", self._handle_tokens)
        app.router.add_post("/_fake/inject", self._handle_inject)
        app.router.add_post("/_fake/user_error", self._handle_user_error)
        app.router.add_post("/_fake/expire_access_token", self._handle_expire)
        app.router.add_post("/_fake/reset", self._handle_reset)
        return app


def _s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


# ---- webhook side: signed events -------------------------------------------------------------

class EventFactory:
    """Builds webhook bodies shaped like Zalo's (reference §1), signed like Zalo signs them.

    Every builder returns `(raw_body, headers)`; `id_variant` ("app_id" or "oa_id") picks which id
    goes into the signature, since sources disagree.
    """

    def __init__(self, app_id: str, oa_id: str, secret: str, id_variant: str = "app_id",
                 clock: Callable[[], float] = time.time) -> None:
        if id_variant not in ("app_id", "oa_id"):
            raise ValueError("id_variant must be 'app_id' or 'oa_id'")
        self.app_id, self.oa_id, self.secret, self.id_variant = app_id, oa_id, secret, id_variant
        self._clock = clock
        self._last_ms = 0

    def _timestamp(self) -> str:
        # Strictly increasing, so events built in one millisecond still differ.
        ms = max(int(self._clock() * 1000), self._last_ms + 1)
        self._last_ms = ms
        return str(ms)

    @staticmethod
    def new_msg_id() -> str:
        return secrets.token_hex(10)  # 20 hex chars, like captured ids

    def signed(self, obj: dict[str, Any]) -> tuple[bytes, dict[str, str]]:
        raw = orjson.dumps(obj)
        id_value = self.app_id if self.id_variant == "app_id" else self.oa_id
        signature = sign_header(id_value, raw, str(obj.get("timestamp", "")), self.secret)
        return raw, {"Content-Type": "application/json", "X-ZEvent-Signature": signature}

    def raw(self, event_name: str, **fields: Any) -> tuple[bytes, dict[str, str]]:
        """Any event: common fields plus `fields` (which may override them, e.g. timestamp)."""
        obj: dict[str, Any] = {"app_id": self.app_id, "event_name": event_name,
                               "timestamp": self._timestamp()}
        obj.update(fields)
        return self.signed(obj)

    def _from_user(self, event_name: str, user_id: str, **fields: Any) -> tuple[bytes, dict[str, str]]:
        return self.raw(event_name, sender={"id": user_id}, recipient={"id": self.oa_id},
                        user_id_by_app=user_id, **fields)

    def _attachment(self, event_name: str, user_id: str, kind: str, payload: dict[str, Any],
                    text: str | None = None) -> tuple[bytes, dict[str, str]]:
        message: dict[str, Any] = {"msg_id": self.new_msg_id(),
                                   "attachments": [{"type": kind, "payload": payload}]}
        if text is not None:
            message["text"] = text
        return self._from_user(event_name, user_id, message=message)

    def text(self, user_id: str, text: str, quote_msg_id: str | None = None) -> tuple[bytes, dict[str, str]]:
        message: dict[str, Any] = {"text": text, "msg_id": self.new_msg_id()}
        if quote_msg_id is not None:
            message["quote_msg_id"] = quote_msg_id
        return self._from_user("user_send_text", user_id, message=message)

    def image(self, user_id: str, url: str, text: str | None = None) -> tuple[bytes, dict[str, str]]:
        return self._attachment("user_send_image", user_id, "image", {"url": url, "thumbnail": url}, text)

    def file(self, user_id: str, url: str, name: str = "don.pdf", size: str = "10240",
             type: str = "pdf") -> tuple[bytes, dict[str, str]]:
        return self._attachment("user_send_file", user_id, "file",
                                {"url": url, "name": name, "size": size, "type": type})

    def sticker(self, user_id: str, sticker_id: str = "bfe458bf64fa8da4d4eb",
                url: str = "https://zalo-api.zadn.vn/api/emoticon/sticker/webpc?eid=1&size=130"
                ) -> tuple[bytes, dict[str, str]]:
        return self._attachment("user_send_sticker", user_id, "sticker", {"id": sticker_id, "url": url})

    def location(self, user_id: str, lat: float, lon: float) -> tuple[bytes, dict[str, str]]:
        # Coordinates as strings, as public integrations type them.
        return self._attachment("user_send_location", user_id, "location",
                                {"coordinates": {"latitude": str(lat), "longitude": str(lon)}})

    def follow(self, user_id: str, source: str = "oa_profile") -> tuple[bytes, dict[str, str]]:
        return self.raw("follow", oa_id=self.oa_id, follower={"id": user_id}, source=source,
                        user_id_by_app=user_id)

    def unfollow(self, user_id: str) -> tuple[bytes, dict[str, str]]:
        return self.raw("unfollow", oa_id=self.oa_id, follower={"id": user_id}, user_id_by_app=user_id)

    def submit_info(self, user_id: str, name: str, phone: str, address: str = "", city: str = "",
                    district: str = "", ward: str = "", **extra: str) -> tuple[bytes, dict[str, str]]:
        info = {"name": name, "phone": phone, "address": address, "city": city, "district": district,
                "ward": ward, **extra}
        return self._from_user("user_submit_info", user_id, info=info)

    def seen(self, user_id: str, msg_ids: list[str]) -> tuple[bytes, dict[str, str]]:
        return self.raw("user_seen_message", sender={"id": self.oa_id}, recipient={"id": user_id},
                        user_id_by_app=user_id, message={"msg_ids": list(msg_ids)})


async def post(session: aiohttp.ClientSession, url: str, raw_body: bytes, headers: dict[str, str]) -> int:
    """POST a built event to a webhook; returns the HTTP status."""
    async with session.post(url, data=raw_body, headers=headers) as resp:
        await resp.read()
        return resp.status


# ---- standalone ------------------------------------------------------------------------------

@dataclass(slots=True)
class FakeZaloServer:
    fake: FakeZalo
    runner: web.AppRunner
    url: str  # base URL, also the api and oauth base URL for ZaloClient

    async def close(self) -> None:
        await self.runner.cleanup()


async def run_fake_zalo(host: str = "127.0.0.1", port: int = 0, **kwargs: Any) -> FakeZaloServer:
    """Start a FakeZalo HTTP server (port 0 = any free port) and return it running."""
    fake = FakeZalo(**kwargs)
    runner = web.AppRunner(fake.app(), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    addresses = runner.addresses
    actual = addresses[0][1] if addresses else port
    return FakeZaloServer(fake, runner, f"http://{host}:{actual}")


async def _serve(args: argparse.Namespace) -> None:
    server = await run_fake_zalo(args.host, args.port, app_id=args.app_id, app_secret=args.app_secret,
                                 access_token=args.access_token, refresh_token=args.refresh_token,
                                 refresh_invalidates_access=not args.keep_access_on_refresh)
    # One line a parent process can wait for (it carries the real port when --port 0).
    print(f"FAKEZALO_READY {server.url}", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await server.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Run a fake Zalo OA OpenAPI.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8099, help="0 picks a free port")
    parser.add_argument("--app-id", default="fake-app-id")
    parser.add_argument("--app-secret", default="fake-app-secret")
    parser.add_argument("--access-token", default="fake-access-0")
    parser.add_argument("--refresh-token", default="fake-refresh-0")
    parser.add_argument("--keep-access-on-refresh", action="store_true",
                        help="old access tokens stay valid after a refresh")
    args = parser.parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(args))


if __name__ == "__main__":
    main()
