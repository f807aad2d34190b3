"""announcement_runs.archived_report: a run's counts, kept when its per-household rows are purged

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("announcement_runs", sa.Column("archived_report", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("announcement_runs") as batch:
        batch.drop_column("archived_report")
