"""Households' subscriptions, local news, announcements and their scheduling."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base, BigId
from storage.types import utcnow


class Household(Base):
    """A resident's household profile: where it lives, what it wants to hear, how else to reach it.
    One row per Zalo follower (the resident), created by onboarding."""

    __tablename__ = "households"

    resident_id: Mapped[int] = mapped_column(BigId, ForeignKey("residents.id", ondelete="CASCADE"),
                                             primary_key=True, autoincrement=False)
    thon_slug: Mapped[str | None] = mapped_column(String(64), index=True)
    subscribed: Mapped[bool] = mapped_column(Boolean, default=True)  # False after "hủy nhận tin"
    onboarded_at: Mapped[datetime | None]
    # Contact details shared through Zalo's form, for other channels (SMS, a visit); personal data.
    consent_at: Mapped[datetime | None]
    name: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(32))
    address: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class HouseholdTopic(Base):
    __tablename__ = "household_topics"

    resident_id: Mapped[int] = mapped_column(BigId, ForeignKey("households.resident_id", ondelete="CASCADE"),
                                             primary_key=True, autoincrement=False)
    topic: Mapped[str] = mapped_column(String(64), primary_key=True)


class NewsArticle(Base):
    __tablename__ = "news_articles"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    category: Mapped[str] = mapped_column(String(64))  # a topic slug
    image_url: Mapped[str | None] = mapped_column(Text)
    link: Mapped[str | None] = mapped_column(Text)
    published_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (Index("ix_news_category_published", "category", "published_at"),
                      Index("ix_news_published", "published_at"))


class Announcement(Base):
    """What staff want to tell households. Audience: `thon` and `topics` lists, empty meaning all."""

    __tablename__ = "announcements"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    title: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    image_url: Mapped[str | None] = mapped_column(Text)
    link: Mapped[str | None] = mapped_column(Text)
    thon: Mapped[list[Any]]
    topics: Mapped[list[Any]]
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    send_at: Mapped[datetime | None]  # None: as soon as scheduled
    repeat: Mapped[str | None] = mapped_column(String(100))  # crontab, in the commune's time zone
    # pending_approval | scheduled | started | missed | cancelled
    status: Mapped[str] = mapped_column(String(20))
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    approved_by: Mapped[str | None] = mapped_column(String(100))
    approved_at: Mapped[datetime | None]
    cancelled_by: Mapped[str | None] = mapped_column(String(100))
    cancelled_at: Mapped[datetime | None]


class AnnouncementRun(Base):
    """One firing of an announcement (a recurring one has one per occurrence). The unique due time
    makes firing idempotent: a job fired twice for the same occurrence still yields one run."""

    __tablename__ = "announcement_runs"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    announcement_id: Mapped[int] = mapped_column(BigId, ForeignKey("announcements.id", ondelete="CASCADE"))
    due_at: Mapped[datetime]
    # expanding | sending | done | missed | cancelled
    status: Mapped[str] = mapped_column(String(16))
    fired_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    # Fan-out progress: residents with id <= cursor are already in the outbox.
    cursor: Mapped[int] = mapped_column(BigInteger, default=0)
    queued: Mapped[int] = mapped_column(Integer, default=0)
    # Set by the retention purge: the run's report without the per-household list, kept when the run's
    # outbox rows and other-channel deliveries (which name households) are deleted.
    archived_report: Mapped[dict[str, Any] | None]

    __table_args__ = (UniqueConstraint("announcement_id", "due_at", name="uq_run_occurrence"),
                      Index("ix_runs_status", "status"))


class ScheduledJob(Base):
    """A persisted job under a stable id (e.g. "announcement:12"); APScheduler's trigger classes compute
    its next run time from `trigger`. No pickled callables: `kind` names the handler."""

    __tablename__ = "scheduled_jobs"

    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    ref_id: Mapped[int] = mapped_column(BigInteger)
    trigger: Mapped[dict[str, Any]]
    next_run_at: Mapped[datetime | None] = mapped_column(index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ChannelDelivery(Base):
    """An announcement run carried to a household by a channel other than Zalo (SMS, CSV for the thôn)."""

    __tablename__ = "channel_deliveries"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    run_id: Mapped[int] = mapped_column(BigId, ForeignKey("announcement_runs.id", ondelete="CASCADE"))
    resident_id: Mapped[int] = mapped_column(BigId, ForeignKey("residents.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))  # sent | failed
    detail: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("run_id", "resident_id", "channel", name="uq_channel_delivery"),)
