"""Console benchmark (run by `make bench`, not a test): the triage page of a case with 10,000 exposures,
and sign-in with Argon2id at argon2-cffi's default (RFC 9106 recommended) cost.

Targets: the triage page renders server-side in under 300 ms median (one page of 50, ranked by score,
names masked and highlighted, read audited), and a sign-in (password hash check, TOTP, session) takes
under 1 s. Both go through Flask's test client: the figures are the application's, not the network's.
A real SQLite file; exposures are inserted as rows (encrypted like the crawler's) to keep set-up short.
`--exposures/--rounds` shrink it for a quick look.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyotp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from jikimi.config import WebSettings, load_settings
from storage.cases import Consent, add_term, create_case
from storage.database import open_store
from storage.keyring import create_keyring_file
from storage.models import Case, Exposure, Sighting
from storage.users import add_user, grant
from tests.support.web import csrf_token
from web import create_app

PASSWORD = "a long benchmark password"
TERM = "홍길순"
PAGE_TARGET_MS = 300.0
SIGN_IN_TARGET_MS = 1000.0


def seed(store: object, case_id: int, count: int) -> None:
    from storage.database import Store

    assert isinstance(store, Store)
    rng = random.Random(7)
    now = datetime.now(UTC)
    with store.session() as session:
        case = session.get(Case, case_id)
        assert case is not None
        cipher = store.crypto.for_case(case.key_id)
        for n in range(count):
            url = f"https://blog.example.com/post/{n}"
            score = rng.randint(0, 100)
            row = Exposure(
                case_id=case_id,
                url_idx=store.crypto.index("url", url),
                canonical_url_ct=cipher.encrypt(url),
                url_ct=cipher.encrypt(url),
                domain_ct=cipher.encrypt("blog.example.com"),
                platform="naver_blog",
                title_ct=cipher.encrypt(f"{TERM} 관련 글 {n}"),
                snippet_ct=cipher.encrypt(f"가나다고 2학년 {TERM} 사진 유포 {n} 오늘 올라온 글입니다"),
                confidence="snippet",
                variant="exact",
                score=float(score),
                tier="strong" if score > 70 else "likely" if score > 40 else "weak",
                reasons=["exact name", "school named nearby"],
                first_seen=now - timedelta(minutes=n),
                last_seen=now,
                status="new",
            )
            session.add(row)
            session.flush()
            session.add(Sighting(exposure_id=row.id, source="naver", seen_at=now))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--exposures", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--sign-ins", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        keyring = create_keyring_file(Path(tmp) / "jikimi.key")
        store = open_store(f"sqlite:///{tmp}/jikimi.sqlite", keyring, initialise=True)
        settings = replace(
            load_settings(env={"JIKIMI_DATA_DIR": tmp}), web=WebSettings(login_rate_limit="10000 per minute")
        )
        case_id = create_case(store, "사례", Consent("victim, signed form", "bench", "2026-12-01"))
        add_term(store, case_id, TERM, context=["가나다고"])
        started = time.perf_counter()
        seed(store, case_id, args.exposures)
        print(f"seeded {args.exposures} exposures in {time.perf_counter() - started:.1f} s")
        secrets = {}
        for n in range(args.sign_ins):
            secrets[f"user{n}"] = add_user(store, f"user{n}", "advocate", PASSWORD).totp_secret
            grant(store, case_id, f"user{n}", by="bench")
        app = create_app(store, settings)

        sign_ins = []
        clients = []
        for name, secret in secrets.items():
            client = app.test_client()
            token = csrf_token(client.get("/login").get_data(as_text=True))
            begin = time.perf_counter()
            response = client.post(
                "/login",
                data={
                    "username": name,
                    "password": PASSWORD,
                    "otp": pyotp.TOTP(secret).now(),
                    "csrf_token": token,
                },
            )
            sign_ins.append((time.perf_counter() - begin) * 1000)
            assert response.status_code == 302, response.status_code
            clients.append(client)

        client = clients[0]
        pages = max(1, args.exposures // 50)
        timings = []
        for n in range(args.rounds):
            begin = time.perf_counter()
            response = client.get(f"/cases/{case_id}/triage?page={1 + (n * 37) % pages}")
            timings.append((time.perf_counter() - begin) * 1000)
            assert response.status_code == 200 and "<mark>" in response.get_data(as_text=True)
        store.close()

    page_ms = statistics.median(timings)
    sign_in_ms = statistics.median(sign_ins)
    print(
        f"triage page ({args.exposures} exposures, 50 a page): median {page_ms:.0f} ms, "
        f"max {max(timings):.0f} ms (target < {PAGE_TARGET_MS:.0f})"
    )
    print(
        f"sign-in (Argon2id default cost + TOTP): median {sign_in_ms:.0f} ms, "
        f"max {max(sign_ins):.0f} ms (target < {SIGN_IN_TARGET_MS:.0f})"
    )
    ok = page_ms < PAGE_TARGET_MS and sign_in_ms < SIGN_IN_TARGET_MS
    print("ok" if ok else "over target")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
