"""Nightly notifications: counts and honest source health, never a term, a URL or a label; once per result.

Delivery is tested for real: Apprise's `json://` plugin posts to a stdlib HTTP server on 127.0.0.1,
and a closed port stands in for a broken service.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from jikimi.config import Settings, load_settings
from scheduler import health
from scheduler.notify import (
    build_message,
    mask_url_secrets,
    notify_result,
    notify_type,
    send,
)
from storage.cases import Consent, add_term, create_case
from storage.database import Store
from storage.exposures import Observation, record_observation
from storage.meta import get_meta, get_meta_prefix
from storage.runs import start_run

TERM = "홍길동"
LABEL = "김지킴 피해 사례"
EXPOSURE_URL = "https://leak.example/board/42?name=%ED%99%8D"
CONSENT = Consent(statement="victim, in person", recorded_by="advocate", recorded_at="2026-11-20")


@dataclass
class Result:
    """Stands in for `scheduler.nightly.NightlyResult` (same fields)."""

    run_ids: list[int] = field(default_factory=list)
    outcomes: dict[str, str] = field(default_factory=dict)
    new_by_case: dict[int, int] = field(default_factory=dict)
    exit_code: int = 0
    problems: list[str] = field(default_factory=list)


# ---- the message -------------------------------------------------------------------------------


def test_message_counts_per_case_and_per_outcome() -> None:
    result = Result(
        run_ids=[7, 8],
        outcomes={"naver": "ok", "kakao": "ok", "brave": "empty"},
        new_by_case={3: 4, 9: 1, 5: 0},
    )
    title, body = build_message(result)
    assert title == "jikimi: 5 new exposures"
    assert body.splitlines() == [
        "Nightly run: ok (run 7, 8)",
        "New exposures: 5 in 2 cases",
        "  case #3: 4",
        "  case #9: 1",
        "Sources:",
        "  ok: kakao, naver",
        "  empty: brave",
    ]


@pytest.mark.parametrize(
    ("outcome", "words"),
    [
        ("blocked", "google was blocked (CAPTCHA or refusal)"),
        ("quota", "google is over its quota"),
        ("auth", "google rejected its credentials"),
        ("unreachable", "google could not be reached"),
        ("error", "google failed with an error"),
        ("something-new", "google failed with an error"),  # an unknown outcome is never read as fine
    ],
)
def test_a_source_that_could_not_search_is_a_warning_not_nothing_new(outcome: str, words: str) -> None:
    result = Result(run_ids=[1], outcomes={"naver": "empty", "google": outcome}, exit_code=3)
    title, body = build_message(result)
    assert title == "jikimi: no new exposures found, 1 source could not search"
    assert f"WARNING: {words}: its results are missing, not empty." in body.splitlines()
    assert "Nightly run: degraded (run 1)" in body
    assert notify_type(result) == "warning"


def test_all_quiet_and_failed_titles() -> None:
    quiet = Result(run_ids=[2], outcomes={"naver": "empty"})
    assert build_message(quiet)[0] == "jikimi: nothing new"
    assert notify_type(quiet) == "info"
    failed = Result(
        run_ids=[], outcomes={}, exit_code=1, problems=["database unreachable at http://10.0.0.1/x"]
    )
    title, body = build_message(failed)
    assert title == "jikimi: nightly run FAILED"
    assert "Nightly run: failed (run none recorded)" in body
    assert "Sources: none ran" in body
    assert "1 problem recorded: see `jikimi status`." in body
    assert "10.0.0.1" not in body, "problem text is counted, never quoted"
    assert notify_type(failed) == "failure"


def test_case_labels_only_when_given_and_never_a_link() -> None:
    result = Result(run_ids=[1], outcomes={"naver": "ok"}, new_by_case={3: 2})
    assert LABEL not in build_message(result)[1]
    labelled = build_message(result, {3: f"{LABEL} see https://leak.example/x?q={TERM}"})[1]
    assert f"case #3 ({LABEL} see [link])" in labelled
    assert "leak.example" not in labelled and TERM not in labelled


def test_source_names_are_plain_words() -> None:
    body = build_message(Result(outcomes={"Naver\nINJECT https://x.example": "ok"}))[1]
    assert "\nINJECT" not in body and "https://" not in body


# ---- delivery ----------------------------------------------------------------------------------


class Sink:
    def __init__(self) -> None:
        self.bodies: list[dict[str, object]] = []
        self.paths: list[str] = []


@pytest.fixture
def sink() -> Iterator[tuple[Sink, int]]:
    received = Sink()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            received.bodies.append(json.loads(self.rfile.read(length)))
            received.paths.append(self.path)
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield received, server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def closed_port() -> int:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return int(port)


def settings_with(database_url: str, tmp_path: Path, *urls: str, labels: bool = False) -> Settings:
    env = {
        "JIKIMI_DATA_DIR": str(tmp_path / "data"),
        "JIKIMI_DATABASE_URL": database_url,
        "JIKIMI_NOTIFY__URLS": json.dumps(list(urls)),
        "JIKIMI_NOTIFY__INCLUDE_CASE_LABELS": "true" if labels else "false",
    }
    return load_settings(env=env)


def a_night(store: Store) -> Result:
    """A real case with a term and an exposure, and the result a nightly pass would report for it."""
    case_id = create_case(store, LABEL, CONSENT)
    term_id = add_term(store, case_id, TERM)
    run_id = start_run(store, "nightly")
    with store.session() as session:
        record_observation(
            session,
            store.crypto,
            Observation(
                case_id=case_id,
                url=EXPOSURE_URL,
                canonical_url=EXPOSURE_URL,
                domain="leak.example",
                platform="web",
                title=f"{TERM} 영상",
                snippet=f"{TERM} ...",
                confidence="snippet",
                source="naver",
                seen_at=datetime.now(UTC),
                run_id=run_id,
                query=TERM,
                term_id=term_id,
            ),
        )
    return Result(
        run_ids=[run_id], outcomes={"naver": "ok", "google": "quota"}, new_by_case={case_id: 1}, exit_code=3
    )


SENSITIVE = (TERM, LABEL, "leak.example", EXPOSURE_URL)


def test_delivered_once_with_counts_and_nothing_sensitive(
    store: Store, database_url: str, tmp_path: Path, sink: tuple[Sink, int]
) -> None:
    received, port = sink
    settings = settings_with(database_url, tmp_path, f"json://127.0.0.1:{port}/hook")
    result = a_night(store)
    outcome = notify_result(store, settings, result)
    assert outcome is not None and outcome.ok and outcome.delivered == 1
    assert len(received.bodies) == 1 and received.paths == ["/hook"]
    posted = received.bodies[0]
    message = str(posted["message"])
    assert posted["title"] == "jikimi: 1 new exposure, 1 source could not search"
    assert f"  case #{result.run_ids and next(iter(result.new_by_case))}: 1" in message
    assert "WARNING: google is over its quota: its results are missing, not empty." in message
    assert posted["type"] == "warning"
    raw = json.dumps(posted, ensure_ascii=False)
    for secret in SENSITIVE:
        assert secret not in raw
    assert get_meta(store, health.NOTIFY_LAST_SENT)
    marker = get_meta(store, f"{health.NOTIFY_RUN_PREFIX}{result.run_ids[0]}")
    assert marker is not None and marker.startswith("sent ")

    # A re-run after a crash (same runs) does not notify twice.
    assert notify_result(store, settings, result) is None
    assert len(received.bodies) == 1


def test_labels_only_when_the_operator_opts_in(
    store: Store, database_url: str, tmp_path: Path, sink: tuple[Sink, int]
) -> None:
    received, port = sink
    settings = settings_with(database_url, tmp_path, f"json://127.0.0.1:{port}/", labels=True)
    result = a_night(store)
    notify_result(store, settings, result)
    message = str(received.bodies[0]["message"])
    assert LABEL in message
    assert TERM not in message and "leak.example" not in message


def test_a_failed_notification_is_recorded_masked_and_shown(
    store: Store,
    database_url: str,
    tmp_path: Path,
    closed_port: int,
    sink: tuple[Sink, int],
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    received, port = sink
    broken = f"json://advocate:tok3n-SECRET@127.0.0.1:{closed_port}/hooks/path-SECRET?key=q-SECRET"
    settings = settings_with(database_url, tmp_path, f"json://127.0.0.1:{port}/ok", broken)
    caplog.set_level(logging.DEBUG)
    result = a_night(store)
    outcome = notify_result(store, settings, result)
    assert outcome is not None and outcome.delivered == 1 and len(outcome.errors) == 1
    assert len(received.bodies) == 1, "the working URL still got its message"
    error = outcome.errors[0]
    assert error.startswith("notify.urls[1] (json): ")
    assert "refused" in error.lower() or "connection" in error.lower(), error

    recorded = get_meta(store, health.NOTIFY_LAST_ERROR)
    assert recorded is not None and recorded.startswith("notify.urls[1] (json): ")
    captured = capfd.readouterr()
    everything = " ".join(
        [
            recorded,
            error,
            caplog.text,
            captured.out,
            captured.err,
            *get_meta_prefix(store, "notify.").values(),
        ]
    )
    for secret in ("tok3n-SECRET", "path-SECRET", "q-SECRET", "advocate:"):
        assert secret not in everything, secret
    assert "notification failed: notify.urls[1] (json)" in caplog.text, "logged, not swallowed"

    status = health.scheduler_status(store)
    assert status["notify"]["failing"] is True
    assert any(
        n.startswith("the last notification failed: notify.urls[1]") for n in health.status_notices(status)
    )

    # The next good delivery clears the failure from status.
    settings_ok = settings_with(database_url, tmp_path, f"json://127.0.0.1:{port}/ok")
    notify_result(store, settings_ok, Result(run_ids=[result.run_ids[0] + 1000], outcomes={"naver": "ok"}))
    assert health.scheduler_status(store)["notify"]["failing"] is False


def test_an_invalid_url_is_named_not_printed(tmp_path: Path) -> None:
    settings = settings_with(
        "sqlite:///" + str(tmp_path / "x.sqlite"), tmp_path, "notaservice://sekrit-token/x"
    )
    outcome = send(settings, "t", "b")
    assert outcome.errors == ("notify.urls[0] (notaservice): not a valid Apprise URL",)


def test_nothing_configured_sends_and_claims_nothing(store: Store, database_url: str, tmp_path: Path) -> None:
    settings = settings_with(database_url, tmp_path)
    assert notify_result(store, settings, Result(run_ids=[1])) is None
    assert get_meta_prefix(store, "notify.") == {}


def test_claimed_but_unconfirmed_runs_show_in_status(store: Store) -> None:
    from storage.meta import claim_meta

    assert claim_meta(store, [f"{health.NOTIFY_RUN_PREFIX}41"], "claimed 2026-03-01T00:00:00+00:00")
    status = health.scheduler_status(store)
    assert status["notify"]["unconfirmed_runs"] == [41]
    assert any("run(s) 41" in n for n in health.status_notices(status))


@pytest.mark.parametrize(
    "url",
    [
        "tgram://123456:AAbot-token/987654",
        "discord://webhook-id/webhook-token",
        "mailto://user:app-password@gmail.com?to=advocate@example.org",
        "ntfys://private-topic-name",
    ],
)
def test_masking_removes_every_url_part(url: str) -> None:
    leaky = f"Failed to send to {url.split('://', 1)[1]} (https://api.example/bot{url[-12:]}/send) {url}"
    masked = mask_url_secrets(leaky, url)
    for part in ("bot-token", "webhook-token", "app-password", "private-topic-name", "advocate@example.org"):
        assert part not in masked
