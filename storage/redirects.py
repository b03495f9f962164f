"""Exposures found as a search engine's redirect token get their real URL, and merge with its exposure.

Naver's Open API often gives `http://openapi.naver.com/l?<token>` instead of a post's URL. A platform
cannot act on such a link and a recheck cannot read it, and the same post found directly is another
exposure. Once the crawl has read where a token leads (`resolve_exposure`), the exposure takes the real
URL; the token stays as evidence (`Evidence(purpose="resolve", url_ct=token)`). When the case already has
an exposure at that URL, the two become one: the existing row keeps its id and receives the token
exposure's sightings, evidence, status history and deliveries.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from storage.crypto import Crypto
from storage.database import Store
from storage.exposures import CONFIDENCE_RANK
from storage.models import Case, Evidence, ExportItem, Exposure, ExposureEvent, Sighting, utcnow
from storage.targets_state import ExposureToFetch
from storage.triage import rescore
from storage.urls import canonical_url, domain_of, is_redirect_token, platform_of

RESOLVED = "redirect"


def unresolved_tokens(store: Store) -> list[ExposureToFetch]:
    """Exposures of open cases whose URL is still a redirect token (Naver's links are on `naver`)."""
    with store.session() as session:
        rows = session.execute(
            select(Exposure, Case)
            .join(Case, Case.id == Exposure.case_id)
            .where(Case.status == "open", Exposure.platform == "naver", Exposure.status != "dismissed")
            .order_by(Exposure.id)
        ).all()
        out = []
        for row, case in rows:
            url = store.crypto.for_case(case.key_id).decrypt(row.url_ct)
            if is_redirect_token(url):
                out.append(
                    ExposureToFetch(
                        id=row.id,
                        case_id=row.case_id,
                        url=url,
                        status=row.status,
                        confidence=row.confidence,
                        term_id=row.term_id,
                        platform=row.platform,
                    )
                )
        return out


def resolve_exposure(
    session: Session,
    crypto: Crypto,
    exposure_id: int,
    final_url: str,
    *,
    run_id: int | None,
    http_status: int | None,
    resolved_at: datetime | None = None,
) -> int:
    """Give a token exposure its real URL (merging into the case's exposure there); returns the surviving id.

    Inside the caller's transaction. The token is kept as `resolve` evidence on the surviving exposure.
    """
    row = session.get(Exposure, exposure_id, with_for_update=True)
    if row is None:
        raise LookupError(f"no exposure with id {exposure_id}")
    case = session.get(Case, row.case_id)
    assert case is not None  # the foreign key guarantees it
    cipher = crypto.for_case(case.key_id)
    token = cipher.decrypt(row.url_ct)
    canonical = canonical_url(final_url)
    candidates = crypto.index.candidates("url", canonical)
    other = session.scalar(
        select(Exposure)
        .where(Exposure.case_id == row.case_id, Exposure.url_idx.in_(candidates), Exposure.id != row.id)
        .with_for_update()
    )
    if other is None:
        row.url_ct = cipher.encrypt(final_url)
        row.canonical_url_ct = cipher.encrypt(canonical)
        row.url_idx = crypto.index("url", canonical)
        row.domain_ct = cipher.encrypt(domain_of(canonical))
        row.platform = platform_of(canonical)
        survivor = row
    else:
        _merge_into(session, row, other)
        survivor = other
    session.add(
        Evidence(
            exposure_id=survivor.id,
            run_id=run_id,
            purpose="resolve",
            http_status=http_status,
            fetched_at=resolved_at or utcnow(),
            text_sha256=None,
            outcome=RESOLVED,
            url_ct=cipher.encrypt(token),
        )
    )
    session.flush()
    rescore(session, survivor)
    return survivor.id


def _merge_into(session: Session, gone: Exposure, keep: Exposure) -> None:
    """Move everything of `gone` onto `keep`, keep the better evidence of both, then delete `gone`."""
    for table in (Sighting, Evidence, ExposureEvent):
        session.execute(update(table).where(table.exposure_id == gone.id).values(exposure_id=keep.id))
    _move_deliveries(session, gone.id, keep.id)
    session.execute(update(Exposure).where(Exposure.reupload_of_id == gone.id).values(reupload_of_id=keep.id))
    keep.first_seen = min(keep.first_seen, gone.first_seen)
    keep.last_seen = max(keep.last_seen, gone.last_seen)
    if CONFIDENCE_RANK.get(gone.confidence, -1) > CONFIDENCE_RANK.get(keep.confidence, -1):
        keep.confidence = gone.confidence
        keep.title_ct = gone.title_ct or keep.title_ct
        keep.snippet_ct = gone.snippet_ct or keep.snippet_ct
        keep.variant, keep.match_confidence = gone.variant, gone.match_confidence
        keep.match_level, keep.term_id = gone.match_level, gone.term_id or keep.term_id
    for name in ("title_ct", "snippet_ct", "published_at", "fingerprint", "context", "reupload_of_id"):
        if getattr(keep, name) is None and getattr(gone, name) is not None:
            setattr(keep, name, getattr(gone, name))
    if keep.first_run_id is None or (gone.first_run_id is not None and gone.first_run_id < keep.first_run_id):
        keep.first_run_id = gone.first_run_id
    # A decision taken on the token (confirmed, reported) is not lost by finding the post again.
    if keep.status == "new" and gone.status != "new":
        keep.status, keep.status_changed_at = gone.status, gone.status_changed_at
    session.flush()
    session.execute(delete(Exposure).where(Exposure.id == gone.id))


def _move_deliveries(session: Session, gone_id: int, keep_id: int) -> None:
    """Export items move over, except where `keep` already went out in that export or to that recipient."""
    kept = session.execute(
        select(ExportItem.export_id, ExportItem.recipient, ExportItem.only_new).where(
            ExportItem.exposure_id == keep_id
        )
    ).all()
    exports = {r[0] for r in kept}
    delivered_to = {r[1] for r in kept if r[2]}
    for item in session.scalars(select(ExportItem).where(ExportItem.exposure_id == gone_id)).all():
        if item.export_id in exports or (item.only_new and item.recipient in delivered_to):
            session.delete(item)
        else:
            item.exposure_id = keep_id
            exports.add(item.export_id)
            if item.only_new:
                delivered_to.add(item.recipient)


def redirect_tokens_of(store: Store, exposure_id: int) -> list[str]:
    """The redirect tokens that led to this exposure (its `resolve` evidence), oldest first."""
    with store.session() as session:
        row = session.get(Exposure, exposure_id)
        if row is None:
            return []
        case = session.get(Case, row.case_id)
        assert case is not None
        cipher = store.crypto.for_case(case.key_id)
        stored = session.scalars(
            select(Evidence.url_ct)
            .where(
                Evidence.exposure_id == exposure_id,
                Evidence.purpose == "resolve",
                Evidence.url_ct.is_not(None),
            )
            .order_by(Evidence.id)
        )
        return list(dict.fromkeys(cipher.decrypt(ct) for ct in stored if ct))
