"""A case with everything a case can have (terms, target, exposures, sightings, evidence, events, export),
for the purge and key-rotation tests."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from storage.cases import Consent, add_target, add_term, create_case
from storage.database import Store
from storage.exposures import Observation, record_observation
from storage.models import Case, Evidence, Export, ExportItem, ExposureEvent
from storage.runs import finish_run, start_run

CONSENT = Consent(statement="victim, signed form", recorded_by="advocate", recorded_at="2026-11-20")
CANARY = "퍼지캐너리박QX9"
OTHER_TERM = "다른사람이름"


def populate(store: Store, slug: str, label: str, term: str) -> int:
    """A case with everything a case can have: terms, a bound target, exposures, sightings, evidence,
    status events, an export of its own."""
    case_id = create_case(store, label, CONSENT, notes=f"{label} notes")
    term_id = add_term(store, case_id, term, context=["가나다"])
    add_target(store, f"https://t.me/s/{slug}chan", "telegram", case_id)
    run_id = start_run(store, "search")
    now = datetime.now(UTC)
    with store.session() as session:
        case = session.get(Case, case_id)
        assert case is not None
        key_id = case.key_id
        cipher = store.crypto.for_case(key_id)
        exposure_ids = []
        for i in range(3):
            url = f"https://forum.example/{slug}/{i}"
            eid, _ = record_observation(
                session,
                store.crypto,
                Observation(
                    case_id=case_id,
                    url=url,
                    canonical_url=url,
                    domain="forum.example",
                    platform="web",
                    title=f"{term} 영상 {i}",
                    snippet=f"... {term} ...",
                    confidence="snippet",
                    source="naver",
                    seen_at=now,
                    run_id=run_id,
                    query=term,
                    term_id=term_id,
                ),
            )
            exposure_ids.append(eid)
        session.add(
            Evidence(
                exposure_id=exposure_ids[0],
                run_id=run_id,
                purpose="verify",
                http_status=200,
                text_sha256="0" * 64,
                outcome="match",
            )
        )
        session.add(
            ExposureEvent(
                exposure_id=exposure_ids[0],
                from_status="new",
                to_status="reported",
                actor="advocate",
                channel="naver",
                note_ct=cipher.encrypt(f"reported {term}"),
            )
        )
        export = Export(
            format="csv",
            only_new=False,
            case_id=case_id,
            include_terms=False,
            count=3,
            path_ct=store.crypto.data.encrypt(f"/exports/{slug}.csv"),
        )
        session.add(export)
        session.flush()
        session.add_all([ExportItem(export_id=export.id, exposure_id=e) for e in exposure_ids])
    finish_run(store, run_id, "ok")
    return case_id


def key_path(store: Store) -> Path:
    """The store's key file (a store opened from a file always has one)."""
    path = store.crypto.keyring.path
    assert path is not None
    return path
