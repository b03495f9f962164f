"""`make demo`: the main job end to end, offline, on a fresh SQLite database and key.

Starts the sandbox web (fictional engines, pages and channels), registers a fictional case, runs a
pass, shows the exposures and the export, runs a second pass to show nothing is recorded twice,
creates a console account for the case, then stops the sandbox and says how to open the console.
Everything lives in a new temporary data directory.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import secrets
import sys
import tempfile
from pathlib import Path

from jikimi.cli import main as jikimi

CONFIG = """\
# Written by the demo: every source points at the local sandbox, so nothing leaves this machine.
export_dir = "{data}/exports"

[network]
allow_private_addresses = true   # only because the sandbox lives on 127.0.0.1
download_delay = 0.0

[sources.naver]
base_url = "{sandbox}/ok/naver"
client_id = "demo-id"
client_secret = "demo-secret"
verticals = ["webkr", "blog"]

[sources.kakao]
base_url = "{sandbox}/ok/kakao"
api_key = "demo-key"
verticals = ["web"]

[sources.brave]
base_url = "{sandbox}/ok/brave"
api_key = "demo-key"

[sources.searxng]
base_url = "{sandbox}/partial/searxng"

[sources.duckduckgo]
base_url = "{sandbox}/ok/duckduckgo"

[sources.telegram]
base_url = "{sandbox}/telegram"
"""


def _step(title: str) -> None:
    print(f"\n== {title}", flush=True)


def _run(*args: str, expect: tuple[int, ...] = (0,)) -> int:
    print("$ jikimi " + " ".join(args), flush=True)
    code = jikimi(list(args))
    if code not in expect:
        raise SystemExit(f"demo: `jikimi {' '.join(args)}` exited {code}")
    return code


def _capture(*args: str) -> str:
    import contextlib
    import io

    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        code = jikimi(list(args))
    if code != 0:
        raise SystemExit(f"demo: `jikimi {' '.join(args)}` exited {code}")
    return buffer.getvalue()


def _console_user(case_id: int) -> dict[str, str]:
    """A demo advocate for the console, granted the demo case (fictional data: its password is printed)."""
    _step("7. a console account for the demo case")
    password = secrets.token_urlsafe(12)
    print("$ jikimi user add demo --role advocate --password-stdin --json", flush=True)
    with contextlib.redirect_stdout(io.StringIO()) as out:
        saved, sys.stdin = sys.stdin, io.StringIO(password + "\n")
        try:
            code = jikimi(["user", "add", "demo", "--role", "advocate", "--password-stdin", "--json"])
        finally:
            sys.stdin = saved
    if code != 0:
        raise SystemExit("demo: `jikimi user add` failed")
    created = json.loads(out.getvalue())
    _run("case", "grant", str(case_id), "demo")
    return {"username": "demo", "password": password, "totp_secret": str(created["totp_secret"])}


def main() -> int:
    from sandbox.server import SandboxServer

    data = Path(tempfile.mkdtemp(prefix="jikimi-demo-"))
    os.environ.pop("JIKIMI_KEYRING", None)
    os.environ.pop("JIKIMI_DATABASE_URL", None)
    os.environ["JIKIMI_DATA_DIR"] = str(data)
    os.environ["JIKIMI_CONFIG"] = str(data / "config.toml")
    with SandboxServer() as sandbox:
        (data / "config.toml").write_text(CONFIG.format(data=data, sandbox=sandbox.url), encoding="utf-8")
        print(f"sandbox web: {sandbox.url} (fictional content only)")
        print(f"data directory: {data}")
        _step("1. initialise a fresh database and key")
        _run("init")
        _step("2. open a fictional case with consent and register its watch terms")
        case_id = json.loads(
            _capture(
                "case",
                "add",
                "--label",
                "연습 사례 (fictional)",
                "--consent",
                "fictional demo person, 2026-11-23, demo consent form",
                "--json",
            )
        )["id"]
        _run("term", "add", str(case_id), "홍길동", "--kind", "name", "--context", "가나다고")
        _run("term", "add", str(case_id), "gildong_hong", "--kind", "handle")
        _run("target", "add", "https://t.me/s/hongnews", "--case", str(case_id))
        _step("3. first pass: ask every engine, read the watched channel")
        _run("run", expect=(0, 3))
        first = json.loads(_capture("exposures", "list", "--json"))
        _step(f"4. {len(first)} exposure(s) found, most certain first (score, tier, reasons)")
        _run("exposures", "list")
        tiers = {t: [e for e in first if e["tier"] == t] for t in ("strong", "likely", "weak")}
        print(", ".join(f"{len(found)} {tier}" for tier, found in tiers.items()))
        if first:
            print(f"why the first one ranks first: {'; '.join(first[0]['reasons'])}")
        _step("5. the morning delivery: strong and likely only; weak ones (namesakes) wait for review")
        export = data / "exports" / "demo-export.html"
        _run("export", "--format", "html", "--output", str(export), "--new", "--for", "takedown-team")
        print(f"HTML report for the takedown team: {export}")
        delivered = json.loads(_capture("export", "batches", "--for", "takedown-team", "--json"))[0]["count"]
        print(f"delivered {delivered}; kept back for review: {len(tiers['weak'])} weak")
        _step("6. second pass: the same results again, nothing recorded twice")
        _run("run", expect=(0, 3))
        second = json.loads(_capture("exposures", "list", "--json"))
        print(f"exposures after the first pass: {len(first)}, after the second: {len(second)}")
        if len(second) != len(first):
            print("note: the second pass found exposures the first did not (new content), none twice")
        urls = [e["url"] for e in second]
        if len(urls) != len(set(urls)):
            raise SystemExit("demo: an exposure was recorded twice")
        _run("status")
        console = _console_user(case_id)
    print(f"\nsandbox stopped. The demo data stays in {data} (fictional); delete it when done.")
    print(
        "\n== open the demo in the web console\n"
        f"  JIKIMI_DATA_DIR={data} JIKIMI_CONFIG={data / 'config.toml'} .venv/bin/jikimi web\n"
        "  then open http://127.0.0.1:8080/ and sign in as "
        f"`{console['username']}` with the password `{console['password']}` and a one-time code from an\n"
        f"  authenticator app holding the secret {console['totp_secret']}, or from:\n"
        f"  .venv/bin/python -c \"import pyotp; print(pyotp.TOTP('{console['totp_secret']}').now())\""
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
