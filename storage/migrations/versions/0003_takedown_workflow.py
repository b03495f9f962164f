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


def downgrade() -> None:
    # --- exports ---
    op.drop_index("uq_export_items_new_exposure", table_name="export_items")
    # --- end exports ---
