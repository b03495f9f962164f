"""triage: score, tier and reasons of exposures; deliveries per recipient; change sets of bulk status changes

Revision ID: 0006
Revises: 0005

`exposures.score` held the matcher's confidence (0-1); it moves to `match_confidence` and `score` becomes the
triage score (0-100), computed here for every existing exposure from what the database already knows (context
kinds
are unknown for rows found before this version: they count as none, and the next sighting fills them in).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.scoring import assess
from storage.triage import signals_for

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("exposures", schema=None) as batch_op:
        batch_op.add_column(sa.Column("tier", sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column("reasons", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("match_confidence", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("match_level", sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column("context", sa.String(length=64), nullable=True))
    with op.batch_alter_table("exports", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("recipient", sa.String(length=64), nullable=False, server_default="default")
        )
        batch_op.add_column(sa.Column("rewrite_of", sa.Integer(), nullable=True))
    op.drop_index("uq_export_items_new_exposure", table_name="export_items")
    with op.batch_alter_table("export_items", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("recipient", sa.String(length=64), nullable=False, server_default="default")
        )
    op.create_index(
        "uq_export_items_new_recipient",
        "export_items",
        ["exposure_id", "recipient"],
        unique=True,
        sqlite_where=sa.text("only_new"),
        postgresql_where=sa.text("only_new"),
    )
    with op.batch_alter_table("exposure_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("change_set", sa.String(length=36), nullable=True))
        batch_op.create_index("ix_exposure_events_change_set", ["change_set"], unique=False)
    _backfill_scores()


def _backfill_scores() -> None:
    conn = op.get_bind()
    # The old score was the matcher's confidence; a high-level match was one at 0.6 or more (matching.kinds).
    conn.execute(sa.text("UPDATE exposures SET match_confidence = score"))
    conn.execute(
        sa.text(
            "UPDATE exposures SET match_level = CASE WHEN match_confidence >= 0.6 THEN 'high' ELSE 'low' END"
            " WHERE match_confidence IS NOT NULL AND variant IS NOT NULL AND variant <> 'engine'"
        )
    )
    rows = conn.execute(
        sa.text(
            "SELECT e.id, e.confidence, e.variant, e.match_confidence, e.match_level, e.reupload_of_id,"
            " t.kind"
            " FROM exposures e LEFT JOIN terms t ON t.id = e.term_id"
        )
    ).all()
    sources: dict[int, list[str]] = {}
    for exposure_id, source in conn.execute(sa.text("SELECT DISTINCT exposure_id, source FROM sightings")):
        sources.setdefault(exposure_id, []).append(source)
    outcomes: dict[int, list[str]] = {}
    query = sa.text("SELECT DISTINCT exposure_id, outcome FROM evidence WHERE purpose = 'verify'")
    for exposure_id, outcome in conn.execute(query):
        outcomes.setdefault(exposure_id, []).append(outcome)
    exposures = sa.table(
        "exposures",
        sa.column("id", sa.Integer),
        sa.column("score", sa.Float),
        sa.column("tier", sa.String),
        sa.column("reasons", sa.JSON),
    )
    for exposure_id, confidence, variant, match_confidence, level, reupload_of, kind in rows:
        result = assess(
            signals_for(
                confidence=confidence,
                variant=variant,
                match_confidence=match_confidence,
                level=level,
                context=None,
                term_kind=kind,
                sources=sources.get(exposure_id, []),
                verify_outcomes=outcomes.get(exposure_id, []),
                reupload=reupload_of is not None,
            )
        )
        conn.execute(
            exposures.update()
            .where(exposures.c.id == exposure_id)
            .values(score=float(result.score), tier=result.tier, reasons=list(result.reasons))
        )


def downgrade() -> None:
    conn = op.get_bind()
    conn.execute(sa.text("UPDATE exposures SET score = match_confidence"))
    with op.batch_alter_table("exposure_events", schema=None) as batch_op:
        batch_op.drop_index("ix_exposure_events_change_set")
        batch_op.drop_column("change_set")
    op.drop_index("uq_export_items_new_recipient", table_name="export_items")
    # Deliveries to other recipients would break the old one-delivery index: keep the default recipient's.
    conn.execute(sa.text("DELETE FROM export_items WHERE only_new AND recipient <> 'default'"))
    with op.batch_alter_table("export_items", schema=None) as batch_op:
        batch_op.drop_column("recipient")
    op.create_index(
        "uq_export_items_new_exposure",
        "export_items",
        ["exposure_id"],
        unique=True,
        sqlite_where=sa.text("only_new"),
        postgresql_where=sa.text("only_new"),
    )
    with op.batch_alter_table("exports", schema=None) as batch_op:
        batch_op.drop_column("rewrite_of")
        batch_op.drop_column("recipient")
    with op.batch_alter_table("exposures", schema=None) as batch_op:
        batch_op.drop_column("context")
        batch_op.drop_column("match_level")
        batch_op.drop_column("match_confidence")
        batch_op.drop_column("reasons")
        batch_op.drop_column("tier")
