"""Takedown statistics: new exposures per night, open versus removed, how fast each platform removes.

The figures are counts, platforms and times only: nothing here decrypts a URL, a title or a label,
so a report can be shared with a partner without showing whom it is about. The computations are
pure functions over plain records (`takedown_times`, `new_per_night`, `percentile`); `build_report`
is the one place that reads the database.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import aliased

from storage.database import Store
from storage.errors import NotFoundError, ValidationError
from storage.lifecycle import OPEN_STATUSES
from storage.models import Case, Exposure, ExposureEvent

WINDOWS_HOURS = (24, 48, 24 * 7)
ALL_PLATFORMS = "all"


@dataclass(frozen=True)
class StatusEvent:
    """One status change, as the statistics need it (no notes, no recipients)."""

    exposure_id: int
    platform: str
    to_status: str
    at: datetime
    verified_at: datetime | None = None


@dataclass(frozen=True)
class PlatformStats:
    """How one platform (or all) handled reports.

    A report runs from the first `reported` after the exposure was found (or came back) to the
    next `removed`; re-reports in between do not restart the clock. `within` shares count a report
    only once its outcome at that horizon is known: removed, or open for at least that long.
    """

    platform: str
    reports: int
    removed: int
    median_hours: float | None
    p90_hours: float | None
    within: dict[int, float | None]  # hours -> share of reports removed within that many hours
    open: int
    open_ages_hours: tuple[float, ...]  # oldest first


@dataclass(frozen=True)
class DayCount:
    day: date
    count: int


@dataclass(frozen=True)
class PlatformCounts:
    platform: str
    open: int
    removed: int
    dismissed: int


@dataclass(frozen=True)
class ReuploadLink:
    exposure_id: int
    original_id: int
    platform: str
    original_platform: str
    first_seen: datetime
    status: str


@dataclass(frozen=True)
class Report:
    generated_at: datetime
    timezone: str
    case_id: int | None
    days: int
    new_per_night: tuple[DayCount, ...]
    statuses: dict[str, int]
    open: int
    removed: int
    dismissed: int
    platforms: tuple[PlatformCounts, ...]
    takedown: tuple[PlatformStats, ...]  # per platform, then ALL_PLATFORMS last
    reuploads: tuple[ReuploadLink, ...]


def percentile(values: Sequence[float], q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default): q=0.5 is the median."""
    if not values:
        raise ValueError("percentile of no values")
    if not 0 <= q <= 1:
        raise ValueError("q must be between 0 and 1")
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _hours(delta: timedelta) -> float:
    return delta.total_seconds() / 3600


def report_episodes(events: Iterable[StatusEvent]) -> tuple[list[float], list[datetime]]:
    """(hours from report to removal of every closed report, start of every open report)."""
    by_exposure: dict[int, list[StatusEvent]] = defaultdict(list)
    for event in events:
        by_exposure[event.exposure_id].append(event)
    durations: list[float] = []
    open_since: list[datetime] = []
    for history in by_exposure.values():
        started: datetime | None = None
        for event in sorted(history, key=lambda e: e.at):
            if event.to_status == "reported" and started is None:
                started = event.at
            elif event.to_status == "removed" and started is not None:
                removed_at = event.verified_at or event.at
                durations.append(max(0.0, _hours(removed_at - started)))
                started = None
            elif event.to_status == "dismissed":
                started = None
        if started is not None:
            open_since.append(started)
    return durations, open_since


def takedown_times(
    events: Iterable[StatusEvent], *, now: datetime, platform: str = ALL_PLATFORMS
) -> PlatformStats:
    """Report-to-removal figures over `events` (usually one platform's)."""
    durations, open_since = report_episodes(events)
    ages = sorted((max(0.0, _hours(now - start)) for start in open_since), reverse=True)
    within: dict[int, float | None] = {}
    for hours in WINDOWS_HOURS:
        decided = len(durations) + sum(1 for age in ages if age >= hours)
        within[hours] = sum(1 for d in durations if d <= hours) / decided if decided else None
    return PlatformStats(
        platform=platform,
        reports=len(durations) + len(ages),
        removed=len(durations),
        median_hours=percentile(durations, 0.5) if durations else None,
        p90_hours=percentile(durations, 0.9) if durations else None,
        within=within,
        open=len(ages),
        open_ages_hours=tuple(ages),
    )


def takedown_by_platform(events: Iterable[StatusEvent], *, now: datetime) -> list[PlatformStats]:
    """One `PlatformStats` per platform that has had a report, by name, then all platforms together."""
    events = list(events)
    grouped: dict[str, list[StatusEvent]] = defaultdict(list)
    for event in events:
        grouped[event.platform].append(event)
    out = [takedown_times(group, now=now, platform=name) for name, group in sorted(grouped.items())]
    out = [stats for stats in out if stats.reports]
    out.append(takedown_times(events, now=now, platform=ALL_PLATFORMS))
    return out


def new_per_night(first_seen: Iterable[datetime], tz: ZoneInfo, start: date, end: date) -> list[DayCount]:
    """Exposures first seen on each local day from `start` to `end` inclusive, zero days included."""
    counts = Counter(moment.astimezone(tz).date() for moment in first_seen)
    days = (end - start).days + 1
    return [
        DayCount(start + timedelta(days=i), counts.get(start + timedelta(days=i), 0)) for i in range(days)
    ]


def build_report(
    store: Store, *, timezone: str, now: datetime, days: int = 30, case_id: int | None = None
) -> Report:
    """Read the exposures and their status events (no decryption) and compute every figure."""
    if days < 1 or days > 3660:
        raise ValidationError("days must be between 1 and 3660")
    tz = ZoneInfo(timezone)
    with store.session() as session:
        if case_id is not None and session.get(Case, case_id) is None:
            raise NotFoundError(f"no case with id {case_id}")
        query = select(
            Exposure.id, Exposure.platform, Exposure.status, Exposure.first_seen, Exposure.reupload_of_id
        ).order_by(Exposure.id)
        events_query = (
            select(
                ExposureEvent.exposure_id,
                Exposure.platform,
                ExposureEvent.to_status,
                ExposureEvent.at,
                ExposureEvent.verified_at,
            )
            .join(Exposure, Exposure.id == ExposureEvent.exposure_id)
            .order_by(ExposureEvent.exposure_id, ExposureEvent.at, ExposureEvent.id)
        )
        if case_id is not None:
            query = query.where(Exposure.case_id == case_id)
            events_query = events_query.where(Exposure.case_id == case_id)
        exposures = session.execute(query).all()
        events = [StatusEvent(*row) for row in session.execute(events_query)]
        original = aliased(Exposure)
        links_query = (
            select(
                Exposure.id,
                original.id,
                Exposure.platform,
                original.platform,
                Exposure.first_seen,
                Exposure.status,
            )
            .join(original, original.id == Exposure.reupload_of_id)
            .order_by(Exposure.id)
        )
        if case_id is not None:
            links_query = links_query.where(Exposure.case_id == case_id)
        links = tuple(ReuploadLink(*row) for row in session.execute(links_query))
    today = now.astimezone(tz).date()
    statuses = Counter(status for _, _, status, _, _ in exposures)
    per_platform: dict[str, Counter[str]] = defaultdict(Counter)
    for _, platform, status, _, _ in exposures:
        per_platform[platform][_bucket(status)] += 1
    return Report(
        generated_at=now,
        timezone=timezone,
        case_id=case_id,
        days=days,
        new_per_night=tuple(
            new_per_night(
                (first for _, _, _, first, _ in exposures), tz, today - timedelta(days=days - 1), today
            )
        ),
        statuses=dict(sorted(statuses.items())),
        open=sum(statuses[s] for s in OPEN_STATUSES),
        removed=statuses["removed"],
        dismissed=statuses["dismissed"],
        platforms=tuple(
            PlatformCounts(name, c["open"], c["removed"], c["dismissed"])
            for name, c in sorted(per_platform.items())
        ),
        takedown=tuple(takedown_by_platform(events, now=now)),
        reuploads=links,
    )


def _bucket(status: str) -> str:
    return "open" if status in OPEN_STATUSES else status


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def report_to_dict(report: Report) -> dict[str, object]:
    """The same figures as the HTML report, as JSON-ready values."""
    return {
        "generated_at": report.generated_at.isoformat(),
        "timezone": report.timezone,
        "case_id": report.case_id,
        "days": report.days,
        "new_per_night": [{"date": d.day.isoformat(), "count": d.count} for d in report.new_per_night],
        "statuses": report.statuses,
        "open": report.open,
        "removed": report.removed,
        "dismissed": report.dismissed,
        "platforms": [
            {"platform": p.platform, "open": p.open, "removed": p.removed, "dismissed": p.dismissed}
            for p in report.platforms
        ],
        "takedown": [
            {
                "platform": s.platform,
                "reports": s.reports,
                "removed": s.removed,
                "median_hours": _round(s.median_hours),
                "p90_hours": _round(s.p90_hours),
                "removed_within": {f"{h}h": _round(share) for h, share in s.within.items()},
                "open": s.open,
                "open_ages_hours": [_round(a) for a in s.open_ages_hours],
            }
            for s in report.takedown
        ],
        "reuploads": [
            {
                "exposure_id": r.exposure_id,
                "reupload_of": r.original_id,
                "platform": r.platform,
                "original_platform": r.original_platform,
                "first_seen": r.first_seen.isoformat(),
                "status": r.status,
            }
            for r in report.reuploads
        ],
    }
