"""The statistics report: self-contained HTML (no network resource), autoescaped, and the same figures as
JSON."""

from __future__ import annotations

import json
import re
import stat
from datetime import UTC, date, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest

from storage.cases import Consent, create_case
from storage.database import Store, open_store
from storage.exposures import Observation, record_observation
from storage.keyring import load_keyring
from storage.lifecycle import StatusChange, mark
from storage.stats import DayCount, PlatformCounts, PlatformStats, Report, ReuploadLink, build_report
from takedown.report import column_chart, hours, render_html, share, stacked_rows
from tests.support.home import JikimiHome

NOW = datetime(2026, 12, 1, 0, 0, tzinfo=UTC)
HOSTILE = '<script>alert(1)</script>"><img src=http://evil.example/x.png>{{7*7}}'


def _report(platform: str = "naver_blog") -> Report:
    stats = PlatformStats(platform, 3, 2, 12.0, 30.0, {24: 0.5, 48: 1.0, 168: 1.0}, 1, (80.0,))
    total = PlatformStats("all", 3, 2, 12.0, 30.0, {24: 0.5, 48: 1.0, 168: 1.0}, 1, (80.0,))
    return Report(
        generated_at=NOW,
        timezone="Asia/Seoul",
        case_id=None,
        days=3,
        new_per_night=(
            DayCount(date(2026, 11, 29), 2),
            DayCount(date(2026, 11, 30), 0),
            DayCount(date(2026, 12, 1), 5),
        ),
        statuses={"new": 4, "removed": 2, "dismissed": 1},
        open=4,
        removed=2,
        dismissed=1,
        platforms=(PlatformCounts(platform, 4, 2, 1),),
        takedown=(stats, total),
        reuploads=(ReuploadLink(9, 3, platform, "x", NOW - timedelta(hours=2), "reappeared"),),
    )


class _Resources(HTMLParser):
    """Collects every attribute that could make a browser fetch something."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.fetching: list[tuple[str, str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        for name, value in attrs:
            if name in {"src", "href", "srcset", "action", "data", "poster", "background", "xlink:href"}:
                self.fetching.append((tag, name, value or ""))


def test_html_is_self_contained() -> None:
    html = render_html(_report())
    parser = _Resources()
    parser.feed(html)
    assert parser.fetching == []
    assert not {"script", "link", "img", "iframe", "object", "embed", "video", "audio"} & set(parser.tags)
    assert not re.search(r"https?:|//|url\(|@import", html, re.IGNORECASE)
    assert "default-src 'none'" in html
    assert html.count("<svg") == 2 and "<rect" in html


def test_html_is_autoescaped() -> None:
    html = render_html(_report(platform=HOSTILE))
    assert "<script>" not in html and "<img" not in html
    assert "&lt;script&gt;" in html and "{{7*7}}" in html  # shown as text, never evaluated
    parser = _Resources()
    parser.feed(html)
    assert parser.fetching == []


def test_html_shows_the_figures() -> None:
    html = render_html(_report())
    for expected in ("12.0 h", "30.0 h", "50%", "100%", "3.3 d", "#9", "#3", "2026-12-01 07:00 KST", "11-29"):
        assert expected in html, expected


def test_column_chart_geometry() -> None:
    chart = column_chart([("a", 2), ("b", 0), ("c", 4)], width=336, height=100)
    # plot area: x 36..328 (292 wide, 3 steps), y 12..72 (60 high); peak 4
    heights = [b.height for b in chart.bars]
    assert heights == [30.0, 0.0, 60.0]
    assert [b.y + b.height for b in chart.bars] == [72.0, 72.0, 72.0]
    assert chart.bars[2].x > chart.bars[1].x > chart.bars[0].x
    assert [label.text for label in chart.labels] == ["4", "0", "a", "b", "c"]
    assert column_chart([]).bars == ()


def test_stacked_rows_geometry() -> None:
    chart = stacked_rows([("naver", (1, 3, 0)), ("x", (2, 0, 0))], width=350)
    # plot width 350 - 150 - 48 = 152; peak 4: segments 38 and 114, then 76
    assert [(b.css, b.width) for b in chart.bars] == [("open", 38.0), ("removed", 114.0), ("open", 76.0)]


@pytest.mark.parametrize(("value", "text"), [(None, "–"), (5.25, "5.2 h"), (71.9, "71.9 h"), (96.0, "4.0 d")])
def test_hours_format(value: float | None, text: str) -> None:
    assert hours(value) == text


def test_share_format() -> None:
    assert (share(None), share(0.333), share(1.0)) == ("–", "33%", "100%")


def _seed(store: Store, label: str) -> tuple[int, int]:
    case_id = create_case(store, label, Consent("victim", "advocate", "2026-11-20"))
    seen = datetime.now(UTC) - timedelta(days=2)
    obs = Observation(
        case_id=case_id,
        url="https://secret-host.example/p/1",
        canonical_url="https://secret-host.example/p/1",
        domain="secret-host.example",
        platform="web",
        title="비밀제목",
        snippet="비밀스니펫",
        confidence="snippet",
        source="naver",
        seen_at=seen,
    )
    with store.session() as s:
        exposure_id = record_observation(s, store.crypto, obs)[0]
    mark(store, exposure_id, StatusChange("reported", actor="a", at=seen + timedelta(hours=1)))
    mark(store, exposure_id, StatusChange("removed", actor="a", at=seen + timedelta(hours=7)))
    return case_id, exposure_id


def test_report_carries_nothing_sensitive(store: Store) -> None:
    _seed(store, "사건라벨QZ9")
    report = build_report(store, timezone="Asia/Seoul", now=datetime.now(UTC), days=7)
    html = render_html(report)
    for secret in ("사건라벨QZ9", "secret-host", "비밀제목", "비밀스니펫"):
        assert secret not in html
    assert "6.0 h" in html


def test_cli_report_html_and_json(home: JikimiHome, tmp_path: Path) -> None:
    from jikimi.config import load_settings

    home.ok("init")
    settings = load_settings()
    store = open_store(settings.database_url, load_keyring(settings.key_file))
    try:
        case_id, _ = _seed(store, "사건라벨QZ9")
    finally:
        store.close()
    html_path = tmp_path / "r" / "report.html"
    result = home.cli("report", "--output", str(html_path), "--case", str(case_id))
    assert result.code == 0 and str(html_path) in result.out
    assert stat.S_IMODE(html_path.stat().st_mode) == 0o600
    html = html_path.read_text(encoding="utf-8")
    assert f"case {case_id}" in html and "사건라벨QZ9" not in html and not re.search(r"https?:", html)
    figures = json.loads(home.ok("report", "--format", "json", "--days", "3"))
    assert figures["removed"] == 1 and len(figures["new_per_night"]) == 3
    web = next(t for t in figures["takedown"] if t["platform"] == "web")
    assert web["median_hours"] == 6.0 and web["removed_within"] == {"24h": 1.0, "48h": 1.0, "168h": 1.0}
    json_path = tmp_path / "figures.json"
    home.ok("report", "--format", "json", "--output", str(json_path))
    assert json.loads(json_path.read_text(encoding="utf-8"))["removed"] == 1
    missing = home.cli("report")
    assert missing.code == 2 and "--output" in missing.err
    unknown = home.cli("report", "--format", "json", "--case", "999")
    assert unknown.code == 2 and "no case with id 999" in unknown.err
    assert unknown.err.count("\n") == 1
