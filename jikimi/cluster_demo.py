"""`make cluster-demo`: one pass over the sandbox web spread across two Scrapyd nodes on this machine.

Creates a fresh database on the local PostgreSQL server (`JIKIMI_DEMO_PG`, default
`postgresql://postgres@localhost/test` as the admin connection), starts the sandbox and two Scrapyd nodes on
loopback ports, registers three fictional cases, runs one pass with `[cluster]` pointing at both nodes, prints
each node's share, then stops everything and drops the database.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

# Fictional people of the sandbox world: (label, [(term, kind)]).
WORLD: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    ("연습 사례 A (fictional)", (("홍길동", "name"), ("gildong_hong", "handle"))),
    ("연습 사례 B (fictional)", (("성춘향", "name"),)),
    ("연습 사례 C (fictional)", (("이몽룡", "name"),)),
)

SOURCES = """\
[network]
allow_private_addresses = true   # only because the sandbox lives on 127.0.0.1
download_delay = 0.0
download_timeout = 5.0

[sources.naver]
base_url = "{sandbox}/ok/naver"
client_id = "demo-id"
client_secret = "demo-secret"
verticals = ["webkr", "blog"]
{naver_budget}
[sources.kakao]
base_url = "{sandbox}/ok/kakao"
api_key = "demo-key"
verticals = ["web"]

[sources.brave]
base_url = "{sandbox}/ok/brave"
api_key = "demo-key"

[sources.duckduckgo]
base_url = "{sandbox}/ok/duckduckgo"

[sources.telegram]
base_url = "{sandbox}/telegram"
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def world_config(
    sandbox_url: str,
    database_url: str,
    nodes: Sequence[str] = (),
    *,
    shards: int = 4,
    naver_budget: int | None = None,
    naver_max_pages: int | None = None,
) -> str:
    budget = f"daily_budget = {naver_budget}\n" if naver_budget is not None else ""
    if naver_max_pages is not None:
        budget += f"max_pages = {naver_max_pages}\n"
    text = f'database_url = "{database_url}"\n\n' + SOURCES.format(sandbox=sandbox_url, naver_budget=budget)
    if nodes:
        listed = ", ".join(f'"{url}"' for url in nodes)
        text += (
            f"\n[cluster]\nscrapyd = [{listed}]\nshards = {shards}\npoll_interval = 0.5\nnode_grace = 3.0\n"
        )
    return text


def register_world(jikimi: Callable[..., str]) -> list[int]:
    """Open the fictional cases through the CLI; `jikimi(*args)` runs one command and returns its stdout."""
    jikimi("init")
    case_ids: list[int] = []
    for label, terms in WORLD:
        out = jikimi(
            "case", "add", "--label", label, "--consent", "fictional demo person, demo consent", "--json"
        )
        case_id = int(json.loads(out)["id"])
        case_ids.append(case_id)
        for text, kind in terms:
            jikimi("term", "add", str(case_id), text, "--kind", kind)
    jikimi("target", "add", "https://t.me/s/hongnews", "--case", str(case_ids[0]))
    return case_ids


@contextmanager
def postgres_database(admin_url: str) -> Iterator[str]:
    """A new, empty database on the local server, dropped afterwards."""
    import sqlalchemy as sa

    name = f"jikimi_cluster_{secrets.token_hex(5)}"
    engine = sa.create_engine(
        admin_url.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT"
    )
    with engine.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield f"{admin_url.rsplit('/', 1)[0]}/{name}"
    finally:
        with engine.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()


def cli_runner(env: dict[str, str]) -> Callable[..., str]:
    def jikimi(*args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "jikimi", *args], env=env, capture_output=True, text=True, check=False
        )
        if done.returncode != 0:
            raise SystemExit(
                f"cluster-demo: `jikimi {args[0]} ...` exited {done.returncode}: {done.stderr.strip()}"
            )
        return done.stdout

    return jikimi


def main() -> int:
    from jikimi.scrapyd_node import start_node
    from sandbox.server import SandboxServer

    admin = os.environ.get("JIKIMI_DEMO_PG", "postgresql://postgres@localhost/test")
    data = Path(tempfile.mkdtemp(prefix="jikimi-cluster-demo-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("JIKIMI_")}
    env.update(JIKIMI_DATA_DIR=str(data), JIKIMI_CONFIG=str(data / "config.toml"))
    ports = [free_port(), free_port()]
    nodes = [f"http://127.0.0.1:{port}" for port in ports]
    with postgres_database(admin) as database_url, SandboxServer() as sandbox:
        (data / "config.toml").write_text(world_config(sandbox.url, database_url, nodes), encoding="utf-8")
        print(f"sandbox web: {sandbox.url} (fictional content only)")
        print(f"database: a new PostgreSQL database on the local server; data directory {data}")
        jikimi = cli_runner(env)
        register_world(jikimi)
        started = [start_node(data / f"node-{i}", port, env) for i, port in enumerate(ports)]
        try:
            print(f"scrapyd nodes: {', '.join(nodes)}")
            print("$ jikimi run")
            done = subprocess.run([sys.executable, "-m", "jikimi", "run"], env=env, check=False)
            print(f"(exit {done.returncode})")
            print("$ jikimi status")
            subprocess.run([sys.executable, "-m", "jikimi", "status"], env=env, check=False)
            status = json.loads(jikimi("status", "--json"))
            shares: dict[str, int] = {}
            for shard in status.get("cluster", {}).get("shards", []):
                shares[str(shard["node"])] = shares.get(str(shard["node"]), 0) + 1
            print("per-node share of the pass (shard stages run):")
            for node in nodes:
                print(f"  {node}: {shares.get(node, 0)}")
            exposures = json.loads(jikimi("exposures", "list", "--json"))
            print(f"exposures recorded: {len(exposures)} (each once)")
        finally:
            for running in started:
                running.stop()
    print(f"\nnodes, sandbox and database stopped. The demo's data directory stays in {data}.")
    return 0 if done.returncode in (0, 3) else 1


if __name__ == "__main__":
    sys.exit(main())
