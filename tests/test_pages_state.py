"""storage.targets_state on SQLite and PostgreSQL: target visit state, evidence rows, what to fetch."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from storage.cases import Consent, add_target, close_case, create_case
from storage.database import Store
from storage.errors import ValidationError
from storage.exposures import Observation, record_observation
from storage.lifecycle import StatusChange, mark
from storage.runs import start_run
from storage.targets_state import (
    KEEP,
    TargetUpdate,
    exposures_to_recheck,
    exposures_to_verify,
    list_evidence,
    record_evidence,
    target_states,
    update_target,
    update_targets,
)

CONSENT = Consent(statement="victim, signed form", recorded_by="advocate", recorded_at="2026-11-20")
T0 = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)
SHA = "a" * 64


def _exposure(
    store: Store,
    case_id: int,
    url: str,
    *,
    run_id: int | None,
    source: str = "searxng",
    confidence: str = "snippet",
) -> int:
    obs = Observation(
        case_id=case_id,
        url=url,
        canonical_url=url,
        domain="example.org",
        platform="web",
        title="t",
        snippet="s",
        confidence=confidence,
        source=source,
        seen_at=T0,
        run_id=run_id,
    )
    with store.session() as session:
        exposure_id, _ = record_observation(session, store.crypto, obs)
    return exposure_id


def test_visit_state_keeps_what_is_not_given(store: Store) -> None:
    target = add_target(store, "https://example.org/board/1", "web")
    [state] = target_states(store)
    assert (state.id, state.url, state.etag, state.last_outcome) == (
        target,
        "https://example.org/board/1",
        None,
        None,
    )

    update_target(
        store,
        target,
        outcome="ok",
        etag='"v1"',
        last_modified="Fri, 20 Nov 2026 03:00:00 GMT",
        text_sha256=SHA,
        checked_at=T0,
    )
    update_target(store, target, outcome="unreachable", error="the server did not answer")
    [state] = target_states(store)
    assert state.etag == '"v1"' and state.text_sha256 == SHA  # a failed visit keeps the validators
    assert state.last_modified == "Fri, 20 Nov 2026 03:00:00 GMT"
    assert (
        state.last_outcome == "unreachable"
        and state.last_checked_at is not None
        and state.last_checked_at > T0
    )

    update_target(store, target, outcome="ok", etag=None)
    assert target_states(store)[0].etag is None  # None clears, KEEP keeps


def test_the_newest_message_id_never_moves_backwards(store: Store) -> None:
    target = add_target(store, "https://t.me/s/hongnews", "telegram")
    update_targets(store, [TargetUpdate(target, "ok", last_message_id=58)])
    update_targets(store, [TargetUpdate(target, "ok", last_message_id=40)])
    assert target_states(store)[0].last_message_id == 58
    update_targets(store, [TargetUpdate(target, "unchanged", last_message_id=KEEP)])
    assert target_states(store)[0].last_message_id == 58


def test_updates_are_batched_and_skip_deleted_targets(store: Store) -> None:
    first = add_target(store, "https://example.org/a", "web")
    second = add_target(store, "https://example.org/b", "web")
    update_targets(
        store, [TargetUpdate(first, "ok"), TargetUpdate(9999, "ok"), TargetUpdate(second, "blocked")]
    )
    assert [s.last_outcome for s in target_states(store)] == ["ok", "blocked"]
    with pytest.raises(ValidationError):
        update_targets(store, [TargetUpdate(first, "x" * 33)])
    assert [s.last_outcome for s in target_states(store)] == ["ok", "blocked"]  # nothing written


def test_evidence_rows(store: Store) -> None:
    case_id = create_case(store, "사례", CONSENT)
    run_id = start_run(store, "pages")
    exposure = _exposure(store, case_id, "https://example.org/p/1", run_id=run_id)
    with store.session() as session:
        record_evidence(
            session,
            exposure,
            run_id=run_id,
            purpose="verify",
            http_status=200,
            text_sha256=SHA,
            outcome="confirmed",
            fetched_at=T0,
        )
        record_evidence(
            session,
            exposure,
            run_id=run_id,
            purpose="recheck",
            http_status=404,
            text_sha256=None,
            outcome="removed:http-404",
        )
    rows = list_evidence(store, exposure)
    assert [(e.purpose, e.http_status, e.outcome) for e in rows] == [
        ("verify", 200, "confirmed"),
        ("recheck", 404, "removed:http-404"),
    ]
    assert rows[0].fetched_at == T0 and rows[0].text_sha256 == SHA
    assert [e.purpose for e in list_evidence(store, exposure, "recheck")] == ["recheck"]
    for bad in ({"purpose": "screenshot"}, {"outcome": ""}, {"text_sha256": "abc"}):
        arguments: dict[str, Any] = {
            "run_id": run_id,
            "purpose": "verify",
            "http_status": 200,
            "text_sha256": SHA,
            "outcome": "confirmed",
            **bad,
        }
        with pytest.raises(ValidationError), store.session() as session:
            record_evidence(session, exposure, **arguments)


def test_only_this_runs_new_hits_from_verifying_sources_are_verified(store: Store) -> None:
    case_id = create_case(store, "사례", CONSENT)
    earlier, run_id = start_run(store, "nightly"), start_run(store, "nightly")
    wanted = _exposure(store, case_id, "https://example.org/new", run_id=run_id)
    _exposure(store, case_id, "https://example.org/old", run_id=earlier)  # found in an earlier run
    _exposure(store, case_id, "https://example.org/other-source", run_id=run_id, source="brave")
    _exposure(store, case_id, "https://example.org/already-page", run_id=run_id, confidence="page")
    dismissed = _exposure(store, case_id, "https://example.org/dismissed", run_id=run_id)
    mark(store, dismissed, StatusChange("dismissed", actor="advocate"))
    closed_case = create_case(store, "닫힌 사례", CONSENT)
    _exposure(store, closed_case, "https://example.org/closed", run_id=run_id)
    close_case(store, closed_case)

    found = exposures_to_verify(store, run_id, {"searxng"})
    assert [(e.id, e.url, e.confidence) for e in found] == [(wanted, "https://example.org/new", "snippet")]
    assert exposures_to_verify(store, run_id, set()) == []


def test_reported_and_removed_exposures_of_open_cases_are_rechecked(store: Store) -> None:
    case_id = create_case(store, "사례", CONSENT)
    reported = _exposure(store, case_id, "https://example.org/r", run_id=None)
    removed = _exposure(store, case_id, "https://example.org/x", run_id=None)
    _exposure(store, case_id, "https://example.org/n", run_id=None)  # new: nothing to re-check
    mark(store, reported, StatusChange("reported", actor="advocate"))
    mark(store, removed, StatusChange("reported", actor="advocate"))
    mark(store, removed, StatusChange("removed", actor="advocate"))
    assert [(e.id, e.status) for e in exposures_to_recheck(store)] == [
        (reported, "reported"),
        (removed, "removed"),
    ]
    close_case(store, case_id)
    assert exposures_to_recheck(store) == []
