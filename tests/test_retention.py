"""Retention: closed cases purged `retention_days` after closing, announced a week ahead, never early."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from storage import retention
from storage.audit import list_records
from storage.cases import Consent, add_term, close_case, create_case, list_cases, reopen_case
from storage.database import Store
from storage.models import Case
from storage.purge import purge_case
from tests.support.home import JikimiHome

CONSENT = Consent(statement="victim, signed form", recorded_by="advocate", recorded_at="2026-11-20")
NOW = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)


def _closed(store: Store, label: str, days_ago: float) -> int:
    case_id = create_case(store, label, CONSENT)
    add_term(store, case_id, f"{label} 이름")
    close_case(store, case_id)
    with store.session() as session:
        case = session.get(Case, case_id)
        assert case is not None
        case.closed_at = NOW - timedelta(days=days_ago)
    return case_id


def test_purge_due_takes_only_cases_past_retention(store: Store) -> None:
    old = _closed(store, "old", 31)
    recent = _closed(store, "recent", 29)
    open_case = create_case(store, "open", CONSENT)
    reports = retention.purge_due(store, 30, now=NOW)
    assert [r.case_id for r in reports] == [old]
    assert reports[0].key_removed
    assert {c.id for c in list_cases(store)} == {recent, open_case}
    [last] = list_records(store, limit=1)
    assert (last.action, last.case_id, last.actor) == ("retention.purge", old, retention.DEFAULT_ACTOR)


@pytest.mark.parametrize("days", [0, -1])
def test_retention_off_purges_nothing(store: Store, days: int) -> None:
    case_id = _closed(store, "ancient", 3650)
    assert retention.purge_due(store, days, now=NOW) == []
    assert retention.notices(store, days, "Asia/Seoul", now=NOW) == []
    assert [c.id for c in list_cases(store)] == [case_id]


def test_a_reopened_case_is_not_purged(store: Store) -> None:
    case_id = _closed(store, "reopened", 40)
    reopen_case(store, case_id)
    assert retention.purge_due(store, 30, now=NOW) == []
    assert [c.id for c in list_cases(store)] == [case_id]


def test_a_case_reopened_after_listing_is_skipped(store: Store) -> None:
    """The closed-since check runs again inside the purge transaction."""
    case_id = _closed(store, "race", 40)
    reopen_case(store, case_id)
    cutoff = NOW - timedelta(days=30)
    assert purge_case(store, case_id, "x", closed_before=cutoff) is None
    assert [c.id for c in list_cases(store)] == [case_id]


def test_notices_a_week_ahead_and_for_overdue_cases(store: Store) -> None:
    soon = _closed(store, "soon", 25)  # purged in 5 days
    later = _closed(store, "later", 10)  # in 20 days: not yet announced
    overdue = _closed(store, "overdue", 32)
    lines = retention.notices(store, 30, "Asia/Seoul", now=NOW)
    assert len(lines) == 2
    assert f"case #{overdue} is past its retention date" in lines[0]
    # 2026-11-06 03:00 UTC + 30 days = 2026-12-06 03:00 UTC = 12:00 in Seoul
    assert lines[1] == f"case #{soon} will be purged on 2026-12-06 (closed 25 days ago)"
    assert all(f"#{later} " not in line for line in lines)
    assert [s.case_id for s in retention.upcoming(store, 30, now=NOW)] == [soon]
    assert [s.case_id for s in retention.due(store, 30, now=NOW)] == [overdue]


def test_notice_dates_use_the_team_time_zone() -> None:
    item = retention.ScheduledPurge(
        7, datetime(2026, 11, 1, 16, 0, tzinfo=UTC), datetime(2026, 12, 1, 16, 0, tzinfo=UTC)
    )
    now = datetime(2026, 11, 28, tzinfo=UTC)
    assert retention.notice_lines([item], now, "Asia/Seoul") == [
        "case #7 will be purged on 2026-12-02 (closed 26 days ago)"
    ]
    assert retention.notice_lines([item], now, "UTC") == [
        "case #7 will be purged on 2026-12-01 (closed 26 days ago)"
    ]


def _age_case(home: JikimiHome, case_id: int, days: int) -> None:
    from jikimi.config import load_settings
    from storage.database import open_store
    from storage.keyring import load_keyring

    settings = load_settings()
    st = open_store(settings.database_url, load_keyring(settings.key_file))
    with st.session() as session:
        case = session.get(Case, case_id)
        assert case is not None
        case.closed_at = datetime.now(UTC) - timedelta(days=days)
    st.close()


def test_status_announces_and_retention_run_purges(home: JikimiHome, database_url: str) -> None:
    home.write_config(f'database_url = "{database_url}"\nretention_days = 30\n')
    home.ok("init")
    soon = int(home.ok("case", "add", "--label", "곧삭제", "--consent", "victim"))
    due = int(home.ok("case", "add", "--label", "삭제대상", "--consent", "victim"))
    keep = int(home.ok("case", "add", "--label", "열린사건", "--consent", "victim"))
    for case_id, days in ((soon, 26), (due, 31)):
        home.ok("case", "close", str(case_id))
        _age_case(home, case_id, days)
    out = home.ok("status")
    assert f"case #{soon} will be purged on" in out and "(closed 26 days ago)" in out
    assert f"case #{due} is past its retention date" in out
    assert "곧삭제" not in out
    assert "purged" in home.ok("retention", "run")
    import json

    assert [c["id"] for c in json.loads(home.ok("case", "list", "--json"))] == [soon, keep]
    assert "no case is due" in home.ok("retention", "run")
    listed = json.loads(home.ok("retention", "list", "--json"))
    assert [i["case_id"] for i in listed] == [soon]


def test_retention_run_when_off(home: JikimiHome) -> None:
    home.ok("init")
    assert "retention is off" in home.ok("retention", "run")
