"""zalo_tokens: when the refresh token was offered, and why the OA must be reconnected

Revision ID: 0008
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("zalo_tokens", sa.Column("refresh_offered_at", sa.DateTime(), nullable=True))
    op.add_column("zalo_tokens", sa.Column("reconnect_reason", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("zalo_tokens") as batch:
        batch.drop_column("reconnect_reason")
        batch.drop_column("refresh_offered_at")
