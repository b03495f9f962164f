"""takedown workflow

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
    # --- exports: an exposure goes out in at most one only-new export (the nightly feed) ---
    op.create_index(
        "uq_export_items_new_exposure",
        "export_items",
        ["exposure_id"],
        unique=True,
        sqlite_where=sa.text("only_new"),
        postgresql_where=sa.text("only_new"),
    )
    # --- end exports ---

    # --- takedown workflow: recipient and verification time of status changes (storage/lifecycle.py) ---
    # batch mode: SQLite cannot ALTER TABLE in place for every change, alembic copies the table.
    with op.batch_alter_table("exposure_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("recipient_ct", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("verified_at", sa.DateTime(), nullable=True))
        batch_op.create_index("ix_exposure_events_exposure_at", ["exposure_id", "at"], unique=False)
    # --- end takedown workflow ---


def downgrade() -> None:
    # --- takedown workflow ---
    with op.batch_alter_table("exposure_events", schema=None) as batch_op:
        batch_op.drop_index("ix_exposure_events_exposure_at")
        batch_op.drop_column("verified_at")
        batch_op.drop_column("recipient_ct")
    # --- end takedown workflow ---

    # --- exports ---
    op.drop_index("uq_export_items_new_exposure", table_name="export_items")
    # --- end exports ---
