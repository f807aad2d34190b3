"""Service configuration: one TOML file validated by pydantic, secrets overridable from the environment.

Environment variables named ``MOTCUA_<SECTION>__<KEY>`` (e.g. ``MOTCUA_ZALO__OA_SECRET_KEY``,
``MOTCUA_DATABASE__URL``) override the file, so secrets never need to be committed.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from bot.broadcasts.config import DEFAULT_TOPICS, BroadcastsConfig, Topics
from bot.console.config import ConsoleConfig
from bot.lookups.config import ImportsConfig, PrivacyConfig
from flows.problems import Problems, problem_lines

ENV_PREFIX = "MOTCUA_"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ServerConfig(_Section):
    host: str = "127.0.0.1"
    port: int = Field(8080, ge=1, le=65535)
    max_body_bytes: int = Field(64 * 1024, ge=1024)
    # Past this an event not yet stored gets a 503 (Zalo retries), well before Zalo's own 2 s limit.
    store_timeout_seconds: float = Field(1.5, gt=0, le=1.8)
    # A request body not fully received by then is cut off (408), so slow senders cannot hold sockets.
    body_timeout_seconds: float = Field(5.0, gt=0)
    public_base_url: str = ""  # used in links shown to residents, e.g. the sandbox


class DatabaseConfig(_Section):
    url: str = "sqlite+aiosqlite:///data/motcua.sqlite3"

    @field_validator("url")
    @classmethod
    def _known_engine(cls, v: str) -> str:
        if not (v.startswith("sqlite+aiosqlite://") or v.startswith("postgresql+asyncpg://")):
            raise ValueError("must start with sqlite+aiosqlite:// or postgresql+asyncpg://")
        return v


class ZaloConfig(_Section):
    app_id: str = ""
    oa_id: str = ""
    oa_secret_key: str = ""
    app_secret: str = ""
    api_base_url: str = "https://openapi.zalo.me"
    oauth_base_url: str = "https://oauth.zaloapp.com"
    access_token: str = ""
    refresh_token: str = ""
    # Sources disagree on which id is hashed into X-ZEvent-Signature; accept the listed variants.
    signature_ids: list[Literal["app_id", "oa_id"]] = ["app_id"]
    send_rate_per_second: float = Field(10.0, gt=0)
    request_timeout_seconds: float = Field(10.0, gt=0)
    # A refresh spends the refresh token whether or not its answer arrives: wait longer for that answer.
    refresh_timeout_seconds: float = Field(30.0, gt=0)
    refresh_before_expiry_seconds: int = Field(3600, ge=0)
    max_text_chars: int = Field(2000, ge=100)
    max_buttons: int = Field(5, ge=1)
    # After a crash mid-send, read the conversation history (GET /v2.0/oa/conversation) before sending a
    # message again, so Zalo never gets it twice. Off: at-least-once (a crash may duplicate a few).
    check_history_after_crash: bool = True
    # How far Zalo's message times may run behind ours when matching that history.
    history_clock_skew_seconds: float = Field(5.0, ge=0)


class ThonConfig(_Section):
    slug: str
    name: str
    aliases: list[str] = []
    # False when the name is not confirmed (listed on the console's "cần xác minh" page until it is).
    verified: bool = True


class CommuneConfig(_Section):
    name: str = "UBND phường"
    former_names: list[str] = []
    thon: list[ThonConfig] = []
    office_name: str = ""
    office_address: str = ""
    office_phone: str = ""
    # Residents see an unverified phone number or address labelled as such (texts unverified_phone/_address).
    office_address_verified: bool = False
    office_phone_verified: bool = False
    # Opening hours per weekday (0 = Monday), each a list of "HH:MM-HH:MM" ranges.
    office_hours: dict[int, list[str]] = {}
    office_hours_verified: bool = False
    online_portals: dict[str, str] = {}
    timezone: str = "Asia/Ho_Chi_Minh"

    @field_validator("office_hours")
    @classmethod
    def _hours(cls, v: dict[int, list[str]]) -> dict[int, list[str]]:
        for day, ranges in v.items():
            if not 0 <= day <= 6:
                raise ValueError(f"weekday {day} must be 0 (Monday) to 6 (Sunday)")
            for r in ranges:
                start, sep, end = r.partition("-")
                if not sep or not (_is_hhmm(start) and _is_hhmm(end)) or start >= end:
                    raise ValueError(f"range {r!r} must look like 07:30-11:30")
        return v


def _is_hhmm(s: str) -> bool:
    h, sep, m = s.partition(":")
    return bool(sep) and h.isdigit() and m.isdigit() and len(m) == 2 and int(h) < 24 and int(m) < 60


class WorkerConfig(_Section):
    batch_size: int = Field(200, ge=1)
    # In one process, new work wakes the worker and the senders at once; polling finds what other
    # processes queued, retries coming due and expired claims. Each poll costs a transaction per loop.
    poll_interval_seconds: float = Field(0.25, gt=0)
    per_resident_limit_per_minute: int = Field(30, ge=1)
    sender_batch_size: int = Field(100, ge=1)
    sender_concurrency: int = Field(16, ge=1)
    send_lease_seconds: float = Field(60.0, gt=0)
    # Tries before a message counts as failed, for Zalo's temporary errors (rate limit, 5xx, timeouts,
    # network). The back-off doubles from 2 s up to 30 min, so 16 tries span about 2-3 hours of a Zalo
    # or network outage (8 spanned 4 minutes). Waiting for a token does not count as a try.
    max_send_attempts: int = Field(16, ge=1)


class FlowsConfig(_Section):
    # Folder of flow configuration files (texts, menus, lexicon, catalog) the database's first versions
    # are made from, over the defaults shipped in flows/default. Later changes go through the console or
    # `python -m bot flows import`.
    path: str = ""
    # Labelled messages (JSONL, the eval-nlu format) a draft is scored on before it is published.
    eval_sets: list[str] = []
    # A folder of scripted conversations (the eval-conversations format) a draft can be played on.
    eval_conversations: str = ""


class ApiClientConfig(_Section):
    """An integration allowed to call /api/v1. Only the SHA-256 of its bearer token is kept here, so this
    file holds no secret (`python -m bot api new-token NAME` makes a token and prints the line to add)."""

    name: str
    token_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    scopes: list[str] = []


class ApiConfig(_Section):
    clients: list[ApiClientConfig] = []


class AppConfig(_Section):
    server: ServerConfig = ServerConfig()
    database: DatabaseConfig = DatabaseConfig()
    zalo: ZaloConfig = ZaloConfig()
    commune: CommuneConfig = CommuneConfig()
    worker: WorkerConfig = WorkerConfig()
    flows: FlowsConfig = FlowsConfig()
    api: ApiConfig = ApiConfig()
    topics: Topics = DEFAULT_TOPICS
    broadcasts: BroadcastsConfig = BroadcastsConfig()
    privacy: PrivacyConfig = PrivacyConfig()
    imports: ImportsConfig = ImportsConfig()
    console: ConsoleConfig = ConsoleConfig()
    log_level: str = "INFO"


class ConfigError(Problems):
    """Invalid configuration; one line per problem, each naming the field path."""


def _env_overrides(environ: dict[str, str]) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for key, value in environ.items():
        if not key.startswith(ENV_PREFIX) or "__" not in key:
            continue
        section, _, field = key[len(ENV_PREFIX):].lower().partition("__")
        out.setdefault(section, {})[field] = value
    return out


def build_config(data: dict[str, Any], environ: dict[str, str] | None = None) -> AppConfig:
    merged = {k: (dict(v) if isinstance(v, dict) else v) for k, v in data.items()}
    for section, fields in _env_overrides(dict(os.environ) if environ is None else environ).items():
        target = merged.setdefault(section, {})
        if isinstance(target, dict):
            target.update(fields)
    try:
        return AppConfig.model_validate(merged)
    except ValidationError as e:
        raise ConfigError(problem_lines(e, wording={"extra_forbidden": "unknown key"})) from None


def load_config(path: str | Path | None, environ: dict[str, str] | None = None) -> AppConfig:
    data: dict[str, Any] = {}
    if path is not None:
        try:
            data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError([f"{path}: file not found"]) from None
        except tomllib.TOMLDecodeError as e:
            raise ConfigError([f"{path}: not valid TOML: {e}"]) from None
    return build_config(data, environ)
