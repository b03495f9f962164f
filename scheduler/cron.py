"""The nightly trigger: APScheduler's cron trigger, with classic cron's behaviour around clock changes.

APScheduler 3.11's `CronTrigger` fires a fixed-time job twice on the day clocks fall back (02:30 summer
time, then 02:30 winter time, an hour later). Earlier 3.11 releases could also hand back an instant that
does not move forward inside the repeated hour (agronholm/apscheduler#1021, reported on 3.11.0; 3.11.3
no longer does for that case), which would spin the scheduler. Classic cron (`man 8 cron` on Debian/Red
Hat) runs jobs with a fixed hour once on such a day and runs frequent jobs normally.
`WallClockCronTrigger` does the same:

* fire times always strictly increase;
* when the hour field is restricted (e.g. `30 2 * * *`), a fire time whose local wall-clock time is not
  later than the previous one's (the repeated hour) is skipped;
* on the spring-forward day a time inside the skipped hour fires once, at the instant APScheduler and
  Python's `zoneinfo` give it (02:30 in Europe/Berlin on 31 March is 01:30 UTC, i.e. 03:30 summer time).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from apscheduler.triggers.cron import CronTrigger

# A day of minutes: more candidates than a repeated hour can hold, so the loop always ends.
_MAX_STEPS = 1500


class WallClockCronTrigger(CronTrigger):  # type: ignore[misc]  # APScheduler 3 is untyped
    """A cron trigger that never fires twice for one wall-clock time of a fixed-hour schedule."""

    __slots__ = ()

    def _hour_is_fixed(self) -> bool:
        hour = next(f for f in self.fields if f.name == "hour")
        return str(hour) != "*"

    def get_next_fire_time(self, previous_fire_time: datetime | None, now: datetime) -> datetime | None:
        candidate: datetime | None = super().get_next_fire_time(previous_fire_time, now)
        if previous_fire_time is None:
            return candidate
        previous_utc = previous_fire_time.astimezone(UTC)
        previous_wall = previous_fire_time.astimezone(self.timezone).replace(tzinfo=None)
        fixed = self._hour_is_fixed()
        cursor = previous_fire_time
        for _ in range(_MAX_STEPS):
            if candidate is None:
                return None
            later = candidate.astimezone(UTC) > previous_utc
            if later and not (
                fixed and candidate.astimezone(self.timezone).replace(tzinfo=None) <= previous_wall
            ):
                return candidate
            # Step past the rejected candidate; if APScheduler handed back an instant that does not move
            # forward (#1021), push the cursor by a minute ourselves.
            if candidate.astimezone(UTC) > cursor.astimezone(UTC):
                cursor = candidate
            else:
                cursor = (cursor.astimezone(UTC) + timedelta(minutes=1)).astimezone(self.timezone)
            candidate = super().get_next_fire_time(cursor, max(now.astimezone(UTC), cursor.astimezone(UTC)))
        return candidate


def nightly_trigger(schedule: str, timezone: str) -> WallClockCronTrigger:
    """The trigger for `settings.schedule` in `settings.timezone` (both validated by `jikimi.config`)."""
    trigger = WallClockCronTrigger.from_crontab(schedule, timezone=timezone)
    if not isinstance(trigger, WallClockCronTrigger):  # from_crontab builds `cls`; guard a future change
        raise TypeError("CronTrigger.from_crontab did not build the subclass")
    return trigger


def trigger_key(trigger: object) -> tuple[str, str]:
    """What identifies a schedule: a stored job whose key matches keeps its pending fire time."""
    return (f"{type(trigger).__module__}.{type(trigger).__qualname__}", repr(trigger))
