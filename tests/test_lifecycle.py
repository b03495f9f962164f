"""Exposure status lifecycle: every allowed and refused move, its event, bulk moves, re-upload links."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from matching.fingerprint import fingerprint
from storage.cases import Consent, create_case
from storage.database import Store
from storage.errors import NotFoundError, ValidationError
from storage.exposures import EXPOSURE_STATUSES, Observation, get_exposure, record_observation
from storage.lifecycle import (
    REUPLOAD_CHANNEL,
    TRANSITIONS,
    StatusChange,
    allowed,
    fingerprint_key,
    history,
    link_reupload,
    mark,
    mark_case,
    reuploads_of,
)

CONSENT = Consent(statement="victim, signed form", recorded_by="advocate", recorded_at="2026-11-20")
T0 = datetime(2026, 11, 1, 18, 0, tzinfo=UTC)
# How to reach each status from `new` with advocate moves.
PATH: dict[str, list[str]] = {
    "new": [],
    "confirmed": ["confirmed"],
    "dismissed": ["dismissed"],
    "reported": ["reported"],
    "removed": ["reported", "removed"],
    "reappeared": ["reported", "removed", "reappeared"],
}
EXPECTED_ALLOWED = {
    ("new", "confirmed"),
    ("new", "dismissed"),
    ("new", "reported"),
    ("confirmed", "reported"),
    ("confirmed", "dismissed"),
    ("reported", "removed"),
    ("reported", "reported"),
    ("removed", "reappeared"),
    ("reappeared", "reported"),
    ("reappeared", "dismissed"),
    # Any decision can be reopened (with a reason): issue 12 item 3.
    ("confirmed", "new"),
    ("dismissed", "new"),
    ("reported", "new"),
    ("removed", "new"),
    ("reappeared", "new"),
}
TEXT = (
    "게시물 조회수 1532 댓글 44 작성일 2026.11.20 이 글은 예시 문장으로 이루어진 텍스트이며 실제 내용과 "
    "무관합니다. 여러 문장이 이어지고 다양한 단어가 섞여 있어서 지문을 만들기에 충분한 길이를 가집니다."
)
OTHER_TEXT = (
    "Completely unrelated weather report: light rain in the morning, clearing skies by the afternoon, "
    "with temperatures between four and eleven degrees and a gentle north-westerly wind."
)


def _exposure(store: Store, case_id: int, url: str, *, seen: datetime = T0, platform: str = "web") -> int:
    obs = Observation(
        case_id=case_id,
        url=url,
        canonical_url=url,
        domain="forum.example",
        platform=platform,
        title="t",
        snippet="s",
        confidence="snippet",
        source="naver",
        seen_at=seen,
    )
    with store.session() as s:
        exposure_id, _ = record_observation(s, store.crypto, obs)
    return exposure_id


def _walk(store: Store, exposure_id: int, path: list[str], start: datetime) -> datetime:
    at = start
    for status in path:
        at += timedelta(hours=1)
        mark(store, exposure_id, StatusChange(status, actor="walker", at=at))
    return at


def test_transition_table_is_the_documented_one() -> None:
    table = {(a, b) for a, targets in TRANSITIONS.items() for b in targets}
    assert table == EXPECTED_ALLOWED
    assert set(TRANSITIONS) == set(EXPOSURE_STATUSES)


@pytest.mark.parametrize("from_status", list(PATH))
def test_every_move_from_a_status(store: Store, from_status: str) -> None:
    case_id = create_case(store, "c", CONSENT)
    for n, to_status in enumerate(EXPOSURE_STATUSES):
        exposure_id = _exposure(store, case_id, f"https://forum.example/{from_status}/{n}")
        last = _walk(store, exposure_id, PATH[from_status], T0)
        before = history(store, exposure_id)
        at = last + timedelta(minutes=30)
        if (from_status, to_status) in EXPECTED_ALLOWED:
            assert allowed(from_status, to_status)
            event = mark(
                store,
                exposure_id,
                StatusChange(to_status, actor="advocate-kim", at=at, channel="kcsc", note="메모"),
            )
            assert (event.from_status, event.to_status, event.actor, event.at) == (
                from_status,
                to_status,
                "advocate-kim",
                at,
            )
            events = history(store, exposure_id)
            assert len(events) == len(before) + 1 and events[-1] == event
            assert events[-1].channel == "kcsc" and events[-1].note == "메모"
            assert get_exposure(store, exposure_id).status == to_status
        else:
            assert not allowed(from_status, to_status)
            with pytest.raises(ValidationError) as err:
                mark(store, exposure_id, StatusChange(to_status, actor="advocate-kim", at=at))
            assert repr(from_status) in str(err.value) and repr(to_status) in str(err.value)
            assert history(store, exposure_id) == before
            assert get_exposure(store, exposure_id).status == from_status


def test_event_records_recipient_channel_and_verification_encrypted(store: Store) -> None:
    case_id = create_case(store, "c", CONSENT)
    exposure_id = _exposure(store, case_id, "https://smallsite.example/post/1")
    reported = mark(
        store,
        exposure_id,
        StatusChange(
            "reported",
            actor="a",
            channel="email:abuse@smallsite.example",
            note="보낸 메일 사본 보관",
            at=T0 + timedelta(hours=1),
        ),
    )
    assert (reported.channel, reported.recipient) == ("email", "abuse@smallsite.example")
    seen_gone = T0 + timedelta(hours=20)
    removed = mark(
        store,
        exposure_id,
        StatusChange("removed", actor="a", at=T0 + timedelta(hours=30), verified_at=seen_gone),
    )
    assert removed.verified_at == seen_gone and removed.at == T0 + timedelta(hours=30)
    with store.engine.connect() as conn:
        raw = " ".join(str(v) for row in conn.execute(sa.text("select * from exposure_events")) for v in row)
        row = conn.execute(sa.text("select status, status_changed_at from exposures")).one()
    assert "smallsite" not in raw and "메일" not in raw
    assert row[0] == "removed"


def test_removed_defaults_verification_to_the_event_time(store: Store) -> None:
    case_id = create_case(store, "c", CONSENT)
    exposure_id = _exposure(store, case_id, "https://forum.example/1")
    mark(store, exposure_id, StatusChange("reported", actor="a", at=T0 + timedelta(hours=1)))
    event = mark(store, exposure_id, StatusChange("removed", actor="a", at=T0 + timedelta(hours=5)))
    assert event.verified_at == T0 + timedelta(hours=5)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"actor": ""}, "actor"),
        ({"actor": "a", "channel": "naver report form"}, "channel"),
        ({"actor": "a", "note": "x" * 2001}, "note"),
        ({"actor": "a", "at": datetime(2026, 11, 2, 10, 0)}, "time zone"),
        ({"actor": "a", "at": datetime.now(UTC) + timedelta(days=2)}, "future"),
        ({"actor": "a", "at": T0 - timedelta(days=1), "verified_at": T0}, "verified at only applies"),
        ({"actor": "a", "channel": "email:x@a.example", "recipient": "y@b.example"}, "address"),
    ],
)
def test_bad_input_refused_and_nothing_written(store: Store, kwargs: dict[str, Any], message: str) -> None:
    case_id = create_case(store, "c", CONSENT)
    exposure_id = _exposure(store, case_id, "https://forum.example/1")
    with pytest.raises(ValidationError, match=message):
        mark(store, exposure_id, StatusChange("reported", **kwargs))
    assert history(store, exposure_id) == []


def test_event_before_the_last_change_refused(store: Store) -> None:
    case_id = create_case(store, "c", CONSENT)
    exposure_id = _exposure(store, case_id, "https://forum.example/1")
    mark(store, exposure_id, StatusChange("reported", actor="a", at=T0 + timedelta(hours=5)))
    with pytest.raises(ValidationError, match="before the last status change"):
        mark(store, exposure_id, StatusChange("removed", actor="a", at=T0 + timedelta(hours=4)))
    with pytest.raises(ValidationError, match="before the last status change"):
        mark(
            store, exposure_id, StatusChange("removed", actor="a", at=T0 + timedelta(hours=6), verified_at=T0)
        )


def test_unknown_exposure_and_status(store: Store) -> None:
    with pytest.raises(NotFoundError):
        mark(store, 999, StatusChange("confirmed", actor="a"))
    case_id = create_case(store, "c", CONSENT)
    exposure_id = _exposure(store, case_id, "https://forum.example/1")
    with pytest.raises(ValidationError, match="status must be one of"):
        mark(store, exposure_id, StatusChange("deleted", actor="a"))


def test_dismissed_survives_a_new_sighting_and_only_a_reasoned_reopen_moves_it(store: Store) -> None:
    case_id = create_case(store, "c", CONSENT)
    exposure_id = _exposure(store, case_id, "https://forum.example/1")
    mark(store, exposure_id, StatusChange("dismissed", actor="a", at=T0 + timedelta(hours=1)))
    _exposure(store, case_id, "https://forum.example/1", seen=T0 + timedelta(days=3))
    assert get_exposure(store, exposure_id).status == "dismissed"
    for status in EXPOSURE_STATUSES:
        with pytest.raises(ValidationError):
            mark(store, exposure_id, StatusChange(status, actor="a"))  # `new` too: a reopen needs a reason
    mark(store, exposure_id, StatusChange("new", actor="a", note="wrongly dismissed"))
    assert get_exposure(store, exposure_id).status == "new"


def test_mark_case_moves_only_matching_exposures_in_one_go(store: Store) -> None:
    case_id = create_case(store, "c", CONSENT)
    other_case = create_case(store, "d", CONSENT)
    a = _exposure(store, case_id, "https://forum.example/a", platform="naver_blog")
    b = _exposure(store, case_id, "https://forum.example/b", platform="x")
    c = _exposure(store, case_id, "https://forum.example/c", platform="x")
    d = _exposure(store, other_case, "https://forum.example/d", platform="x")
    mark(store, c, StatusChange("dismissed", actor="a", at=T0 + timedelta(hours=1)))
    at = T0 + timedelta(hours=2)
    changed = mark_case(
        store, case_id, "new", StatusChange("confirmed", actor="team-lee", at=at, note="일괄 확인")
    )
    assert changed == [a, b]
    for exposure_id in (a, b):
        [event] = history(store, exposure_id)
        assert (event.from_status, event.to_status, event.actor, event.at, event.note) == (
            "new",
            "confirmed",
            "team-lee",
            at,
            "일괄 확인",
        )
    assert get_exposure(store, c).status == "dismissed" and get_exposure(store, d).status == "new"
    reported = mark_case(
        store,
        case_id,
        "confirmed",
        StatusChange("reported", actor="t", channel="x-report-form", at=T0 + timedelta(hours=3)),
        platform="x",
    )
    assert reported == [b] and get_exposure(store, a).status == "confirmed"
    assert mark_case(store, case_id, "confirmed", StatusChange("reported", actor="t"), ids=[a]) == [a]


def test_mark_case_is_all_or_nothing(store: Store) -> None:
    case_id = create_case(store, "c", CONSENT)
    a = _exposure(store, case_id, "https://forum.example/a")
    b = _exposure(store, case_id, "https://forum.example/b")
    mark(store, b, StatusChange("confirmed", actor="a", at=T0 + timedelta(hours=5)))
    mark_case(
        store, case_id, "new", StatusChange("confirmed", actor="a", at=T0 + timedelta(hours=1))
    )  # only a
    # b's last change is later than the bulk time: the whole batch is refused, a included.
    with pytest.raises(ValidationError, match=f"exposure {b}"):
        mark_case(
            store, case_id, "confirmed", StatusChange("reported", actor="a", at=T0 + timedelta(hours=2))
        )
    assert get_exposure(store, a).status == "confirmed" and len(history(store, a)) == 1
    with pytest.raises(ValidationError, match="cannot change an exposure from 'confirmed' to 'removed'"):
        mark_case(store, case_id, "confirmed", StatusChange("removed", actor="a"))
    with pytest.raises(ValidationError, match="not in case"):
        mark_case(store, case_id, "confirmed", StatusChange("reported", actor="a"), ids=[a, 999])
    with pytest.raises(NotFoundError):
        mark_case(store, 999, "new", StatusChange("confirmed", actor="a"))


def _removed_with_fingerprint(store: Store, case_id: int, url: str, text: str) -> int:
    exposure_id = _exposure(store, case_id, url)
    mark(store, exposure_id, StatusChange("reported", actor="a", at=T0 + timedelta(hours=1)))
    mark(store, exposure_id, StatusChange("removed", actor="a", at=T0 + timedelta(hours=9)))
    with store.session() as s:
        assert (
            link_reupload(s, store.crypto, exposure_id, fingerprint(text, fingerprint_key(store.crypto)))
            is None
        )
    return exposure_id


def test_reupload_linked_to_the_removed_original(store: Store) -> None:
    case_id = create_case(store, "c", CONSENT)
    key = fingerprint_key(store.crypto)
    original = _removed_with_fingerprint(store, case_id, "https://forum.example/orig", TEXT)
    copy_text = TEXT.replace("1532", "88").replace("44", "3").replace("2026.11.20", "2026.12.01")
    copy = _exposure(store, case_id, "https://mirror.example/copy", seen=T0 + timedelta(days=2))
    with store.session() as s:
        assert link_reupload(s, store.crypto, copy, fingerprint(copy_text, key)) == original
    view = get_exposure(store, copy)
    assert view.reupload_of_id == original and view.status == "reappeared"
    [event] = history(store, copy)
    assert (event.from_status, event.to_status, event.channel) == ("new", "reappeared", REUPLOAD_CHANNEL)
    assert event.note is not None and f"exposure {original}" in event.note
    assert reuploads_of(store, original) == [copy]
    # Idempotent, and a re-upload can be reported straight away.
    with store.session() as s:
        assert link_reupload(s, store.crypto, copy, fingerprint(copy_text, key)) == original
    assert len(history(store, copy)) == 1
    mark(store, copy, StatusChange("reported", actor="a"))


def test_far_text_other_case_or_open_original_not_linked(store: Store) -> None:
    case_id = create_case(store, "c", CONSENT)
    other_case = create_case(store, "d", CONSENT)
    key = fingerprint_key(store.crypto)
    _removed_with_fingerprint(store, case_id, "https://forum.example/orig", TEXT)
    still_open = _exposure(store, case_id, "https://forum.example/open")
    with store.session() as s:
        link_reupload(s, store.crypto, still_open, fingerprint(OTHER_TEXT, key))
    far = _exposure(store, case_id, "https://mirror.example/far")
    elsewhere = _exposure(store, other_case, "https://mirror.example/same-text")
    near_open = _exposure(store, case_id, "https://mirror.example/near-open")
    with store.session() as s:
        assert link_reupload(s, store.crypto, far, fingerprint(OTHER_TEXT, key)) is None
        assert link_reupload(s, store.crypto, elsewhere, fingerprint(TEXT, key)) is None
        # near an exposure that is open (not removed): a mirror, not a re-upload
        assert link_reupload(s, store.crypto, near_open, fingerprint(OTHER_TEXT + " ", key)) is None
    for exposure_id in (far, elsewhere, near_open):
        view = get_exposure(store, exposure_id)
        assert view.reupload_of_id is None and view.status == "new"
    with store.engine.connect() as conn:
        stored = conn.execute(sa.text(f"select fingerprint from exposures where id = {far}")).scalar()
    assert stored == fingerprint(OTHER_TEXT, key)


def test_dismissed_exposure_never_raised_by_a_reupload_link(store: Store) -> None:
    case_id = create_case(store, "c", CONSENT)
    key = fingerprint_key(store.crypto)
    _removed_with_fingerprint(store, case_id, "https://forum.example/orig", TEXT)
    dismissed = _exposure(store, case_id, "https://mirror.example/x")
    mark(store, dismissed, StatusChange("dismissed", actor="a"))
    with store.session() as s:
        assert link_reupload(s, store.crypto, dismissed, fingerprint(TEXT, key)) is None
    assert get_exposure(store, dismissed).status == "dismissed"


def test_reupload_link_refuses_a_malformed_fingerprint(store: Store) -> None:
    case_id = create_case(store, "c", CONSENT)
    exposure_id = _exposure(store, case_id, "https://forum.example/1")
    with store.session() as s, pytest.raises(ValidationError, match="hex"):
        link_reupload(s, store.crypto, exposure_id, "not-a-fingerprint")


def test_changes_are_audited_in_the_same_transaction(store: Store) -> None:
    from storage.audit import list_records, verify

    case_id = create_case(store, "c", CONSENT)
    a = _exposure(store, case_id, "https://forum.example/a")
    b = _exposure(store, case_id, "https://forum.example/b")
    mark(
        store,
        a,
        StatusChange(
            "reported", actor="kim", channel="email:abuse@forum.example", at=T0 + timedelta(hours=1)
        ),
    )
    mark_case(store, case_id, "new", StatusChange("dismissed", actor="lee", at=T0 + timedelta(hours=2)))
    with pytest.raises(ValidationError):
        mark(store, a, StatusChange("confirmed", actor="kim"))  # refused: no audit record either
    with pytest.raises(ValidationError, match="platform"):
        mark_case(store, case_id, "new", StatusChange("confirmed", actor="lee"), platform="Naver Blog")
    bulk, single = list_records(store, case_id=case_id)[:2]
    assert (single.action, single.actor, single.obj_type, single.obj_id) == (
        "exposure.mark",
        "kim",
        "exposure",
        a,
    )
    change_set = single.details.pop("change_set")  # the id `exposure undo` takes
    assert isinstance(change_set, str) and change_set
    assert single.details == {"from": "new", "to": "reported", "channel": "email"}  # the address stays out
    assert (bulk.action, bulk.actor, bulk.details["count"], bulk.details["ids"]) == (
        "exposure.mark_case",
        "lee",
        1,
        [b],
    )
    assert len([r for r in list_records(store, case_id=case_id) if r.action.startswith("exposure.")]) == 2
    assert verify(store).ok


def test_concurrent_marks_record_one_change(store: Store) -> None:
    import threading

    case_id = create_case(store, "c", CONSENT)
    for n in range(5):
        exposure_id = _exposure(store, case_id, f"https://forum.example/race/{n}")
        barrier = threading.Barrier(2)
        outcomes: list[str] = []

        def advocate(
            name: str,
            exposure_id: int = exposure_id,
            barrier: threading.Barrier = barrier,
            outcomes: list[str] = outcomes,
        ) -> None:
            barrier.wait()
            try:
                mark(store, exposure_id, StatusChange("confirmed", actor=name))
                outcomes.append("ok")
            except ValidationError:
                outcomes.append("refused")

        threads = [threading.Thread(target=advocate, args=(name,)) for name in ("kim", "lee")]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert sorted(outcomes) == ["ok", "refused"]
        assert [e.to_status for e in history(store, exposure_id)] == ["confirmed"]
