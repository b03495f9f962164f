"""cluster: the shard ledger, shared daily budgets and request pace

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "run_shards",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("shard", sa.Integer(), nullable=False),
        sa.Column("stage", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("node", sa.String(length=200), nullable=True),
        sa.Column("job_id", sa.String(length=64), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("child_run_id", sa.Integer(), nullable=True),
        sa.Column("scheduled_at", sa.DateTime(), nullable=True),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("reason", sa.String(length=200), nullable=True),
        sa.Column("history", sa.JSON(), nullable=False),
        sa.Column("spider_job_id", sa.String(length=64), nullable=True),
        sa.Column("spider_reason", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["run_id"], ["runs.id"], name="fk_run_shards_run_id_runs", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_run_shards"),
        sa.UniqueConstraint("run_id", "shard", "stage", name="uq_run_shards_run_shard_stage"),
    )
    op.create_index("ix_run_shards_run_id", "run_shards", ["run_id"], unique=False)
    op.create_table(
        "source_budgets",
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("used", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("source", "day", name="pk_source_budgets"),
    )
    op.create_table(
        "source_pace",
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("next_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("source", name="pk_source_pace"),
    )


def downgrade() -> None:
    op.drop_table("source_pace")
    op.drop_table("source_budgets")
    op.drop_index("ix_run_shards_run_id", table_name="run_shards")
    op.drop_table("run_shards")
