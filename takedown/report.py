"""The statistics report as one self-contained HTML file: inline CSS (allowed by hash), inline SVG, no script.

Chart geometry is computed here as plain numbers (pure functions, testable); the template only
places them, with autoescape on. A Content-Security-Policy of `default-src 'none'` makes sure that
even an injected tag could not load anything.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from storage.stats import ALL_PLATFORMS, PlatformStats, Report
from takedown.templating import clock, html_environment, style_source

CHART_WIDTH = 720
REPORT_TEMPLATE = "report.html.j2"
# What the report's Content-Security-Policy allows as style: its own style block and nothing else.
REPORT_STYLE_SRC = style_source(REPORT_TEMPLATE)
SEGMENTS = ("open", "removed", "dismissed")


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    css: str
    title: str


@dataclass(frozen=True)
class Label:
    x: float
    y: float
    text: str
    anchor: str = "middle"


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    bars: tuple[Bar, ...]
    labels: tuple[Label, ...]


def column_chart(points: Sequence[tuple[str, int]], *, width: int = CHART_WIDTH, height: int = 200) -> Chart:
    """Vertical bars, one per (label, value), with about ten x labels and the maximum on the y axis."""
    left, right, top, bottom = 36.0, 8.0, 12.0, 28.0
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = max((v for _, v in points), default=0) or 1
    step = plot_w / max(len(points), 1)
    every = max(1, math.ceil(len(points) / 10))
    bars, labels = [], [Label(left - 6, top + 4, str(peak), "end"), Label(left - 6, top + plot_h, "0", "end")]
    for i, (label, value) in enumerate(points):
        bar_h = plot_h * value / peak
        x = left + i * step
        bars.append(
            Bar(
                round(x + step * 0.1, 2),
                round(top + plot_h - bar_h, 2),
                round(step * 0.8, 2),
                round(bar_h, 2),
                "new",
                f"{label}: {value}",
            )
        )
        if i % every == 0:
            labels.append(Label(round(x + step / 2, 2), height - 8, label))
    return Chart(width, height, tuple(bars), tuple(labels))


def stacked_rows(
    rows: Sequence[tuple[str, Sequence[int]]], *, css: Sequence[str] = SEGMENTS, width: int = CHART_WIDTH
) -> Chart:
    """One horizontal bar per row, its segments (open, removed, dismissed) side by side."""
    left, right, row_h, gap = 150.0, 48.0, 18.0, 8.0
    plot_w = width - left - right
    peak = max((sum(values) for _, values in rows), default=0) or 1
    bars, labels = [], []
    for i, (name, values) in enumerate(rows):
        y = gap + i * (row_h + gap)
        x = left
        for cls, value in zip(css, values, strict=True):
            seg_w = plot_w * value / peak
            if value:
                bars.append(Bar(round(x, 2), y, round(seg_w, 2), row_h, cls, f"{name}: {value} {cls}"))
            x += seg_w
        labels.append(Label(left - 6, y + row_h - 4, name, "end"))
        labels.append(Label(round(x + 4, 2), y + row_h - 4, str(sum(values)), "start"))
    height = int(gap + len(rows) * (row_h + gap)) or 30
    return Chart(width, height, tuple(bars), tuple(labels))


def hours(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value / 24:.1f} d" if value >= 72 else f"{value:.1f} h"


def share(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.0f}%"


def render_html(report: Report) -> str:
    tz = ZoneInfo(report.timezone)
    per_night = column_chart([(f"{d.day:%m-%d}", d.count) for d in report.new_per_night])
    platforms = stacked_rows([(p.platform, (p.open, p.removed, p.dismissed)) for p in report.platforms])
    takedown = [_takedown_row(s) for s in report.takedown]
    return (
        html_environment()
        .get_template(REPORT_TEMPLATE)
        .render(
            report=report,
            style_src=REPORT_STYLE_SRC,
            generated=clock(report.generated_at, tz),
            scope=f"case {report.case_id}" if report.case_id is not None else "all cases",
            per_night=per_night,
            new_total=sum(d.count for d in report.new_per_night),
            platforms_chart=platforms,
            takedown=takedown,
            reuploads=[{**r.__dict__, "first_seen_local": clock(r.first_seen, tz)} for r in report.reuploads],
        )
    )


def _takedown_row(stats: PlatformStats) -> dict[str, object]:
    return {
        "platform": "all platforms" if stats.platform == ALL_PLATFORMS else stats.platform,
        "total": stats.platform == ALL_PLATFORMS,
        "reports": stats.reports,
        "removed": stats.removed,
        "median": hours(stats.median_hours),
        "p90": hours(stats.p90_hours),
        "within": [share(stats.within[h]) for h in sorted(stats.within)],
        "open": stats.open,
        "oldest_open": hours(stats.open_ages_hours[0]) if stats.open_ages_hours else "–",
    }
