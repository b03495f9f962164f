"""Takedown statistics on a fixture history whose answers were worked out by hand."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from matching.fingerprint import fingerprint
from storage.cases import Consent, create_case
from storage.database import Store
from storage.errors import NotFoundError
from storage.exposures import Observation, record_observation
from storage.lifecycle import StatusChange, fingerprint_key, link_reupload, mark
from storage.stats import (
    ALL_PLATFORMS,
    StatusEvent,
    build_report,
    new_per_night,
    percentile,
    report_to_dict,
    takedown_by_platform,
    takedown_times,
)

NOW = datetime(2026, 12, 1, 0, 0, tzinfo=UTC)
T0 = NOW - timedelta(days=20)
KST = ZoneInfo("Asia/Seoul")


def _h(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def _ev(
    exposure_id: int, platform: str, status: str, at: datetime, verified: datetime | None = None
) -> StatusEvent:
    return StatusEvent(exposure_id, platform, status, at, verified)


# naver: removals after 10, 30 (re-reported at 5 h: the clock keeps running), 60 (verified at 60 h,
# recorded at 100 h) and 200 hours; two reports still open, 50 and 10 hours old.
# x: one exposure removed after 5 h, back, reported again and removed after 24 h; one dismissed.
HISTORY = [
    _ev(1, "naver", "confirmed", _h(-1)),
    _ev(1, "naver", "reported", _h(0)),
    _ev(1, "naver", "removed", _h(10)),
    _ev(2, "naver", "reported", _h(0)),
    _ev(2, "naver", "reported", _h(5)),
    _ev(2, "naver", "removed", _h(30)),
    _ev(3, "naver", "reported", _h(0)),
    _ev(3, "naver", "removed", _h(100), verified=_h(60)),
    _ev(4, "naver", "reported", _h(0)),
    _ev(4, "naver", "removed", _h(200)),
    _ev(5, "naver", "reported", NOW - timedelta(hours=50)),
    _ev(6, "naver", "reported", NOW - timedelta(hours=10)),
    _ev(7, "x", "reported", _h(0)),
    _ev(7, "x", "removed", _h(5)),
    _ev(7, "x", "reappeared", _h(90)),
    _ev(7, "x", "reported", _h(100)),
    _ev(7, "x", "removed", _h(124)),
    _ev(8, "x", "confirmed", _h(1)),
    _ev(8, "x", "dismissed", _h(2)),
]


def test_naver_figures_by_hand() -> None:
    stats = takedown_times([e for e in HISTORY if e.platform == "naver"], now=NOW, platform="naver")
    # durations 10, 30, 60, 200: median (30 + 60) / 2; p90 at rank 0.9 * 3 = 2.7: 60 + 0.7 * 140
    assert stats.removed == 4 and stats.reports == 6 and stats.open == 2
    assert stats.median_hours == pytest.approx(45.0)
    assert stats.p90_hours == pytest.approx(158.0)
    # 24 h: decided = 4 removed + 1 open older than 24 h; removed within: only 10 h -> 1/5
    # 48 h: same 5 decided; within: 10 and 30 -> 2/5.  7 days: no open report is that old -> 3/4
    assert stats.within == {24: pytest.approx(0.2), 48: pytest.approx(0.4), 168: pytest.approx(0.75)}
    assert stats.open_ages_hours == pytest.approx((50.0, 10.0))


def test_x_figures_by_hand_with_a_reappearance() -> None:
    stats = takedown_times([e for e in HISTORY if e.platform == "x"], now=NOW, platform="x")
    # two episodes of exposure 7: 5 h and 24 h (24 counts as within 24 h); exposure 8 was never reported
    assert (stats.reports, stats.removed, stats.open) == (2, 2, 0)
    assert stats.median_hours == pytest.approx(14.5)
    assert stats.p90_hours == pytest.approx(22.1)
    assert stats.within == {24: 1.0, 48: 1.0, 168: 1.0}


def test_all_platforms_together() -> None:
    by_platform = takedown_by_platform(HISTORY, now=NOW)
    assert [s.platform for s in by_platform] == ["naver", "x", ALL_PLATFORMS]
    total = by_platform[-1]
    # durations 5, 10, 24, 30, 60, 200: median (24 + 30) / 2; p90 at rank 4.5: 60 + 0.5 * 140
    assert total.median_hours == pytest.approx(27.0)
    assert total.p90_hours == pytest.approx(130.0)
    assert total.within[24] == pytest.approx(3 / 7)
    assert (total.reports, total.removed, total.open) == (8, 6, 2)


def test_no_reports_no_figures() -> None:
    stats = takedown_times([_ev(1, "web", "confirmed", _h(0))], now=NOW)
    assert stats.reports == 0 and stats.median_hours is None and stats.p90_hours is None
    assert stats.within == {24: None, 48: None, 168: None}
    assert takedown_by_platform([], now=NOW)[-1].reports == 0


def test_a_young_open_report_is_not_counted_against_a_horizon() -> None:
    stats = takedown_times([_ev(1, "web", "reported", NOW - timedelta(hours=3))], now=NOW)
    assert stats.within == {24: None, 48: None, 168: None} and stats.open_ages_hours == (3.0,)


@pytest.mark.parametrize(
    ("values", "q", "expected"),
    [([7.0], 0.9, 7.0), ([1.0, 2.0], 0.5, 1.5), ([4.0, 1.0, 3.0, 2.0], 0.25, 1.75), ([1.0, 9.0], 1.0, 9.0)],
)
def test_percentile(values: list[float], q: float, expected: float) -> None:
    assert percentile(values, q) == pytest.approx(expected)


def test_percentile_refuses_nonsense() -> None:
    with pytest.raises(ValueError):
        percentile([], 0.5)
    with pytest.raises(ValueError):
        percentile([1.0], 1.5)


def test_new_per_night_uses_the_local_date() -> None:
    seen = [
        datetime(2026, 11, 23, 14, 59, tzinfo=UTC),  # 23:59 KST on the 23rd
        datetime(2026, 11, 23, 15, 30, tzinfo=UTC),  # 00:30 KST on the 24th
        datetime(2026, 11, 23, 18, 0, tzinfo=UTC),  # 03:00 KST on the 24th (the nightly run)
    ]
    days = new_per_night(seen, KST, date(2026, 11, 22), date(2026, 11, 25))
    assert [(d.day.day, d.count) for d in days] == [(22, 0), (23, 1), (24, 2), (25, 0)]
    utc_days = new_per_night(seen, ZoneInfo("UTC"), date(2026, 11, 23), date(2026, 11, 23))
    assert [d.count for d in utc_days] == [3]


CONSENT = Consent(statement="victim, signed form", recorded_by="advocate", recorded_at="2026-11-20")
TEXT = (
    "이 글은 예시 문장으로 이루어진 텍스트이며 실제 내용과 무관합니다. 여러 문장이 이어지고 "
    "다양한 단어가 섞여 있어서 지문을 만들기에 충분한 길이를 가집니다."
)


def _exposure(store: Store, case_id: int, url: str, platform: str, seen: datetime) -> int:
    obs = Observation(
        case_id=case_id,
        url=url,
        canonical_url=url,
        domain="d.example",
        platform=platform,
        title="t",
        snippet="s",
        confidence="snippet",
        source="naver",
        seen_at=seen,
    )
    with store.session() as s:
        return record_observation(s, store.crypto, obs)[0]


def test_report_from_the_database(store: Store) -> None:
    now = datetime.now(UTC)
    base = now - timedelta(days=5)
    case_id = create_case(store, "c", CONSENT)
    other = create_case(store, "d", CONSENT)
    a = _exposure(store, case_id, "https://blog.naver.com/a/1", "naver_blog", base)
    b = _exposure(store, case_id, "https://x.com/b/status/2", "x", base)
    c = _exposure(store, case_id, "https://forum.example/c", "web", base + timedelta(days=1))
    _exposure(store, other, "https://forum.example/other", "web", base)
    mark(store, a, StatusChange("reported", actor="t", at=base + timedelta(hours=1)))
    mark(store, a, StatusChange("removed", actor="t", at=base + timedelta(hours=13)))
    mark(store, b, StatusChange("reported", actor="t", at=base + timedelta(hours=2)))
    mark(store, c, StatusChange("dismissed", actor="t", at=base + timedelta(days=1, hours=1)))
    key = fingerprint_key(store.crypto)
    copy = _exposure(store, case_id, "https://mirror.example/a", "web", now - timedelta(hours=1))
    with store.session() as s:
        link_reupload(s, store.crypto, a, fingerprint(TEXT, key))
        assert link_reupload(s, store.crypto, copy, fingerprint(TEXT, key)) == a

    report = build_report(store, timezone="Asia/Seoul", now=now, days=7, case_id=case_id)
    assert (report.open, report.removed, report.dismissed) == (2, 1, 1)  # b reported, copy reappeared
    assert report.statuses == {"dismissed": 1, "removed": 1, "reappeared": 1, "reported": 1}
    assert sum(d.count for d in report.new_per_night) == 4 and len(report.new_per_night) == 7
    naver = next(s for s in report.takedown if s.platform == "naver_blog")
    assert naver.removed == 1 and naver.median_hours == pytest.approx(12.0)
    x = next(s for s in report.takedown if s.platform == "x")
    assert x.open == 1 and x.open_ages_hours[0] == pytest.approx(5 * 24 - 2, abs=0.01)
    [link] = report.reuploads
    assert (link.exposure_id, link.original_id, link.original_platform) == (copy, a, "naver_blog")
    as_json = report_to_dict(report)
    assert as_json["reuploads"] == [
        {
            "exposure_id": copy,
            "reupload_of": a,
            "platform": "web",
            "original_platform": "naver_blog",
            "first_seen": link.first_seen.isoformat(),
            "status": "reappeared",
        }
    ]
    everything = build_report(store, timezone="Asia/Seoul", now=now, days=7)
    assert everything.open == 3
    with pytest.raises(NotFoundError):
        build_report(store, timezone="Asia/Seoul", now=now, case_id=999)
