"""unanswered messages: also the "did you mean" ones, told apart by a kind

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("unanswered_messages", sa.Column("kind", sa.String(length=16), nullable=False,
                                                   server_default="unanswered"))


def downgrade() -> None:
    with op.batch_alter_table("unanswered_messages") as batch:
        batch.drop_column("kind")
