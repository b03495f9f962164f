"""Score, tier and reasons: the pure rules, what storage keeps (SQLite and PostgreSQL), the CLI end to end."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from matching import Matcher, TermSpec
from sandbox.server import SandboxServer
from storage.database import Store
from storage.exposures import Observation, get_exposure, record_observation
from storage.scoring import Signals, assess
from storage.targets_state import record_evidence
from tests.support.home import JikimiHome
from tests.support.triage import run_case

T0 = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)


# --- the pure rules ---


def test_exact_name_with_school_and_keyword_is_strong() -> None:
    result = assess(
        Signals(
            seen="snippet",
            variant="exact",
            match_confidence=1.0,
            level="high",
            term_kind="name",
            context=frozenset({"case", "keyword"}),
            search_sources=3,
        )
    )
    assert result.tier == "strong" and result.score >= 75
    assert any("school" in r for r in result.reasons) and any("exploitation" in r for r in result.reasons)


def test_respelled_namesake_without_second_signal_is_weak() -> None:
    result = assess(
        Signals(seen="page", variant="respelled", match_confidence=0.5, level="low", term_kind="name")
    )
    assert result.tier == "weak" and result.score < 40
    assert any("respelled" in r for r in result.reasons)
    assert any("low-level match with no second signal" in r for r in result.reasons)


def test_engine_only_hit_the_page_did_not_confirm_is_weak_even_when_many_engines_saw_it() -> None:
    result = assess(Signals(seen="engine", search_sources=5, unconfirmed=True))
    assert result.tier == "weak"
    assert any("did not confirm" in r for r in result.reasons)


def test_a_name_alone_is_weak_but_a_handle_alone_is_not() -> None:
    name = assess(
        Signals(seen="snippet", variant="exact", match_confidence=1.0, level="high", term_kind="name")
    )
    handle = assess(
        Signals(seen="snippet", variant="handle", match_confidence=1.0, level="high", term_kind="handle")
    )
    assert name.tier == "weak" and handle.tier in ("likely", "strong")
    assert handle.score > name.score


def test_watched_target_is_a_strong_prior_and_reupload_counts() -> None:
    watched = assess(
        Signals(
            seen="page", variant="spacing", match_confidence=0.9, level="high", term_kind="name", watched=True
        )
    )
    assert watched.tier == "strong"
    assert any("watched" in r for r in watched.reasons)
    reupload = assess(
        Signals(
            seen="snippet",
            variant="exact",
            match_confidence=1.0,
            level="high",
            term_kind="name",
            reupload=True,
        )
    )
    assert reupload.tier in ("likely", "strong")


def test_score_bands_agree_with_tiers() -> None:
    for seen in ("engine", "snippet", "page"):
        for level, confidence in (("high", 1.0), ("low", 0.45), (None, None)):
            for context in (frozenset(), frozenset({"case"}), frozenset({"keyword", "case"})):
                for watched in (False, True):
                    r = assess(
                        Signals(
                            seen=seen,
                            variant="exact",
                            match_confidence=confidence,
                            level=level,
                            term_kind="name",
                            context=context,
                            watched=watched,
                        )
                    )
                    expected = "strong" if r.score >= 75 else "likely" if r.score >= 40 else "weak"
                    assert r.tier == expected and 0 <= r.score <= 100


def test_reasons_never_carry_the_term() -> None:
    r = assess(
        Signals(
            seen="snippet",
            variant="exact",
            match_confidence=1.0,
            level="high",
            term_kind="name",
            context=frozenset({"case", "generic"}),
        )
    )
    assert not any("홍" in reason for reason in r.reasons)


# --- stored and recomputed (SQLite and PostgreSQL) ---


@pytest.fixture
def case_and_matcher(store: Store) -> Iterator[tuple[Store, int, Matcher]]:
    from storage.cases import Consent, add_term, create_case

    consent = Consent(statement="v, form", recorded_by="a", recorded_at="2026-11-20")
    case_id = create_case(store, "사례", consent)
    term_id = add_term(store, case_id, "한소율", kind="name", context=["가나다고"])
    matcher = Matcher.build([TermSpec(case_id, term_id, "한소율", context=("가나다고",))])
    yield store, case_id, matcher


def _observe(store: Store, case_id: int, matcher: Matcher, url: str, text: str, source: str) -> int:
    from storage.database import Store

    assert isinstance(store, Store)
    [match] = matcher.scan(text)
    obs = Observation(
        case_id=case_id,
        url=url,
        canonical_url=url,
        domain="forum.example",
        platform="web",
        title=None,
        snippet=text,
        confidence="snippet",
        source=source,
        seen_at=T0,
        variant=match.variant,
        match_confidence=match.confidence,
        match_level=match.level,
        context=match.context,
        term_id=match.term_id,
    )
    with store.session() as session:
        exposure_id, _ = record_observation(session, store.crypto, obs)
    return exposure_id


def test_stored_score_follows_the_evidence(case_and_matcher: tuple[Store, int, Matcher]) -> None:
    from storage.database import Store
    from storage.models import Exposure

    store, case_id, matcher = case_and_matcher
    assert isinstance(store, Store)
    url = "https://forum.example/t/1"
    namesake = _observe(store, case_id, matcher, url, "한소을 졸업 축하해요", "naver")
    view = get_exposure(store, namesake)
    assert view.tier == "weak" and view.score is not None and view.score < 40
    assert view.match_level == "low" and view.variant == "respelled"
    assert any("respelled" in r for r in view.reasons)

    # The exact name next to the school, seen again by another engine: the same exposure rises.
    _observe(store, case_id, matcher, url, "가나다고 한소율 갠텔 주세요", "kakao")
    view = get_exposure(store, namesake)
    assert view.tier == "strong", view.reasons
    assert any("2 search engines" in r for r in view.reasons)
    before = view.score

    # A page check that read the page without the term lowers it, in the same transaction as the evidence.
    with store.session() as session:
        record_evidence(
            session,
            namesake,
            run_id=None,
            purpose="verify",
            http_status=200,
            text_sha256=None,
            outcome="term-absent",
        )
    view = get_exposure(store, namesake)
    assert view.score is not None and before is not None and view.score < before
    assert any("did not show the term" in r for r in view.reasons)
    with store.session() as session:
        stored = session.scalars(select(Exposure.tier).where(Exposure.id == namesake)).one()
    assert stored == view.tier


def test_migration_scores_existing_exposures(database_url: str, tmp_path: Path) -> None:
    """A database from before scores (0005) gets a score, tier and reasons for every exposure on upgrade."""
    from alembic import command
    from sqlalchemy import text

    from storage.database import _alembic_config, make_engine

    (tmp_path / "db").mkdir(exist_ok=True)
    engine = make_engine(database_url)
    command.upgrade(_alembic_config(engine), "0005")
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO cases (id, key_id, label_ct, consent_ct, status, created_at)"
                " VALUES (1, 'k', 'x', 'x', 'open', '2026-11-24 00:00:00')"
            )
        )
        for i, (confidence, variant, score) in enumerate(
            [("snippet", "exact", 1.0), ("engine", "engine", 0.0), ("snippet", "respelled", 0.5)], start=1
        ):
            conn.execute(
                text(
                    "INSERT INTO exposures (id, case_id, url_idx, canonical_url_ct, url_ct, domain_ct,"
                    " platform,"
                    " confidence, variant, score, first_seen, last_seen, status)"
                    " VALUES (:id, 1, :idx, 'x', 'x', 'x', 'web', :c, :v, :s, '2026-11-24 00:00:00',"
                    " '2026-11-24 00:00:00', 'new')"
                ),
                {"id": i, "idx": f"i{i}", "c": confidence, "v": variant, "s": score},
            )
            conn.execute(
                text(
                    "INSERT INTO sightings (exposure_id, source, seen_at) VALUES (:id, 'naver', '2026-11-24')"
                ),
                {"id": i},
            )
    command.upgrade(_alembic_config(engine), "head")
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT id, score, tier, reasons, match_confidence FROM exposures ORDER BY id")
        ).all()
    assert [r.tier for r in rows] == ["weak", "weak", "weak"]  # a name alone, engine only, a respelling
    assert rows[0].match_confidence == 1.0 and rows[0].score > rows[2].score
    assert all(json.loads(r.reasons) if isinstance(r.reasons, str) else r.reasons for r in rows)
    engine.dispose()


# --- the command line, end to end against the sandbox ---


NAMESAKE_TITLES = (
    "독후감",
    "닉네임",
    "목공방",
    "은행 서식",
    "리마스터",
    "축제 개막",
    "고전 캐릭터",
    "팩트체크",
)
ABUSE_TITLES = ("지인능욕", "딥페이크", "겹지인방", "신상", "합성")


def test_cli_ranks_true_exposures_above_namesakes(home: JikimiHome, sandbox: SandboxServer) -> None:
    run_case(home, sandbox)
    listed = json.loads(home.ok("exposures", "list", "--json"))
    assert listed, "the run found nothing"
    scores = [e["score"] for e in listed]
    assert scores == sorted(scores, reverse=True)
    namesakes = [e for e in listed if any(t in (e["title"] or "") for t in NAMESAKE_TITLES)]
    abuse = [e for e in listed if any(t in (e["title"] or "") for t in ABUSE_TITLES)]
    assert namesakes and abuse
    assert {e["tier"] for e in namesakes} == {"weak"}, [(e["title"], e["reasons"]) for e in namesakes]
    assert {e["tier"] for e in abuse} <= {"strong", "likely"}
    assert min(e["score"] for e in abuse) > max(e["score"] for e in namesakes)
    for e in listed:
        assert e["reasons"] and all(isinstance(r, str) for r in e["reasons"])
        assert not any("홍길동" in r for r in e["reasons"])

    top = listed[0]
    shown = json.loads(home.ok("exposure", "show", str(top["id"]), "--json"))
    assert (shown["score"], shown["tier"], shown["reasons"]) == (top["score"], top["tier"], top["reasons"])
    text = home.ok("exposure", "show", str(top["id"]))
    assert f"score: {top['score']}/100 · tier: {top['tier']}" in text and top["reasons"][0] in text

    weak_only = json.loads(home.ok("exposures", "list", "--tier", "weak", "--json"))
    assert {e["id"] for e in weak_only} == {e["id"] for e in listed if e["tier"] == "weak"}

    out = home.data_dir / "all.csv"
    home.ok("export", "--format", "csv", "--output", str(out))
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert [int(r["id"]) for r in rows] == [e["id"] for e in listed]
    assert {"score", "tier", "reasons"} <= set(rows[0])
    assert [int(r["score"]) for r in rows] == scores
    jsonl = home.data_dir / "all.jsonl"
    home.ok("export", "--format", "jsonl", "--output", str(jsonl))
    records = [json.loads(line) for line in jsonl.read_text(encoding="utf-8").splitlines()]
    assert [(r["score"], r["tier"], r["reasons"]) for r in records] == [
        (e["score"], e["tier"], e["reasons"]) for e in listed
    ]
    html = home.data_dir / "all.html"
    home.ok("export", "--format", "html", "--output", str(html))
    page = html.read_text(encoding="utf-8")
    assert page.index(">strong <") < page.index(">weak <")
