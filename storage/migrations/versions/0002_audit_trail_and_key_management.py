"""audit trail and key management

Revision ID: 0002
Revises: 0001

The audit chain's head checkpoint and a pending key rotation live in `meta` (keys `audit.head`,
`rotation.state`, `rotation.last`, `purge.pending.<key id>`): no table of their own.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # --- audit trail ---
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("obj_type", sa.String(length=32), nullable=True),
        sa.Column("obj_id", sa.Integer(), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_log_case_id"), ["case_id"], unique=False)
    # --- end audit trail ---


def downgrade() -> None:
    # --- audit trail ---
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_log_case_id"))
    op.drop_table("audit_log")
    op.execute(
        sa.text(
            "DELETE FROM meta WHERE key = 'audit.head' OR key LIKE 'rotation.%' OR key LIKE 'purge.pending.%'"
        )
    )
    # --- end audit trail ---
