"""Households, news and announcements: onboarding, scheduled broadcasts, fan-out and other channels."""

from __future__ import annotations

from bot.broadcasts import api, cli, pages, retention
from bot.broadcasts.service import Broadcasting, build_broadcasting
from bot.feature import Feature, RuntimeParts
from flows.broadcasts.households import ONBOARD_FLOW, SETTINGS_FLOW
from flows.broadcasts.news import NEWS_FLOW
from storage.broadcasts.models import (
    Announcement,
    AnnouncementRun,
    ChannelDelivery,
    Household,
    HouseholdTopic,
    NewsArticle,
    ScheduledJob,
)


def start(parts: RuntimeParts) -> Broadcasting:
    return build_broadcasting(parts.config, parts.engine, parts.client, parts.tokens, parts.metrics, parts.http,
                              parts.services, parts.clock, parts.conversations)


BROADCASTS = Feature(
    "broadcasts",
    flows=(ONBOARD_FLOW, SETTINGS_FLOW, NEWS_FLOW),
    intents={"news": "#news:find", "subscribe": "#subscribe:start", "unsubscribe": "#subscribe:stop"},
    add_routes=api.add_routes,
    console=pages.PAGES,
    commands=tuple(cli.COMMANDS),
    background=start,
    retention=retention.purge,
    config_sections=("topics", "broadcasts"),
    tables=(Household, HouseholdTopic, NewsArticle, Announcement, AnnouncementRun, ScheduledJob, ChannelDelivery),
)
