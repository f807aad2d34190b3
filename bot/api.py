"""Shared pieces of the /api/v1 endpoints: bearer-token auth with scopes, JSON bodies validated by
pydantic with errors that name the field, and one error shape: {"ok": false, "error": .., "details": [..]}."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any, TypeVar

from aiohttp import web
from pydantic import BaseModel, ValidationError

from bot.config import ApiClientConfig, AppConfig
from flows.problems import problem_lines

M = TypeVar("M", bound=BaseModel)
CONFIG = web.AppKey("api_config", AppConfig)


def error(status: int, message: str, details: list[str] | None = None) -> web.HTTPException:
    body = {"ok": False, "error": message, **({"details": details} if details else {})}
    exc = web.HTTPException(text=web.json_response(body).text, content_type="application/json")
    exc.status_code = status
    exc.set_status(status)  # the response line: __init__ already used the class's status_code (-1)
    return exc


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> tuple[str, str]:
    token = secrets.token_urlsafe(32)
    return token, token_hash(token)


def authenticate(request: web.Request, scope: str) -> ApiClientConfig:
    """The calling integration: 401 without a valid bearer token, 403 when it lacks `scope`."""
    header = request.headers.get("Authorization", "")
    kind, _, token = header.partition(" ")
    if kind.lower() != "bearer" or not token.strip():
        raise error(401, "missing bearer token (Authorization: Bearer <token>)")
    given = token_hash(token.strip())
    client = next((c for c in request.app[CONFIG].api.clients if hmac.compare_digest(c.token_sha256, given)), None)
    if client is None:
        raise error(401, "invalid bearer token")
    if scope not in client.scopes:
        raise error(403, f"integration {client.name!r} is not allowed scope {scope!r}")
    return client


async def read_json(request: web.Request, model: type[M]) -> M:
    try:
        data: Any = await request.json()
    except ValueError:
        raise error(400, "body is not valid JSON") from None
    try:
        return model.model_validate(data)
    except ValidationError as e:
        details = problem_lines(e, empty="(body)")
        raise error(422, "invalid request body", details) from None
