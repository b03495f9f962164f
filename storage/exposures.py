"""Exposures and sightings: each (case, canonical URL) is recorded once, every observation kept."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy import insert as insert_rows
from sqlalchemy.orm import Session

from storage.crypto import Cipher, Crypto
from storage.database import Store, dialect_insert
from storage.errors import NotFoundError, ValidationError
from storage.models import Case, Exposure, Sighting, Term, utcnow
from storage.scoring import Assessment, Signals, assess
from storage.triage import join_context, rescore, signals_for, split_context

CONFIDENCE_RANK = {"engine": 0, "snippet": 1, "page": 2}
EXPOSURE_STATUSES = ("new", "confirmed", "dismissed", "reported", "removed", "reappeared")
# The order of every list and export: most certain first; unscored rows (none after migration 0006) last.
BY_SCORE = (Exposure.score.desc().nulls_last(), Exposure.id)


@dataclass(frozen=True)
class Observation:
    """One sighting of a matching URL, as the crawler hands it to storage."""

    case_id: int
    url: str
    canonical_url: str
    domain: str
    platform: str
    title: str | None
    snippet: str | None
    confidence: str
    source: str
    seen_at: datetime
    run_id: int | None = None
    query: str | None = None
    rank: int | None = None
    variant: str | None = None
    match_confidence: float | None = None  # the matcher's confidence (0-1) of the best match
    match_level: str | None = None  # the matcher's level: high | low
    context: frozenset[str] = frozenset()  # second signals in the same text: case | keyword | generic
    term_id: int | None = None
    published_at: datetime | None = None
    fingerprint: str | None = None


@dataclass(frozen=True)
class ExposureView:
    id: int
    case_id: int
    case_label: str
    url: str
    canonical_url: str
    domain: str
    platform: str
    title: str | None
    snippet: str | None
    confidence: str
    variant: str | None
    score: float | None  # triage score 0-100 (storage.scoring)
    term_id: int | None
    term: str | None
    sources: tuple[str, ...]
    first_seen: datetime
    last_seen: datetime
    published_at: datetime | None
    status: str
    reupload_of_id: int | None
    tier: str | None = None
    reasons: tuple[str, ...] = ()
    match_confidence: float | None = None
    match_level: str | None = None


def record_observation(session: Session, crypto: Crypto, obs: Observation) -> tuple[int, bool]:
    """Insert the exposure if absent (race-free on both databases), then add the sighting.

    Returns (exposure id, whether this call created it). `first_seen` never changes; `last_seen`
    moves forward; confidence only ever goes up (engine < snippet < page).
    """
    if obs.confidence not in CONFIDENCE_RANK:
        raise ValidationError(f"confidence must be one of {', '.join(CONFIDENCE_RANK)}")
    case = session.get(Case, obs.case_id)
    if case is None:
        raise NotFoundError(f"no case with id {obs.case_id}")
    cipher = crypto.for_case(case.key_id)
    url_idx = crypto.index("url", obs.canonical_url)
    existing = _find(session, crypto, obs.case_id, obs.canonical_url)
    created = False
    if existing is None:
        values = _new_exposure(obs, url_idx, cipher)
        stmt = (
            dialect_insert(session, Exposure)
            .values(**values)
            .on_conflict_do_nothing(index_elements=["case_id", "url_idx"])
        )
        result = session.execute(stmt.returning(Exposure.id))
        new_id = result.scalar()
        if new_id is not None:
            created = True
            exposure_id = int(new_id)
        else:  # another writer won the race: fall through to the update path
            existing = _find(session, crypto, obs.case_id, obs.canonical_url)
            assert existing is not None
    if existing is not None:
        exposure_id = existing.id
        _merge(existing, obs, cipher.encrypt_opt)
    session.add(
        Sighting(
            exposure_id=exposure_id,
            run_id=obs.run_id,
            source=obs.source,
            query_ct=cipher.encrypt_opt(obs.query),
            rank=obs.rank,
            seen_at=obs.seen_at,
        )
    )
    # Every sighting is evidence: the score, tier and reasons follow it in the same transaction.
    row = existing if existing is not None else session.get(Exposure, exposure_id)
    if row is not None:
        rescore(session, row)
    return exposure_id, created


def record_observations(
    session: Session, crypto: Crypto, observations: Sequence[Observation]
) -> list[tuple[int, bool]]:
    """`record_observation` for a batch (one page of search results), with the same rows as a result:
    each case and its cipher looked up once, the exposures already known found in one query, the new
    ones inserted (scores computed from the batch, which holds all their evidence) in one executemany,
    the sightings in another, and each known exposure scored once. Returns (id, created) per observation.
    """
    for obs in observations:
        if obs.confidence not in CONFIDENCE_RANK:
            raise ValidationError(f"confidence must be one of {', '.join(CONFIDENCE_RANK)}")
    if not observations:
        return []
    ciphers = {}
    for case_id in sorted({obs.case_id for obs in observations}):
        case = session.get(Case, case_id)
        if case is None:
            raise NotFoundError(f"no case with id {case_id}")
        ciphers[case_id] = crypto.for_case(case.key_id)
    candidates = [crypto.index.candidates("url", obs.canonical_url) for obs in observations]
    known_rows = session.scalars(
        select(Exposure)
        .where(
            Exposure.case_id.in_(ciphers),
            Exposure.url_idx.in_({idx for group in candidates for idx in group}),
        )
        .with_for_update()
    ).all()
    known = {(row.case_id, row.url_idx): row for row in known_rows}
    keys = [(obs.case_id, group[0]) for obs, group in zip(observations, candidates, strict=True)]
    fresh: dict[tuple[int, str], int] = {}  # (case, url_idx) -> position of its first new observation
    for position, (obs, group) in enumerate(zip(observations, candidates, strict=True)):
        if not any((obs.case_id, idx) in known for idx in group):
            fresh.setdefault(keys[position], position)
    created_ids = _insert_new(session, [observations[p] for p in fresh.values()], list(fresh), ciphers)
    out: list[tuple[int, bool]] = []
    sightings: list[dict[str, object]] = []
    touched: dict[int, Exposure] = {}
    queries: dict[tuple[int, str], str] = {}  # one ciphertext per query of a case: a page shares it
    for position, (obs, group) in enumerate(zip(observations, candidates, strict=True)):
        cipher = ciphers[obs.case_id]
        row = next((known[(obs.case_id, idx)] for idx in group if (obs.case_id, idx) in known), None)
        if row is not None:
            _merge(row, obs, cipher.encrypt_opt)
            exposure_id, created = row.id, False
            touched[row.id] = row
        elif keys[position] in created_ids and fresh.get(keys[position]) == position:
            exposure_id, created = created_ids[keys[position]], True
        else:  # a repeat within the batch, or another writer won the race: the one-by-one path merges
            out.append(record_observation(session, crypto, obs))
            continue
        out.append((exposure_id, created))
        sightings.append(
            {
                "exposure_id": exposure_id,
                "run_id": obs.run_id,
                "source": obs.source,
                "query_ct": _query_ct(queries, cipher, obs),
                "rank": obs.rank,
                "seen_at": obs.seen_at,
            }
        )
    if sightings:
        session.execute(insert_rows(Sighting.__table__), sightings)  # type: ignore[arg-type]
    # Every sighting is evidence: each exposure known before the batch is scored again, once.
    for exposure_id in sorted(touched):
        rescore(session, touched[exposure_id])
    return out


def _query_ct(cache: dict[tuple[int, str], str], cipher: Cipher, obs: Observation) -> str | None:
    if obs.query is None:
        return None
    key = (obs.case_id, obs.query)
    if key not in cache:
        cache[key] = cipher.encrypt(obs.query)
    return cache[key]


def _insert_new(
    session: Session,
    observations: Sequence[Observation],
    keys: Sequence[tuple[int, str]],
    ciphers: Mapping[int, Cipher],
) -> dict[tuple[int, str], int]:
    """Insert new exposures (skipping any another writer inserted meanwhile): (case, url_idx) -> id.

    A new exposure's only evidence is this one sighting, so its score is computed here, as `rescore`
    would from the database, without reading it back.
    """
    if not observations:
        return {}
    term_ids = {obs.term_id for obs in observations if obs.term_id is not None}
    kinds = {
        int(i): str(k) for i, k in session.execute(select(Term.id, Term.kind).where(Term.id.in_(term_ids)))
    }
    values = []
    # A batch's new exposures mostly share their signals (a quiet night's engine-only results): the
    # same signals always score the same (`assess`), so each distinct one is scored once.
    scored: dict[Signals, Assessment] = {}
    for obs, (case_id, url_idx) in zip(observations, keys, strict=True):
        row = _new_exposure(obs, url_idx, ciphers[case_id])
        signals = signals_for(
            confidence=obs.confidence,
            variant=obs.variant,
            match_confidence=obs.match_confidence,
            level=obs.match_level,
            context=join_context(obs.context),
            term_kind=kinds.get(obs.term_id) if obs.term_id is not None else None,
            sources=[obs.source],
            verify_outcomes=[],
            reupload=False,
        )
        result = scored.get(signals)
        if result is None:
            result = scored[signals] = assess(signals)
        row.update(score=float(result.score), tier=result.tier, reasons=list(result.reasons))
        values.append(row)
    table = Exposure.__table__
    stmt = dialect_insert(session, table).on_conflict_do_nothing(index_elements=["case_id", "url_idx"])
    returned = session.execute(stmt.returning(table.c.id, table.c.case_id, table.c.url_idx), values)
    return {(int(case_id), str(url_idx)): int(new_id) for new_id, case_id, url_idx in returned}


def _new_exposure(obs: Observation, url_idx: str, cipher: Cipher) -> dict[str, object]:
    return {
        "case_id": obs.case_id,
        "url_idx": url_idx,
        "canonical_url_ct": cipher.encrypt(obs.canonical_url),
        "url_ct": cipher.encrypt(obs.url),
        "domain_ct": cipher.encrypt(obs.domain),
        "platform": obs.platform,
        "title_ct": cipher.encrypt_opt(obs.title),
        "snippet_ct": cipher.encrypt_opt(obs.snippet),
        "confidence": obs.confidence,
        "variant": obs.variant,
        "match_confidence": obs.match_confidence,
        "match_level": obs.match_level,
        "context": join_context(obs.context),
        "term_id": obs.term_id,
        "published_at": obs.published_at,
        "first_seen": obs.seen_at,
        "last_seen": obs.seen_at,
        "status": "new",
        "first_run_id": obs.run_id,
        "fingerprint": obs.fingerprint,
    }


def _find(session: Session, crypto: Crypto, case_id: int, canonical_url: str) -> Exposure | None:
    candidates = crypto.index.candidates("url", canonical_url)
    return session.scalar(
        select(Exposure)
        .where(Exposure.case_id == case_id, Exposure.url_idx.in_(candidates))
        .with_for_update()
    )


def _merge(row: Exposure, obs: Observation, encrypt: object) -> None:
    row.last_seen = max(row.last_seen, obs.seen_at)
    if CONFIDENCE_RANK[obs.confidence] > CONFIDENCE_RANK.get(row.confidence, -1):
        row.confidence = obs.confidence
        assert callable(encrypt)
        if obs.snippet:
            row.snippet_ct = encrypt(obs.snippet)
        if obs.title:
            row.title_ct = encrypt(obs.title)
        if obs.variant:
            _take_match(row, obs)
    elif (
        obs.confidence == row.confidence
        and obs.variant
        and obs.match_confidence is not None
        and (row.match_confidence is None or obs.match_confidence > row.match_confidence)
    ):
        _take_match(row, obs)  # same kind of evidence, a clearer match (an exact spelling after a respelling)
    # Context words seen beside the term in any text that showed it remain evidence.
    row.context = join_context(split_context(row.context) | obs.context)
    if obs.fingerprint and not row.fingerprint:
        row.fingerprint = obs.fingerprint


def _take_match(row: Exposure, obs: Observation) -> None:
    row.variant = obs.variant
    row.match_confidence = obs.match_confidence
    row.match_level = obs.match_level
    row.term_id = obs.term_id or row.term_id


def exposure_view(session: Session, crypto: Crypto, row: Exposure, case: Case) -> ExposureView:
    cipher = crypto.for_case(case.key_id)
    sources = tuple(
        sorted(set(session.scalars(select(Sighting.source).where(Sighting.exposure_id == row.id))))
    )
    term_text = None
    if row.term_id is not None:
        term = session.get(Term, row.term_id)
        if term is not None:
            term_text = cipher.decrypt(term.term_ct)
    return ExposureView(
        id=row.id,
        case_id=row.case_id,
        case_label=cipher.decrypt(case.label_ct),
        url=cipher.decrypt(row.url_ct),
        canonical_url=cipher.decrypt(row.canonical_url_ct),
        domain=cipher.decrypt(row.domain_ct),
        platform=row.platform,
        title=cipher.decrypt_opt(row.title_ct),
        snippet=cipher.decrypt_opt(row.snippet_ct),
        confidence=row.confidence,
        variant=row.variant,
        score=row.score,
        term_id=row.term_id,
        term=term_text,
        sources=sources,
        first_seen=row.first_seen,
        last_seen=row.last_seen,
        published_at=row.published_at,
        status=row.status,
        reupload_of_id=row.reupload_of_id,
        tier=row.tier,
        reasons=tuple(row.reasons or ()),
        match_confidence=row.match_confidence,
        match_level=row.match_level,
    )


def list_exposures(
    store: Store,
    case_id: int | None = None,
    status: str | None = None,
    ids: list[int] | None = None,
    tiers: Sequence[str] | None = None,
) -> list[ExposureView]:
    """Exposures, highest score first (then the oldest id first)."""
    if status is not None and status not in EXPOSURE_STATUSES:
        raise ValidationError(f"status must be one of {', '.join(EXPOSURE_STATUSES)}")
    with store.session() as session:
        if case_id is not None and session.get(Case, case_id) is None:
            raise NotFoundError(f"no case with id {case_id}")
        query = select(Exposure, Case).join(Case, Case.id == Exposure.case_id).order_by(*BY_SCORE)
        if case_id is not None:
            query = query.where(Exposure.case_id == case_id)
        if tiers is not None:
            query = query.where(Exposure.tier.in_(tiers))
        if status is not None:
            query = query.where(Exposure.status == status)
        if ids is not None:
            query = query.where(Exposure.id.in_(ids))
        return [exposure_view(session, store.crypto, row, case) for row, case in session.execute(query)]


def get_exposure(store: Store, exposure_id: int) -> ExposureView:
    found = list_exposures(store, ids=[exposure_id])
    if not found:
        raise NotFoundError(f"no exposure with id {exposure_id}")
    return found[0]


def count_by_case(store: Store) -> dict[int, dict[str, int]]:
    """{case id: {status: count}} without decrypting anything."""
    with store.session() as session:
        rows = session.execute(
            select(Exposure.case_id, Exposure.status, func.count()).group_by(
                Exposure.case_id, Exposure.status
            )
        )
        out: dict[int, dict[str, int]] = {}
        for case_id, status, count in rows:
            out.setdefault(case_id, {})[status] = count
        return out


def touch_now() -> datetime:
    return utcnow()
