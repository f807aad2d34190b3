"""dossier and căn cước lookups: records, opt-ins, audit

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "dossiers",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("procedure", sa.String(length=300), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("result_on", sa.Date(), nullable=True),
        sa.Column("missing_papers", sa.Text(), nullable=False),
        sa.Column("pickup_place", sa.String(length=300), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("status_changed_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
    )
    op.create_index("ix_dossiers_finished_at", "dossiers", ["finished_at"])
    op.create_table(
        "id_card_results",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("receipt_no", sa.String(length=64), nullable=False),
        sa.Column("id_hash", sa.String(length=64), nullable=False),
        sa.Column("id_last4", sa.String(length=4), nullable=False),
        sa.Column("birth_date_hash", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("pickup_place", sa.String(length=300), nullable=False),
        sa.Column("ready_on", sa.Date(), nullable=True),
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("status_changed_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("receipt_no"),
    )
    op.create_index("ix_id_card_results_finished_at", "id_card_results", ["finished_at"])
    op.create_index("ix_id_card_results_id_hash", "id_card_results", ["id_hash"])
    op.create_table(
        "lookup_audit",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("zalo_user_id", sa.String(length=64), nullable=True),
        sa.Column("user_ref", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("record_id", BIG_ID, nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_lookup_audit_at", "lookup_audit", ["at"])
    op.create_index("ix_lookup_audit_user_at", "lookup_audit", ["user_ref", "at"])
    op.create_index("ix_lookup_audit_zalo_user_id", "lookup_audit", ["zalo_user_id"])
    op.create_table(
        "lookup_optins",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("zalo_user_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("record_id", BIG_ID, nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("zalo_user_id", "kind", "record_id", name="uq_lookup_optins_user_record"),
    )
    op.create_index("ix_lookup_optins_record", "lookup_optins", ["kind", "record_id"])


def downgrade() -> None:
    op.drop_index("ix_lookup_optins_record", table_name="lookup_optins")
    op.drop_table("lookup_optins")
    for name in ("ix_lookup_audit_zalo_user_id", "ix_lookup_audit_user_at", "ix_lookup_audit_at"):
        op.drop_index(name, table_name="lookup_audit")
    op.drop_table("lookup_audit")
    op.drop_index("ix_id_card_results_id_hash", table_name="id_card_results")
    op.drop_index("ix_id_card_results_finished_at", table_name="id_card_results")
    op.drop_table("id_card_results")
    op.drop_index("ix_dossiers_finished_at", table_name="dossiers")
    op.drop_table("dossiers")
