"""A small world for the console's tests: two cases, their exposures, and one user of each role.

Case A belongs to alice (advocate), vera (viewer) and ada (admin); case B to bob only. Titles carry
markup a hostile page could send; the watch term of case A is a canary that must never reach a URL
or a log line.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pyotp

from storage.cases import Consent, add_term, create_case
from storage.database import Store
from storage.exposures import Observation, record_observation
from storage.users import add_user, grant

PASSWORD = "a long console password"
CANARY = "홍길순"  # case A's watch term
CANARY_B = "김철수"
HOSTILE_TITLE = f"<script>alert('x')</script><img src=x onerror=\"alert('y')\"> {CANARY} 사진"
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


@dataclass
class World:
    case_a: int
    case_b: int
    exposures_a: list[int]
    exposures_b: list[int]
    secrets: dict[str, str]
    steps: dict[str, int] = field(default_factory=dict)

    def code(self, username: str) -> str:
        """A TOTP code not used before: the current step first, then the next one (accepted for drift)."""
        if username not in self.secrets:
            return "123456"
        used = self.steps.get(username, 0)
        self.steps[username] = used + 1
        return pyotp.TOTP(self.secrets[username]).at(time.time() + (30 if used else 0))


def observe(
    store: Store, case_id: int, n: int, *, title: str, snippet: str, score: float | None = None
) -> int:
    seen = datetime.now(UTC) - timedelta(hours=n)
    obs = Observation(
        case_id=case_id,
        url=f"https://blog.example.com/post/{case_id}-{n}",
        canonical_url=f"https://blog.example.com/post/{case_id}-{n}",
        domain="blog.example.com",
        platform="naver_blog",
        title=title,
        snippet=snippet,
        confidence="snippet",
        source="naver",
        seen_at=seen,
        variant="exact",
        match_confidence=1.0,
        match_level="high",
        context=frozenset({"case"}) if n % 2 == 0 else frozenset(),
    )
    with store.session() as session:
        exposure_id, _created = record_observation(session, store.crypto, obs)
    return exposure_id


def build_world(store: Store, exposures: int = 3) -> World:
    consent = Consent("victim, signed form", "tester", "2026-12-01")
    case_a = create_case(store, "사례 A", consent)
    case_b = create_case(store, "사례 B", consent)
    add_term(store, case_a, CANARY)
    add_term(store, case_b, CANARY_B)
    ids_a = [
        observe(
            store,
            case_a,
            n,
            title=HOSTILE_TITLE if n == 0 else f"{CANARY} 글 {n}",
            snippet=f"가나다 {CANARY} 합성 {n}",
            score=90 - n,
        )
        for n in range(exposures)
    ]
    ids_b = [
        observe(store, case_b, n, title=f"{CANARY_B} 글", snippet=f"{CANARY_B} 유포 {n}") for n in range(2)
    ]
    secrets = {}
    for name, role in (("alice", "advocate"), ("bob", "advocate"), ("vera", "viewer"), ("ada", "admin")):
        secrets[name] = add_user(store, name, role, PASSWORD).totp_secret
    for name in ("alice", "vera", "ada"):
        grant(store, case_a, name, by="tester")
    grant(store, case_b, "bob", by="tester")
    return World(case_a, case_b, ids_a, ids_b, secrets)


def csrf_token(html: str) -> str:
    found = CSRF.search(html)
    assert found, "no CSRF token on the page"
    return found.group(1) or found.group(2)
