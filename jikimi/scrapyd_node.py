"""Start a Scrapyd node that runs jikimi's spiders from the installed packages (no egg to deploy).

Scrapyd runs a project named in its config's `[settings]` section from that settings module, so a node is
just `scrapyd` started in a directory holding this `scrapyd.conf`, in an environment where jikimi is
installed and `JIKIMI_CONFIG` / `JIKIMI_KEY_FILE` point at the same configuration and key as the scheduler.
Used by `make cluster-demo`, the cluster tests and benchmark; docs/cluster.md shows the same for systemd.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

SCRAPYD_CONF = """\
# A jikimi crawl node. Jobs live in memory: a restarted node forgets them, and the scheduler re-runs
# its shards.
[scrapyd]
bind_address = {host}
http_port = {port}
max_proc = {max_proc}
poll_interval = 0.5
logs_dir = {workdir}/logs
eggs_dir = {workdir}/eggs
dbs_dir = {workdir}/dbs
items_dir =
jobs_to_keep = 20
finished_to_keep = 200
{auth}
[settings]
{project} = crawler.settings
"""


@dataclass
class Node:
    url: str
    workdir: Path
    process: subprocess.Popen[bytes]

    def stop(self, sig: int = signal.SIGTERM) -> None:
        """Stop the node and every crawl it started (they share its process group)."""
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, sig)
            except ProcessLookupError:
                return
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(15)


def write_conf(
    workdir: Path,
    port: int,
    *,
    host: str = "127.0.0.1",
    project: str = "jikimi",
    max_proc: int = 2,
    username: str = "",
    password: str = "",
) -> Path:
    workdir.mkdir(parents=True, exist_ok=True, mode=0o700)
    auth = f"username = {username}\npassword = {password}\n" if username else ""
    conf = workdir / "scrapyd.conf"
    conf.write_text(
        SCRAPYD_CONF.format(
            host=host, port=port, max_proc=max_proc, workdir=workdir, auth=auth, project=project
        ),
        encoding="utf-8",
    )
    conf.chmod(0o600)
    # Scrapy itself (`scrapy list`, `scrapy crawl` started by Scrapyd in this directory) finds the project's
    # settings module through a scrapy.cfg, keyed by the SCRAPY_PROJECT name Scrapyd sets.
    (workdir / "scrapy.cfg").write_text(f"[settings]\n{project} = crawler.settings\n", encoding="utf-8")
    return conf


def start_node(
    workdir: Path, port: int, env: dict[str, str], *, max_proc: int = 2, wait: float = 30.0
) -> Node:
    """Start `scrapyd` in `workdir` (it reads ./scrapyd.conf) and wait until it answers."""
    write_conf(workdir, port, max_proc=max_proc)
    log = (workdir / "scrapyd.out").open("ab")
    process = subprocess.Popen(
        [sys.executable, "-m", "scrapyd"],
        cwd=workdir,
        env={**env, "PYTHONUNBUFFERED": "1"},
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"scrapyd on port {port} exited at start; see {workdir / 'scrapyd.out'}")
        try:
            # Loopback URL built above, not user input.
            with urllib.request.urlopen(f"{url}/daemonstatus.json", timeout=1) as response:  # nosec B310
                if response.status == 200:
                    return Node(url=url, workdir=workdir, process=process)
        except OSError:
            time.sleep(0.2)
    Node(url=url, workdir=workdir, process=process).stop(signal.SIGKILL)
    raise RuntimeError(f"scrapyd on port {port} did not answer within {wait:.0f} s")
