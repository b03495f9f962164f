"""takedown workflow: recipient and verification time of exposure status changes

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # batch mode: SQLite cannot ALTER TABLE ... ADD with every option, alembic copies the table.
    with op.batch_alter_table("exposure_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("recipient_ct", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("verified_at", sa.DateTime(), nullable=True))
        batch_op.create_index("ix_exposure_events_exposure_at", ["exposure_id", "at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("exposure_events", schema=None) as batch_op:
        batch_op.drop_index("ix_exposure_events_exposure_at")
        batch_op.drop_column("verified_at")
        batch_op.drop_column("recipient_ct")
