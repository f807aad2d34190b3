"""Minimal async Zalo OA OpenAPI client: send a cs message, read a conversation's recent messages,
refresh the token pair.

No token storage and no rate limiting here (the token manager and the sender own those).
`send` never raises for Zalo, HTTP or network failures: it returns a classified `SendResult`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import aiohttp
import orjson

from bot.zalo.errors import (
    BAD_RESPONSE,
    HTTP_ERROR,
    NETWORK_ERROR,
    TIMEOUT,
    Disposition,
    classify,
    describe,
)

SEND_PATH = "/v3.0/oa/message/cs"
CONVERSATION_PATH = "/v2.0/oa/conversation"  # not in the reference; used by public OA integrations
TOKEN_PATH = "/v4/oa/access_token"
CONSENT_PATH = "/v4/oa/permission"  # where an admin grants the app access to the OA
FOLLOWERS_PATH = "/v3.0/oa/user/getlist"  # reference §"Followers and tags"; the answer's shape is not given
FOLLOWERS_PAGE = 50  # Zalo's maximum count per request
CONVERSATION_PAGE = 10  # Zalo's maximum count per request


@dataclass(frozen=True, slots=True)
class SendResult:
    ok: bool
    code: int  # Zalo's error code, or a local one from bot.zalo.errors for transport failures
    message: str
    disposition: Disposition
    msg_id: str | None
    http_status: int | None = None  # None when no HTTP answer arrived


@dataclass(frozen=True, slots=True)
class SentMessage:
    """A message the OA sent, as the conversation history lists it."""

    message_id: str
    time_ms: int
    text: str | None


@dataclass(frozen=True, slots=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int  # seconds


class AccessTokenRejected(Exception):
    """Zalo refused the access token (expired or invalid) on a read: refresh it and read again."""

    def __init__(self, code: int) -> None:
        super().__init__(f"access token rejected ({code})")
        self.code = code


class TokenRefreshError(Exception):
    """Refreshing failed. When not `retryable`, the refresh token is dead: an admin must redo consent.

    A retryable failure (network, timeout, 5xx) may still have spent the refresh token on
    Zalo's side; the token manager decides what to do with that.
    """

    def __init__(self, code: int, message: str, retryable: bool, reached_zalo: bool = True) -> None:
        super().__init__(f"token refresh failed ({code}): {message}")
        self.code = code
        self.message = message
        self.retryable = retryable
        self.reached_zalo = reached_zalo  # False only when no connection was made: nothing was spent


def _http_disposition(status: int) -> Disposition:
    return Disposition.RETRY if status >= 500 or status in (408, 429) else Disposition.PERMANENT


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            return None
    return None


class ZaloClient:
    def __init__(self, session: aiohttp.ClientSession, *, api_base_url: str, oauth_base_url: str,
                 app_id: str, app_secret: str, timeout: float = 10.0, refresh_timeout: float = 30.0) -> None:
        self._session = session
        self._send_url = api_base_url.rstrip("/") + SEND_PATH
        self._conversation_url = api_base_url.rstrip("/") + CONVERSATION_PATH
        self._followers_url = api_base_url.rstrip("/") + FOLLOWERS_PATH
        self._token_url = oauth_base_url.rstrip("/") + TOKEN_PATH
        self._oauth_base_url = oauth_base_url.rstrip("/")
        self._app_id = app_id
        self._app_secret = app_secret
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._refresh_timeout = aiohttp.ClientTimeout(total=refresh_timeout)

    async def send(self, access_token: str, body: dict[str, Any]) -> SendResult:
        """POST one consultation message. A timeout is RETRY although the message may have gone out."""
        headers = {"access_token": access_token, "Content-Type": "application/json"}
        try:
            async with self._session.post(self._send_url, data=orjson.dumps(body), headers=headers,
                                          timeout=self._timeout) as resp:
                status = resp.status
                raw = await resp.read()
        except TimeoutError:
            return SendResult(False, TIMEOUT, describe(TIMEOUT), Disposition.RETRY, None)
        except aiohttp.ClientError as exc:
            return SendResult(False, NETWORK_ERROR, f"{describe(NETWORK_ERROR)}: {exc!r}",
                              Disposition.RETRY, None)

        if status != 200:
            return SendResult(False, HTTP_ERROR, f"HTTP {status}", _http_disposition(status), None, status)
        try:
            answer = orjson.loads(raw)
        except orjson.JSONDecodeError:
            answer = None
        code = _as_int(answer.get("error")) if isinstance(answer, dict) else None
        if code is None:
            return SendResult(False, BAD_RESPONSE, f"{describe(BAD_RESPONSE)}: {raw[:200]!r}",
                              Disposition.RETRY, None, status)
        message = str(answer.get("message") or describe(code))
        if code != 0:
            return SendResult(False, code, message, classify(code), None, status)
        data = answer.get("data")
        msg_id = data.get("message_id") if isinstance(data, dict) else None
        return SendResult(True, 0, message, Disposition.OK, str(msg_id) if msg_id else None, status)

    async def sent_since(self, access_token: str, user_id: str, since_ms: int,
                         max_pages: int = 10) -> list[SentMessage] | None:
        """What the OA sent to `user_id` from `since_ms` on, oldest first; None when the history could not
        be read (the caller then falls back to sending again). Raises AccessTokenRejected when Zalo refused
        the access token: that says nothing about the history, which a fresh token can still read."""
        found: list[SentMessage] = []
        for page in range(max_pages):
            answer = await self._get(self._conversation_url, access_token, {
                "user_id": user_id, "offset": page * CONVERSATION_PAGE, "count": CONVERSATION_PAGE})
            code = _as_int(answer.get("error")) if isinstance(answer, dict) else None
            if code and classify(code) is Disposition.REFRESH_TOKEN:
                raise AccessTokenRejected(code)
            items = answer.get("data") if isinstance(answer, dict) and answer.get("error") == 0 else None
            if not isinstance(items, list):
                return None
            older = False
            for item in items:  # newest first
                time_ms = _as_int(item.get("time")) if isinstance(item, dict) else None
                if time_ms is None:
                    return None
                if time_ms < since_ms:
                    older = True
                elif _as_int(item.get("src")) == 0:  # 0: sent by the OA, 1: by the user
                    text = item.get("message")
                    found.append(SentMessage(str(item.get("message_id") or ""), time_ms,
                                             text if isinstance(text, str) else None))
            if older or len(items) < CONVERSATION_PAGE:
                return found[::-1]
        return None  # more history than we read: cannot tell

    async def _get(self, url: str, access_token: str, data: dict[str, Any]) -> Any:
        """Zalo's JSON answer to a GET carrying `data` as its query; None on any transport or HTTP error."""
        query = {"data": orjson.dumps(data).decode()}
        try:
            async with self._session.get(url, params=query, headers={"access_token": access_token},
                                         timeout=self._timeout) as resp:
                return orjson.loads(await resp.read()) if resp.status == 200 else None
        except (TimeoutError, aiohttp.ClientError, orjson.JSONDecodeError):
            return None

    async def followers(self, access_token: str, offset: int) -> tuple[list[str], int] | None:
        """One page of the OA's followers: (user ids, total followers); None on any error. The list is read
        from `data.users` (v3; `data.followers` as v2 named it), each item's `user_id`."""
        answer = await self._get(self._followers_url, access_token,
                                 {"offset": offset, "count": FOLLOWERS_PAGE, "is_follower": "true"})
        data = answer.get("data") if isinstance(answer, dict) and answer.get("error") == 0 else None
        items = (data.get("users") or data.get("followers")) if isinstance(data, dict) else None
        total = _as_int(data.get("total")) if isinstance(data, dict) else None
        if not isinstance(items, list) or total is None:
            return None
        ids = [str(i["user_id"]) for i in items if isinstance(i, dict) and i.get("user_id")]
        return ids, total

    async def refresh(self, refresh_token: str) -> TokenPair:
        """Exchange a (single-use) refresh token for a new pair. Raises TokenRefreshError."""
        return await self._token({"app_id": self._app_id, "grant_type": "refresh_token",
                                  "refresh_token": refresh_token})

    async def exchange_code(self, code: str, code_verifier: str) -> TokenPair:
        """The first pair, from the code Zalo's consent page sent back (OAuth v4 with PKCE)."""
        return await self._token({"app_id": self._app_id, "grant_type": "authorization_code", "code": code,
                                  "code_verifier": code_verifier})

    def consent_url(self, redirect_uri: str, code_challenge: str, state: str) -> str:
        query = urlencode({"app_id": self._app_id, "redirect_uri": redirect_uri, "code_challenge": code_challenge,
                           "state": state})
        return f"{self._oauth_base_url}{CONSENT_PATH}?{query}"

    async def _token(self, form: dict[str, str]) -> TokenPair:
        try:
            async with self._session.post(self._token_url, data=form,
                                          headers={"secret_key": self._app_secret},
                                          timeout=self._refresh_timeout) as resp:
                status = resp.status
                raw = await resp.read()
        except TimeoutError:
            raise TokenRefreshError(TIMEOUT, describe(TIMEOUT), retryable=True) from None
        except aiohttp.ClientConnectorError as exc:
            raise TokenRefreshError(NETWORK_ERROR, repr(exc), retryable=True, reached_zalo=False) from None
        except aiohttp.ClientError as exc:
            raise TokenRefreshError(NETWORK_ERROR, repr(exc), retryable=True) from None

        try:
            answer = orjson.loads(raw)
        except orjson.JSONDecodeError:
            answer = None
        if not isinstance(answer, dict):
            retryable = status >= 500 or status in (408, 429) or status == 200  # 200: likely a proxy page
            raise TokenRefreshError(HTTP_ERROR if status != 200 else BAD_RESPONSE,
                                    f"HTTP {status}: {raw[:200]!r}", retryable)

        code = _as_int(answer.get("error"))
        if code:  # an OAuth error body: the refresh token or the app credentials are wrong
            message = str(answer.get("error_description") or answer.get("error_name")
                          or answer.get("message") or describe(code))
            raise TokenRefreshError(code, message, retryable=False)
        if status != 200:
            retryable = _http_disposition(status) is Disposition.RETRY
            raise TokenRefreshError(HTTP_ERROR, f"HTTP {status}", retryable)

        access, refresh = answer.get("access_token"), answer.get("refresh_token")
        expires_in = _as_int(answer.get("expires_in"))
        if not (isinstance(access, str) and access and isinstance(refresh, str) and refresh
                and expires_in is not None):
            raise TokenRefreshError(BAD_RESPONSE, "answer without access_token/refresh_token/expires_in",
                                    retryable=False)
        return TokenPair(access, refresh, expires_in)
