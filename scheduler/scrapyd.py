"""A small client for Scrapyd's JSON API: schedule a spider, list jobs, ask a node how it is.

Only what the dispatcher needs (`schedule.json`, `listjobs.json`, `daemonstatus.json`, `cancel.json`).
Arguments sent are ids only (run, shard, ledger row): Scrapyd shows them in its web UI and process list,
so a term or label must never be one.
"""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from typing import Any

from jikimi.config import ScrapydNode


class NodeUnreachableError(Exception):
    """The node did not answer, or answered something that is not Scrapyd's JSON."""


@dataclass(frozen=True)
class NodeJobs:
    """Job ids of one project on one node, by state."""

    pending: frozenset[str] = field(default_factory=frozenset)
    running: frozenset[str] = field(default_factory=frozenset)
    finished: frozenset[str] = field(default_factory=frozenset)

    def knows(self, job_id: str) -> bool:
        return job_id in self.pending or job_id in self.running or job_id in self.finished


class ScrapydClient:
    def __init__(self, node: ScrapydNode, timeout: float = 10.0) -> None:
        self.node = node
        self.timeout = timeout

    def _call(
        self, endpoint: str, params: dict[str, str] | list[tuple[str, str]], post: bool
    ) -> dict[str, Any]:
        query = urllib.parse.urlencode(params)
        url = f"{self.node.url}/{endpoint}"
        data = query.encode() if post else None
        if not post and query:
            url = f"{url}?{query}"
        request = urllib.request.Request(url, data=data, method="POST" if post else "GET")
        if self.node.username:
            token = base64.b64encode(f"{self.node.username}:{self.node.password}".encode()).decode()
            request.add_header("Authorization", f"Basic {token}")
        try:
            # The URL comes from [cluster] scrapyd, validated as http(s) by the config loader.
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # nosec B310
                body = json.loads(response.read(1_000_000))
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise NodeUnreachableError(f"{self.node.url}: {exc.__class__.__name__}") from None
        if not isinstance(body, dict) or body.get("status") != "ok":
            message = body.get("message", "error") if isinstance(body, dict) else "not JSON"
            raise NodeUnreachableError(f"{self.node.url}: {str(message)[:120]}")
        return body

    def schedule(
        self, project: str, spider: str, args: dict[str, str], settings: dict[str, str], *, job_id: str
    ) -> str:
        params: list[tuple[str, str]] = [("project", project), ("spider", spider), ("jobid", job_id)]
        params.extend(args.items())
        params.extend(("setting", f"{k}={v}") for k, v in settings.items())
        body = self._call("schedule.json", params, post=True)
        return str(body["jobid"])

    def jobs(self, project: str) -> NodeJobs:
        body = self._call("listjobs.json", {"project": project}, post=False)

        def ids(key: str) -> frozenset[str]:
            return frozenset(str(job["id"]) for job in body.get(key, []) if isinstance(job, dict))

        return NodeJobs(pending=ids("pending"), running=ids("running"), finished=ids("finished"))

    def status(self) -> dict[str, Any]:
        return self._call("daemonstatus.json", {}, post=False)

    def cancel(self, project: str, job_id: str) -> None:
        self._call("cancel.json", {"project": project, "job": job_id}, post=True)
