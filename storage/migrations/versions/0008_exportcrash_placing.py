"""exportcrash: an export recorded before its file has its final name carries the temporary file's path

While `placing_ct` is set the delivery is recorded but its file is not yet in place; the next export,
nightly pass or `jikimi status` finishes it (takedown.exporting.finish_pending_exports).

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("exports", schema=None) as batch_op:
        batch_op.add_column(sa.Column("placing_ct", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("exports", schema=None) as batch_op:
        batch_op.drop_column("placing_ct")
