"""`storage.redirects`: a token exposure takes its real URL, or merges into the case's exposure there,
keeping decisions, sightings and the token itself. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from storage.cases import Consent, create_case
from storage.database import Store
from storage.exposures import Observation, get_exposure, record_observation
from storage.lifecycle import StatusChange, history, mark
from storage.redirects import redirect_tokens_of, resolve_exposure, unresolved_tokens
from storage.urls import canonical_url, domain_of, platform_of

CONSENT = Consent(statement="victim, form", recorded_by="advocate", recorded_at="2026-11-20")
TOKEN = "http://openapi.naver.com/l?AAABtokenQZ"
POST = "https://blog.naver.com/someone/223"
SEEN = datetime(2026, 11, 23, 18, 0, tzinfo=UTC)


def _found(store: Store, case_id: int, url: str, source: str, seen: datetime) -> int:
    canonical = canonical_url(url)
    obs = Observation(
        case_id=case_id,
        url=url,
        canonical_url=canonical,
        domain=domain_of(canonical),
        platform=platform_of(canonical),
        title=None,
        snippet="홍길동 게시글",
        confidence="snippet",
        source=source,
        seen_at=seen,
    )
    with store.session() as session:
        return record_observation(session, store.crypto, obs)[0]


def test_token_merges_into_the_direct_exposure(store: Store) -> None:
    case_id = create_case(store, "c", CONSENT)
    token_id = _found(store, case_id, TOKEN, "naver", SEEN - timedelta(days=1))
    direct_id = _found(store, case_id, POST, "searxng", SEEN)
    mark(store, token_id, StatusChange("confirmed", actor="advocate"))
    assert [e.id for e in unresolved_tokens(store)] == [token_id]
    with store.session() as session:
        survivor = resolve_exposure(session, store.crypto, token_id, POST, run_id=None, http_status=302)
    assert survivor == direct_id
    merged = get_exposure(store, direct_id)
    assert merged.url == POST and merged.status == "confirmed"
    assert set(merged.sources) == {"naver", "searxng"}
    assert merged.first_seen == SEEN - timedelta(days=1)
    assert [e.to_status for e in history(store, direct_id)][-1] == "confirmed"
    assert redirect_tokens_of(store, direct_id) == [TOKEN]
    assert unresolved_tokens(store) == []
    with store.session() as session:
        from storage.models import Exposure

        assert session.get(Exposure, token_id) is None


def test_token_alone_takes_the_real_url(store: Store) -> None:
    case_id = create_case(store, "c", CONSENT)
    token_id = _found(store, case_id, TOKEN, "naver", SEEN)
    other_case = create_case(store, "d", CONSENT)
    _found(store, other_case, POST, "searxng", SEEN)  # another case's exposure is never merged into
    with store.session() as session:
        survivor = resolve_exposure(session, store.crypto, token_id, POST, run_id=None, http_status=302)
    assert survivor == token_id
    view = get_exposure(store, token_id)
    assert (view.url, view.platform) == (POST, "naver_blog")
    assert redirect_tokens_of(store, token_id) == [TOKEN]
    # Found directly later: the same exposure, not a second one.
    assert _found(store, case_id, POST, "searxng", SEEN + timedelta(hours=1)) == token_id
