"""households, news, announcements, scheduled jobs, other-channel deliveries

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "households",
        sa.Column("resident_id", BIG_ID, autoincrement=False, nullable=False),
        sa.Column("thon_slug", sa.String(length=64), nullable=True),
        sa.Column("subscribed", sa.Boolean(), nullable=False),
        sa.Column("onboarded_at", sa.DateTime(), nullable=True),
        sa.Column("consent_at", sa.DateTime(), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("phone", sa.String(length=32), nullable=True),
        sa.Column("address", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["resident_id"], ["residents.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("resident_id"),
    )
    op.create_index("ix_households_thon_slug", "households", ["thon_slug"])
    op.create_table(
        "household_topics",
        sa.Column("resident_id", BIG_ID, autoincrement=False, nullable=False),
        sa.Column("topic", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["resident_id"], ["households.resident_id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("resident_id", "topic"),
    )
    op.create_table(
        "news_articles",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("category", sa.String(length=64), nullable=False),
        sa.Column("image_url", sa.Text(), nullable=True),
        sa.Column("link", sa.Text(), nullable=True),
        sa.Column("published_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_news_category_published", "news_articles", ["category", "published_at"])
    op.create_index("ix_news_published", "news_articles", ["published_at"])
    op.create_table(
        "announcements",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("image_url", sa.Text(), nullable=True),
        sa.Column("link", sa.Text(), nullable=True),
        sa.Column("thon", sa.JSON(), nullable=False),
        sa.Column("topics", sa.JSON(), nullable=False),
        sa.Column("urgent", sa.Boolean(), nullable=False),
        sa.Column("send_at", sa.DateTime(), nullable=True),
        sa.Column("repeat", sa.String(length=100), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("approved_by", sa.String(length=100), nullable=True),
        sa.Column("approved_at", sa.DateTime(), nullable=True),
        sa.Column("cancelled_by", sa.String(length=100), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "announcement_runs",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("announcement_id", BIG_ID, nullable=False),
        sa.Column("due_at", sa.DateTime(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("fired_at", sa.DateTime(), nullable=True),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("cursor", sa.BigInteger(), nullable=False),
        sa.Column("queued", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["announcement_id"], ["announcements.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("announcement_id", "due_at", name="uq_run_occurrence"),
    )
    op.create_index("ix_runs_status", "announcement_runs", ["status"])
    op.create_table(
        "scheduled_jobs",
        sa.Column("id", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("ref_id", sa.BigInteger(), nullable=False),
        sa.Column("trigger", sa.JSON(), nullable=False),
        sa.Column("next_run_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_scheduled_jobs_next_run_at", "scheduled_jobs", ["next_run_at"])
    op.create_table(
        "channel_deliveries",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("run_id", BIG_ID, nullable=False),
        sa.Column("resident_id", BIG_ID, nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["announcement_runs.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["resident_id"], ["residents.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("run_id", "resident_id", "channel", name="uq_channel_delivery"),
    )
    op.create_index("ix_outbox_claim", "outbox_messages", ["status", "priority", "id"])
    op.create_index("ix_outbox_source_status", "outbox_messages", ["source", "status"])


def downgrade() -> None:
    op.drop_index("ix_outbox_source_status", table_name="outbox_messages")
    op.drop_index("ix_outbox_claim", table_name="outbox_messages")
    op.drop_table("channel_deliveries")
    op.drop_index("ix_scheduled_jobs_next_run_at", table_name="scheduled_jobs")
    op.drop_table("scheduled_jobs")
    op.drop_index("ix_runs_status", table_name="announcement_runs")
    op.drop_table("announcement_runs")
    op.drop_table("announcements")
    op.drop_index("ix_news_published", table_name="news_articles")
    op.drop_index("ix_news_category_published", table_name="news_articles")
    op.drop_table("news_articles")
    op.drop_table("household_topics")
    op.drop_index("ix_households_thon_slug", table_name="households")
    op.drop_table("households")
