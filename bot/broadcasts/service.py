"""The broadcast side of the service: the lease-holding loop (schedule, expand, close runs) and the paced
sender lane for broadcast messages, wired from the configuration."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.background import PollingLoop
from bot.broadcasts.announcements import JOB_KIND, AnnouncementJobs
from bot.broadcasts.channels import CsvExportChannel, DeliveryChannel, SmsGatewayChannel, ZaloChannel
from bot.broadcasts.fanout import FanOut, QuietHours, broadcast_lane, hold_broadcasts
from bot.broadcasts.scheduler import Scheduler
from bot.config import AppConfig
from bot.conversations_first import ConversationsFirst
from bot.metrics import Metrics
from bot.ratelimit import RateLimiter
from bot.sender import RenderLimits, Sender, history_skew
from bot.services import Services
from bot.tokens import TokenManager
from bot.zalo.client import ZaloClient

log = logging.getLogger(__name__)

CANCEL_REACH_SECONDS = 2.0  # a broadcast claim holds about this much sending: a cancel stops the rest


class Broadcaster(PollingLoop):
    """Only the process holding the scheduler lease fires jobs, expands audiences and closes runs."""

    def __init__(self, scheduler: Scheduler, fanout: FanOut, wait_turn: Callable[[], Awaitable[None]]) -> None:
        super().__init__()
        self.scheduler = scheduler
        self.fanout = fanout
        self._wait_turn = wait_turn

    async def run_once(self) -> int:
        if not await self.scheduler.hold_lease():
            return 0
        await self._wait_turn()  # expanding an audience writes thousands of rows: residents first
        return (await self.scheduler.run_due() + await self.fanout.expand_once()
                + await self.fanout.complete_once())

    async def run_forever(self, poll_interval: float) -> None:
        try:
            await super().run_forever(poll_interval)
        finally:  # hand the lease over at once on a clean stop instead of after it expires
            with contextlib.suppress(Exception):
                await self.scheduler.release()


@dataclass
class Broadcasting:
    loop: Broadcaster
    sender: Sender
    channels: dict[str, DeliveryChannel]
    poll_interval: float

    async def run_once(self) -> int:
        return await self.loop.run_once() + await self.sender.run_once()

    def start(self, poll_interval_seconds: float) -> list[asyncio.Task[Any]]:
        """The broadcaster polls at its own pace; the sender at the service's, like the reply sender."""
        return [asyncio.create_task(self.loop.run_forever(self.poll_interval), name="broadcaster"),
                asyncio.create_task(self.sender.run_forever(poll_interval_seconds), name="broadcast-sender")]

    def wake(self) -> None:
        self.loop.wake()


def other_channels(config: AppConfig, services: Services, http: aiohttp.ClientSession,
                   csv_dir: Path | None = None) -> dict[str, DeliveryChannel]:
    """The channels that can carry an announcement to households Zalo could not reach."""
    bc = config.broadcasts
    channels: dict[str, DeliveryChannel] = {
        "csv": CsvExportChannel(csv_dir or Path(bc.csv_dir), {t.slug: t.name for t in config.commune.thon})}
    if bc.sms_gateway_url:
        channels["sms"] = SmsGatewayChannel(http, bc.sms_gateway_url, bc.sms_gateway_token, services.texts,
                                            services.text_defaults, max_chars=bc.sms_max_chars,
                                            ascii_only=bc.sms_ascii_only)
    return channels


def build_broadcasting(config: AppConfig, engine: AsyncEngine, client: ZaloClient, tokens: TokenManager,
                       metrics: Metrics, http: aiohttp.ClientSession, services: Services,
                       clock: Callable[[], datetime], conversations: ConversationsFirst) -> Broadcasting:
    bc, w, z = config.broadcasts, config.worker, config.zalo
    batch = max(1, min(bc.send_batch_size, int(bc.rate_per_second * CANCEL_REACH_SECONDS)))
    sender = Sender(engine, client, tokens, RateLimiter(bc.rate_per_second), metrics, batch_size=batch,
                    concurrency=bc.send_concurrency, lease=timedelta(seconds=w.send_lease_seconds),
                    max_attempts=w.max_send_attempts, limits=RenderLimits(z.max_text_chars, z.max_buttons),
                    clock=clock, lane=broadcast_lane(QuietHours(bc.quiet_hours, config.commune.timezone)),
                    hold=hold_broadcasts, history_skew=history_skew(z),
                    quota_pause=timedelta(minutes=bc.quota_pause_minutes), wait_turn=conversations.wait_turn)
    channels = other_channels(config, services, http)
    fanout = FanOut(engine, ZaloChannel(engine, services.texts, services.text_defaults, clock),
                    batch_size=bc.expand_batch_size, clock=clock, on_queued=sender.wake,
                    fallback=channels.get(bc.fallback_channel) if bc.fallback_channel else None)
    scheduler = Scheduler(engine, {JOB_KIND: AnnouncementJobs()}, lease_ttl=timedelta(seconds=bc.lease_seconds),
                          max_lateness=timedelta(seconds=bc.max_lateness_seconds), clock=clock)
    return Broadcasting(Broadcaster(scheduler, fanout, conversations.wait_turn), sender, channels,
                        bc.poll_interval_seconds)
