"""handoff cases routed to thôn teams or the desk, and staff notes on them

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "handoff_cases",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("zalo_user_id", sa.String(length=64), nullable=False),
        sa.Column("open_key", sa.String(length=64), nullable=True),
        sa.Column("thon_slug", sa.String(length=64), nullable=True),
        sa.Column("opened_at", sa.DateTime(), nullable=False),
        sa.Column("assigned_to", sa.String(length=64), nullable=True),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.Column("closed_by", sa.String(length=64), nullable=True),
        sa.Column("close_reason", sa.String(length=16), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("open_key"),
    )
    op.create_index(op.f("ix_handoff_cases_zalo_user_id"), "handoff_cases", ["zalo_user_id"])
    op.create_index(op.f("ix_handoff_cases_thon_slug"), "handoff_cases", ["thon_slug"])
    op.create_table(
        "handoff_notes",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("case_id", BIG_ID, nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("author", sa.String(length=64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["handoff_cases.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_handoff_notes_case_id"), "handoff_notes", ["case_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_handoff_notes_case_id"), table_name="handoff_notes")
    op.drop_table("handoff_notes")
    op.drop_index(op.f("ix_handoff_cases_thon_slug"), table_name="handoff_cases")
    op.drop_index(op.f("ix_handoff_cases_zalo_user_id"), table_name="handoff_cases")
    op.drop_table("handoff_cases")
