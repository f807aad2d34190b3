"""The application object: the one place that wires configuration, storage, flows and Zalo together."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import AsyncIterator, Callable, Iterable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from aiohttp.typedefs import Handler, Middleware
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot import api
from bot.background import Periodic
from bot.config import AppConfig, ZaloConfig
from bot.console.app import add_console
from bot.console.pages import ConsolePages
from bot.conversations_first import ConversationsFirst
from bot.dispatcher import Dispatcher
from bot.feature import Background, RuntimeParts
from bot.features import FEATURES
from bot.flowconfig import POLL_SECONDS as FLOW_POLL_SECONDS
from bot.flowconfig import FlowConfigWatch, running_services
from bot.inbox import InboxWriter
from bot.metrics import Metrics
from bot.ratelimit import RateLimiter
from bot.retention import purge_and_log
from bot.runtime import RUNTIME, Runtime
from bot.sender import RenderLimits, Sender, history_skew, replies_only
from bot.tokens import RECONNECT, TokenManager
from bot.webhook import WEBHOOK_PATH, ZaloWebhook, body_too_slow
from bot.worker import DISPATCHED_FAMILIES, Worker
from bot.zalo.client import ZaloClient
from flows.base import Flow
from flows.registry import FlowRegistry
from handlers.middlewares import default_middlewares
from storage import queues
from storage.engine import create_engine, is_sqlite, run_transaction
from storage.migrate import current_revision, head_revision, upgrade
from storage.types import utcnow

log = logging.getLogger(__name__)

INITIAL_TOKEN_LIFETIME = timedelta(hours=2)  # unknown for a configured pair: assume short, refresh early
TOKEN_CHECK_SECONDS = 600.0
RETENTION_CHECK_SECONDS = 3600.0
WEBHOOK = web.AppKey("webhook", ZaloWebhook)


def console_pages() -> list[ConsolePages]:
    """Each feature's console pages and dashboard panels, mounted in the console's frame."""
    return [f.console for f in FEATURES if f.console is not None]


def zalo_client(http: aiohttp.ClientSession, z: ZaloConfig) -> ZaloClient:
    return ZaloClient(http, api_base_url=z.api_base_url, oauth_base_url=z.oauth_base_url, app_id=z.app_id,
                      app_secret=z.app_secret, timeout=z.request_timeout_seconds,
                      refresh_timeout=z.refresh_timeout_seconds)


def token_manager(engine: AsyncEngine, client: ZaloClient, metrics: Metrics, z: ZaloConfig,
                  clock: Callable[[], datetime]) -> TokenManager:
    return TokenManager(engine, client, metrics, refresh_margin=timedelta(seconds=z.refresh_before_expiry_seconds),
                        refresh_timeout=timedelta(seconds=z.refresh_timeout_seconds), clock=clock)


class StartupError(Exception):
    """The service cannot start; the message says what to do."""


async def open_runtime(config: AppConfig, *, extra_flows: Iterable[Flow] = (), background: bool = True,
                       clock: Callable[[], datetime] = utcnow) -> Runtime:
    """`clock` drives the worker, the senders, the tokens and the scheduler (tests move it instead of sleeping)."""
    engine = create_engine(config.database.url)
    try:
        if is_sqlite(engine):
            await upgrade(engine)  # embedded default: nothing to run by hand
            await run_transaction(engine, queues.release_claims)  # SQLite's one process: claims left are a dead one's
        elif await current_revision(engine) != head_revision():
            raise StartupError("the PostgreSQL schema is not up to date: run `python -m bot db upgrade`")
    except StartupError:
        await engine.dispose()
        raise
    except Exception as e:
        await engine.dispose()
        raise StartupError(f"database {engine.url.render_as_string(hide_password=True)} is not reachable: "
                           f"{type(e).__name__}: {e}") from e
    try:
        services, stamp = await running_services(config, engine, clock)
    except Exception:
        await engine.dispose()
        raise
    flow_config = FlowConfigWatch(config, engine, services, stamp)
    metrics = Metrics()
    http = aiohttp.ClientSession()
    z = config.zalo
    client = zalo_client(http, z)
    tokens = token_manager(engine, client, metrics, z, clock)
    if z.access_token and z.refresh_token:
        await tokens.set_pair(z.access_token, z.refresh_token, INITIAL_TOKEN_LIFETIME, only_if_missing=True)
    flows = FlowRegistry((*(flow for f in FEATURES for flow in f.flows), *extra_flows),
                         {intent: command for f in FEATURES for intent, command in f.intents.items()})
    conversations = ConversationsFirst()
    w = config.worker
    sender = Sender(engine, client, tokens, RateLimiter(z.send_rate_per_second), metrics,
                    batch_size=w.sender_batch_size, concurrency=w.sender_concurrency,
                    lease=timedelta(seconds=w.send_lease_seconds), max_attempts=w.max_send_attempts,
                    limits=RenderLimits(z.max_text_chars, z.max_buttons), clock=clock, lane=replies_only,
                    history_skew=history_skew(z), marks=conversations.working)
    worker = Worker(engine, Dispatcher(flows, default_middlewares(w.per_resident_limit_per_minute)), services,
                    metrics, batch_size=w.batch_size, on_commit=sender.wake, clock=clock,
                    marks=conversations.worker_pass)

    def stored(rows: list[dict[str, Any]]) -> None:
        if any(r["family"] in DISPATCHED_FAMILIES for r in rows):  # not Zalo's echoes of the OA's sends
            conversations.event_stored()
        worker.wake()

    inbox = InboxWriter(engine, on_commit=stored, timeout=config.server.store_timeout_seconds)
    parts = RuntimeParts(config, engine, client, tokens, metrics, http, services, clock, conversations)
    feature_work: dict[str, Background] = {f.name: f.background(parts) for f in FEATURES if f.background is not None}
    rt = Runtime(config, engine, metrics, services, flows, inbox, worker, sender, tokens, http,
                 background=feature_work, conversations=conversations, clock=clock, flow_config=flow_config)
    inbox.start()
    if background:
        rt.tasks += [asyncio.create_task(worker.run_forever(w.poll_interval_seconds), name="worker"),
                     asyncio.create_task(sender.run_forever(w.poll_interval_seconds), name="sender"),
                     asyncio.create_task(Periodic(tokens.check).run_forever(TOKEN_CHECK_SECONDS), name="tokens"),
                     asyncio.create_task(Periodic(flow_config.check).run_forever(FLOW_POLL_SECONDS),
                                         name="flow-config"),
                     asyncio.create_task(Periodic(functools.partial(
                         purge_and_log, engine, config.privacy, Path(config.broadcasts.csv_dir), clock,
                     )).run_forever(RETENTION_CHECK_SECONDS), name="retention"),
                     *(task for work in feature_work.values() for task in work.start(w.poll_interval_seconds))]
    return rt


async def close_runtime(rt: Runtime) -> None:
    for task in rt.tasks:
        task.cancel()
    await asyncio.gather(*rt.tasks, return_exceptions=True)
    await rt.inbox.stop()
    await rt.http.close()
    await rt.engine.dispose()


async def healthz(request: web.Request) -> web.Response:
    """200 "ok"; 200 "degraded" while the OA must be reconnected (webhooks are still stored, nothing is
    sent); 503 when the database cannot be reached."""
    rt = request.app[RUNTIME]
    try:
        async with rt.engine.connect() as conn:
            await asyncio.wait_for(conn.execute(text("SELECT 1")), 2)
        reconnect = await rt.tokens.reconnect_reason()
    except Exception as e:
        return web.json_response({"status": "unavailable", "database": type(e).__name__}, status=503)
    if reconnect is not None:
        return web.json_response({"status": "degraded", "zalo": f"{RECONNECT}: {reconnect}"})
    return web.json_response({"status": "ok"})


async def metrics_page(request: web.Request) -> web.Response:
    rt = request.app[RUNTIME]
    gauges: dict[str, float] = {}
    state: dict[str, float] = {}
    with contextlib.suppress(Exception):  # metrics stay readable while the database is down
        gauges = dict(await run_transaction(rt.engine, queues.queue_depths))
        state["motcua_zalo_must_reconnect"] = float(await rt.tokens.reconnect_reason() is not None)
    return web.Response(text=rt.metrics.render(gauges, state), content_type="text/plain")


def bounded_bodies(seconds: float) -> Middleware:
    """Every request's body must arrive within `seconds` (408 otherwise, counted in /metrics): a client
    trickling a body must not hold a socket and a handler for ever. The webhook bounds its own read (it
    also stops at its size limit before reading everything)."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.body_exists and request.path != WEBHOOK_PATH:
            try:
                async with asyncio.timeout(seconds):
                    if request.content_type == "multipart/form-data":
                        await request.post()  # a multipart stream can be read once: parsed here, kept for post()
                    else:
                        await request.read()  # kept by the request for the handler's json() / read() / post()
            except TimeoutError:
                resource = request.match_info.route.resource
                route = resource.canonical if resource is not None else "unmatched"
                return body_too_slow(request.app[RUNTIME].metrics, route, seconds)
        return await handler(request)

    return middleware


def create_app(config: AppConfig, *, extra_flows: Iterable[Flow] = (), background: bool = True,
               clock: Callable[[], datetime] = utcnow) -> web.Application:
    app = web.Application(client_max_size=10 * 1024 * 1024,
                          middlewares=[bounded_bodies(config.server.body_timeout_seconds)])

    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        rt = await open_runtime(config, extra_flows=extra_flows, background=background, clock=clock)
        app[RUNTIME] = rt
        z = config.zalo
        ids = [z.app_id if v == "app_id" else z.oa_id for v in z.signature_ids]
        webhook = ZaloWebhook(rt.inbox, rt.metrics, secret=z.oa_secret_key, id_values=ids,
                              max_body_bytes=config.server.max_body_bytes, clock=clock,
                              body_timeout=config.server.body_timeout_seconds)
        app[WEBHOOK] = webhook
        yield
        await close_runtime(rt)

    async def webhook_route(request: web.Request) -> web.Response:
        return await request.app[WEBHOOK].handle(request)

    app.cleanup_ctx.append(lifecycle)
    app.router.add_post(WEBHOOK_PATH, webhook_route)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics_page)
    app[api.CONFIG] = config
    for feature in FEATURES:
        if feature.add_routes is not None:
            feature.add_routes(app)
    if config.console.enabled:
        add_console(app, config, console_pages())
    return app
