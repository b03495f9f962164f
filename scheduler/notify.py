"""Nightly notifications through Apprise: counts and source health.

Never a term, a URL or (by default) a case label.

`build_message` is pure. `send` delivers to every `[notify] urls` entry and reports each failure with
the URL's secrets masked (Apprise URLs carry tokens, and Apprise's own log lines print them).
`notify_result` ties it together once per nightly result: the run ids are claimed in the `meta` table
before sending, so a re-run after a crash does not notify twice, and every failure is recorded for
`jikimi status` instead of being swallowed.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import parse_qsl, unquote, urlsplit

from jikimi.config import Settings
from jikimi.logs import REDACTOR
from scheduler.health import (
    NOTIFY_LAST_ERROR,
    NOTIFY_LAST_ERROR_AT,
    NOTIFY_LAST_SENT,
    NOTIFY_RUN_PREFIX,
    now_iso,
)
from storage.cases import list_cases
from storage.database import Store
from storage.meta import claim_meta, set_many

log = logging.getLogger(__name__)

# Outcomes that mean "this source could not look", which must never read as "nothing new".
WARNING_OUTCOMES: dict[str, str] = {
    "blocked": "was blocked (CAPTCHA or refusal)",
    "quota": "is over its quota",
    "auth": "rejected its credentials",
    "unreachable": "could not be reached",
    "error": "failed with an error",
}
OUTCOME_ORDER = ("ok", "empty", "quota", "blocked", "auth", "unreachable", "error")
MAX_ERROR_LENGTH = 400
MAX_LABEL_LENGTH = 40
_URLISH = re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.-]*://\S*|\bwww\.\S+")
_SOURCE_CHARS = re.compile(r"[^a-z0-9_.-]")


class NightlyOutcome(Protocol):
    """What `scheduler.nightly.run_nightly` returns (only the fields a notification may use)."""

    run_ids: list[int]
    outcomes: dict[str, str]
    new_by_case: dict[int, int]
    exit_code: int
    problems: list[str]


@dataclass(frozen=True)
class NotifyOutcome:
    """How one notification went: `configured` URLs, how many took it, one masked line per failure."""

    configured: int
    delivered: int
    errors: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.errors


# ---- the message (pure) -------------------------------------------------------------------------


def build_message(result: NightlyOutcome, case_labels: Mapping[int, str] | None = None) -> tuple[str, str]:
    """Title and plain-text body for one nightly result.

    Cases appear as "case #<id>"; pass `case_labels` only when the operator opted in
    (`[notify] include_case_labels`). Problems are counted, never quoted: their text may name a page.
    """
    new_total = sum(n for n in result.new_by_case.values() if n > 0)
    cases_with_new = sorted(cid for cid, n in result.new_by_case.items() if n > 0)
    by_outcome: dict[str, list[str]] = {}
    for source, outcome in sorted(result.outcomes.items()):
        by_outcome.setdefault(_word(outcome), []).append(_source(source))
    troubled = [(s, o) for o in WARNING_OUTCOMES for s in by_outcome.get(o, [])]
    state = {0: "ok", 3: "degraded"}.get(result.exit_code, "failed")

    if state == "failed":
        title = "jikimi: nightly run FAILED"
    elif new_total:
        title = f"jikimi: {new_total} new exposure{_plural(new_total)}"
    else:
        title = "jikimi: nothing new" if not troubled else "jikimi: no new exposures found"
    if troubled:
        title += f", {len(troubled)} source{_plural(len(troubled))} could not search"

    runs = ", ".join(str(r) for r in sorted(result.run_ids)) or "none recorded"
    lines = [f"Nightly run: {state} (run {runs})"]
    if new_total:
        lines.append(
            f"New exposures: {new_total} in {len(cases_with_new)} case{_plural(len(cases_with_new))}"
        )
        lines.extend(f"  {_case(cid, case_labels)}: {result.new_by_case[cid]}" for cid in cases_with_new)
    else:
        lines.append("New exposures: none found")
    if by_outcome:
        lines.append("Sources:")
        ordered = [o for o in OUTCOME_ORDER if o in by_outcome] + sorted(set(by_outcome) - set(OUTCOME_ORDER))
        lines.extend(f"  {o}: {', '.join(by_outcome[o])}" for o in ordered)
    else:
        lines.append("Sources: none ran")
    for source, outcome in troubled:
        lines.append(f"WARNING: {source} {WARNING_OUTCOMES[outcome]}: its results are missing, not empty.")
    if result.problems:
        count = len(result.problems)
        lines.append(f"{count} problem{_plural(count)} recorded: see `jikimi status`.")
    return title, "\n".join(lines)


def _plural(count: int) -> str:
    return "" if count == 1 else "s"


def _word(outcome: str) -> str:
    outcome = outcome.strip().lower()
    return outcome if outcome in OUTCOME_ORDER else "error"


def _source(name: str) -> str:
    return _SOURCE_CHARS.sub("", name.lower())[:32] or "unnamed"


def _case(case_id: int, labels: Mapping[int, str] | None) -> str:
    label = (labels or {}).get(case_id)
    if not label:
        return f"case #{case_id}"
    clean = _URLISH.sub("[link]", " ".join(label.split()))[:MAX_LABEL_LENGTH]
    return f"case #{case_id} ({clean})"


def notify_type(result: NightlyOutcome) -> str:
    """Apprise's notification type: drives the colour/icon on services that have one."""
    if result.exit_code not in (0, 3):
        return "failure"
    if result.exit_code == 3 or any(_word(o) in WARNING_OUTCOMES for o in result.outcomes.values()):
        return "warning"
    return "success" if any(n > 0 for n in result.new_by_case.values()) else "info"


# ---- delivery -----------------------------------------------------------------------------------


def send(settings: Settings, title: str, body: str, *, kind: str = "info") -> NotifyOutcome:
    """Deliver to each configured Apprise URL separately, so one broken service names itself."""
    urls = settings.notify.urls
    if not urls:
        return NotifyOutcome(configured=0, delivered=0)
    import apprise  # late: its plugin registry takes a second to load, and most commands never notify

    delivered = 0
    errors: list[str] = []
    for index, url in enumerate(urls):
        where = f"notify.urls[{index}] ({_scheme(url)})"
        with _apprise_log() as lines:
            try:
                # Apprise's persistent store (1.9+) kept in memory: nothing about our messages lands on disk.
                apobj = apprise.Apprise(asset=apprise.AppriseAsset(storage_mode="memory"))
                if not apobj.add(url):
                    errors.append(f"{where}: not a valid Apprise URL")
                    continue
                ok = bool(apobj.notify(body=body, title=title, notify_type=kind, body_format="text"))
            except Exception as exc:  # noqa: BLE001 - a plugin bug is a recorded failure, not a crash
                ok = False
                lines.append(f"{type(exc).__name__}")
        if ok:
            delivered += 1
        else:
            errors.append(f"{where}: {mask_url_secrets(_reason(lines), url)}")
    for error in errors:
        log.warning("notification failed: %s", error)
    return NotifyOutcome(configured=len(urls), delivered=delivered, errors=tuple(errors))


class _ListHandler(logging.Handler):
    def __init__(self, sink: list[str]) -> None:
        super().__init__(logging.DEBUG)
        self.sink = sink

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        # Warnings say what failed; the debug "Exception" lines say why (e.g. connection refused).
        if record.levelno >= logging.WARNING or "exception" in message.lower():
            self.sink.append(message)


@contextmanager
def _apprise_log() -> Iterator[list[str]]:
    """Collect Apprise's log lines instead of letting them reach our handlers unmasked."""
    logger = logging.getLogger("apprise")
    lines: list[str] = []
    handler = _ListHandler(lines)
    saved = (logger.propagate, logger.level)
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    logger.addHandler(handler)
    try:
        yield lines
    finally:
        logger.removeHandler(handler)
        logger.propagate, logger.level = saved[0], saved[1]


def _reason(lines: Sequence[str]) -> str:
    text = " ".join(" ".join(line.split()) for line in lines) or "the service did not accept the notification"
    return text


def _scheme(url: str) -> str:
    scheme = url.split("://", 1)[0] if "://" in url else ""
    return scheme.lower() if re.fullmatch(r"[a-zA-Z][a-zA-Z0-9+.-]{0,20}", scheme) else "?"


def url_secrets(url: str) -> list[str]:
    """Every part of an Apprise URL that may be a secret: for most services that is all but the scheme."""
    parts: list[str] = []
    try:
        split = urlsplit(url)
        netloc = split.netloc.rsplit("@", 1)
        if len(netloc) == 2:
            parts.extend(unquote(p) for p in netloc[0].split(":", 1))
        hostport = netloc[-1]
        parts.append(hostport)
        parts.extend(hostport.rsplit(":", 1))
        parts.extend(unquote(seg) for seg in split.path.split("/"))
        parts.extend(value for _key, value in parse_qsl(split.query, keep_blank_values=False))
        parts.append(split.fragment)
    except ValueError:
        pass
    tail = url.split("://", 1)[-1]
    parts.append(tail)
    return sorted({p for p in parts if len(p) >= 2}, key=len, reverse=True)


def mask_url_secrets(text: str, url: str) -> str:
    """`text` with every part of `url` and anything URL-shaped masked, cut to a status-sized line."""
    for part in url_secrets(url):
        text = text.replace(part, "[redacted]")
    text = _URLISH.sub(
        lambda m: m.group(0).split("://", 1)[0] + "://[redacted]" if "://" in m.group(0) else "[redacted]",
        text,
    )
    text = REDACTOR(text)
    return text if len(text) <= MAX_ERROR_LENGTH else text[: MAX_ERROR_LENGTH - 1] + "…"


# ---- once per nightly result --------------------------------------------------------------------


def record_outcome(store: Store, outcome: NotifyOutcome, run_ids: Sequence[int] = ()) -> None:
    """Store the outcome where `jikimi status` reads it; mark the claimed runs sent or failed."""
    if outcome.configured == 0:
        return
    stamp = now_iso()
    values: dict[str, str] = {
        f"{NOTIFY_RUN_PREFIX}{rid}": f"{'sent' if outcome.delivered else 'failed'} {stamp}" for rid in run_ids
    }
    drop: list[str] = []
    if outcome.delivered:
        values[NOTIFY_LAST_SENT] = stamp
    if outcome.errors:
        values[NOTIFY_LAST_ERROR] = "; ".join(outcome.errors)[: MAX_ERROR_LENGTH * 2]
        values[NOTIFY_LAST_ERROR_AT] = stamp
    else:
        drop = [NOTIFY_LAST_ERROR, NOTIFY_LAST_ERROR_AT]
    set_many(store, values, delete_keys=drop)


def notify_result(store: Store, settings: Settings, result: NightlyOutcome) -> NotifyOutcome | None:
    """Notify this result once. None when nothing is configured or its runs were already notified."""
    if not settings.notify.urls:
        return None
    run_ids = sorted(set(result.run_ids))
    keys = [f"{NOTIFY_RUN_PREFIX}{rid}" for rid in run_ids]
    # Claim before sending: a crash between the two loses one message (and status says so) rather
    # than sending it again on the next attempt.
    if keys and not claim_meta(store, keys, f"claimed {now_iso()}"):
        log.info("nightly result of runs %s was already notified", run_ids)
        return None
    labels = None
    if settings.notify.include_case_labels:
        labels = {case.id: case.label for case in list_cases(store)}
    title, body = build_message(result, labels)
    outcome = send(settings, title, body, kind=notify_type(result))
    record_outcome(store, outcome, run_ids)
    return outcome


def notify_step(settings: Settings, store: Store, result: NightlyOutcome, actor: str) -> None:
    """The same as an `after_steps` step (settings, store, result, actor): safe to run twice per result."""
    notify_result(store, settings, result)
