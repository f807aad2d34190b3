"""outbox: when a message was claimed, and since when its delivery is in doubt

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("outbox_messages", sa.Column("claimed_at", sa.DateTime(), nullable=True))
    op.add_column("outbox_messages", sa.Column("in_doubt_since", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox_messages") as batch:
        batch.drop_column("in_doubt_since")
        batch.drop_column("claimed_at")
