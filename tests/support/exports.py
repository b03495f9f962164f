"""A store seeded with a case, a handle term and exposures, for the export tests."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from storage.cases import Consent, add_term, create_case
from storage.database import Store
from storage.exposures import Observation, record_observation

CONSENT = Consent(
    statement="victim, in person, signed form", recorded_by="advocate", recorded_at="2026-11-20"
)
# A handle found through a disguised spelling: its text is in no title, snippet or URL, so any
# occurrence in a file can only come from the term column.
CANARY = "zq_canary_handle_7781"
T0 = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)


def seed_case(store: Store, label: str = "사건 A", term: str = CANARY) -> tuple[int, int]:
    case_id = create_case(store, label, CONSENT)
    term_id = add_term(store, case_id, term, "handle")
    return case_id, term_id


def add_exposure(
    store: Store, case_id: int, url: str, *, term_id: int | None = None, seen: datetime = T0, **kw: Any
) -> int:
    values: dict[str, Any] = {
        "case_id": case_id,
        "url": url,
        "canonical_url": url,
        "domain": url.split("/")[2],
        "platform": "web",
        "title": "홍길동 영상 유출",
        "snippet": "지인능욕 게시물",
        "confidence": "snippet",
        "source": "naver",
        "seen_at": seen,
        "term_id": term_id,
        # As the matcher describes "홍길동 ... 지인능욕": exact, high, an exploitation keyword beside it.
        "variant": "exact",
        "match_confidence": 1.0,
        "match_level": "high",
        "context": frozenset({"keyword"}),
    }
    values.update(kw)
    with store.session() as s:
        exposure_id, _ = record_observation(s, store.crypto, Observation(**values))
    return exposure_id
