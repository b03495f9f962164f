"""One pass spread over Scrapyd nodes: shards by case, stages in order per shard, lost jobs re-run elsewhere.

The dispatcher is the only place that decides; the nodes only crawl. Each shard's stage is a Scrapyd job
of the stage's spider with ids as arguments (`run` = the shard's own child run, `shard` = `K/N`,
`ledger` = its `run_shards` row). The spider marks its ledger row `done` when it closes; a job that
Scrapyd lists as finished without that mark crashed, a job its node no longer knows (Scrapyd keeps jobs in
memory: a restarted node forgets them) or a node that stopped answering is lost. Either way the shard's
stage is scheduled again, on another node when there is one. Every write a spider makes is an idempotent
upsert keyed by (case, canonical URL), so a stage that ran twice changes nothing. Deliveries and
notifications happen once, after every shard has ended, from the scheduler (scheduler/nightly.py).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from jikimi.config import ClusterSettings, ScrapydNode
from scheduler.scrapyd import NodeJobs, NodeUnreachableError, ScrapydClient
from storage.database import Store
from storage.shards import (
    LedgerEntry,
    aggregate_sources,
    create_ledger,
    latest_ledger,
    ledger,
    mark_ledger,
)

logger = logging.getLogger(__name__)

ProgressCallback = Callable[[dict[str, object]], None]


@dataclass
class _NodeState:
    node: ScrapydNode
    client: ScrapydClient
    last_answer: float
    jobs: NodeJobs = field(default_factory=NodeJobs)
    reachable: bool = True


@dataclass
class ClusterOutcome:
    problems: list[str] = field(default_factory=list)
    child_run_ids: list[int] = field(default_factory=list)


def shard_of(case_id: int, shards: int) -> int:
    """Stable across passes while `shards` stays the same: a case keeps its shard from night to night."""
    return case_id % shards


class Dispatcher:
    def __init__(
        self,
        cluster: ClusterSettings,
        store: Store,
        run_id: int,
        stages: Sequence[str],
        *,
        clock: Callable[[], float] = time.monotonic,
        on_event: ProgressCallback | None = None,
        verbose: bool = False,
    ) -> None:
        self.cluster = cluster
        # `jikimi run --verbose` asks the nodes' crawls for INFO lines too, as it asks the local stages.
        self.job_settings = {"LOG_LEVEL": "INFO"} if verbose else {}
        self.store = store
        self.run_id = run_id
        self.stages = tuple(stages)
        self.clock = clock
        self.on_event = on_event
        now = clock()
        self.nodes = [_NodeState(node, ScrapydClient(node), now) for node in cluster.nodes]
        # Ledger rows whose job its node did not list, and since when.
        self._missing: dict[int, float] = {}

    def run(self, deadline: float) -> ClusterOutcome:
        entries = create_ledger(self.store, self.run_id, self.cluster.shards, self.stages)
        outcome = ClusterOutcome(child_run_ids=sorted({e.child_run_id for e in entries}))
        while True:
            self._poll_nodes()
            entries = ledger(self.store, self.run_id)
            for entry in entries:
                self._advance(entry, entries)
            entries = ledger(self.store, self.run_id)
            if all(e.status in ("done", "failed") for e in entries):
                break
            if self.clock() > deadline:
                for entry in entries:
                    if entry.status not in ("done", "failed"):
                        mark_ledger(self.store, entry.id, status="failed", note="the pass ran out of time")
                break
            time.sleep(self.cluster.poll_interval)
        for entry in ledger(self.store, self.run_id):
            if entry.status == "failed":
                outcome.problems.append(
                    f"shard {entry.shard} {entry.stage} failed ({entry.reason or 'no reason recorded'})"
                )
        aggregate_sources(self.store, self.run_id)
        return outcome

    # --- nodes ---

    def _poll_nodes(self) -> None:
        for state in self.nodes:
            try:
                state.jobs = state.client.jobs(self.cluster.project)
            except NodeUnreachableError as exc:
                if state.reachable:
                    logger.warning("scrapyd node %s does not answer (%s)", state.node.url, exc)
                state.reachable = False
                continue
            state.reachable = True
            state.last_answer = self.clock()

    def _lost(self, state: _NodeState) -> bool:
        return not state.reachable and self.clock() - state.last_answer > self.cluster.node_grace

    def _state(self, url: str | None) -> _NodeState | None:
        return next((s for s in self.nodes if s.node.url == url), None)

    def _pick_node(self, avoid: str | None) -> _NodeState | None:
        """The reachable node with the fewest jobs of this pass; another than `avoid` when there is one."""
        candidates = [s for s in self.nodes if s.reachable]
        if avoid is not None and any(s.node.url != avoid for s in candidates):
            candidates = [s for s in candidates if s.node.url != avoid]
        if not candidates:
            return None

        # From the ledger as it is now, not the round's snapshot: that is blind to the jobs this round
        # has already handed out (it would give every shard of a round to the same node).
        current = ledger(self.store, self.run_id)

        def load(state: _NodeState) -> int:
            return sum(
                1 for e in current if e.node == state.node.url and e.status in ("scheduled", "running")
            )

        return min(candidates, key=lambda s: (load(s), self.nodes.index(s)))

    # --- shards ---

    def _advance(self, entry: LedgerEntry, entries: Sequence[LedgerEntry]) -> None:
        if entry.status in ("done", "failed"):
            return
        if entry.status == "pending":
            if self._previous_stage_done(entry, entries):
                self._schedule(entry, avoid=None)
            return
        state = self._state(entry.node)
        if state is None or self._lost(state):
            self._retry(entry, f"node {entry.node} stopped answering")
            return
        if not state.reachable or entry.job_id is None:
            return  # within the grace period: wait for the node to answer again
        if entry.marked_done:
            if entry.job_id in state.jobs.finished or not state.jobs.knows(entry.job_id):
                mark_ledger(self.store, entry.id, status="done", note=f"finished on {entry.node}")
                self._emit("shard-done", entry)
            return
        if entry.job_id in state.jobs.finished:
            self._retry(entry, f"job on {entry.node} ended without finishing its stage")
        elif not state.jobs.knows(entry.job_id):
            # Scrapyd moves a job from its queue to a process in two steps: missing from both lists for
            # a moment is not yet lost.
            since = self._missing.setdefault(entry.id, self.clock())
            if self.clock() - since >= max(3.0, 2 * self.cluster.poll_interval):
                self._retry(entry, f"node {entry.node} does not know the job (restarted?)")
        else:
            self._missing.pop(entry.id, None)
            if entry.job_id in state.jobs.running and entry.status != "running":
                mark_ledger(self.store, entry.id, status="running", note=f"running on {entry.node}")

    def _previous_stage_done(self, entry: LedgerEntry, entries: Sequence[LedgerEntry]) -> bool:
        index = self.stages.index(entry.stage)
        if index == 0:
            return True
        before = self.stages[index - 1]
        return any(
            e.shard == entry.shard and e.stage == before and e.status in ("done", "failed") for e in entries
        )

    def _retry(self, entry: LedgerEntry, why: str) -> None:
        logger.warning("shard %d %s: %s", entry.shard, entry.stage, why)
        if entry.attempts >= self.cluster.max_attempts:
            mark_ledger(
                self.store, entry.id, status="failed", note=f"{why}; gave up after {entry.attempts} attempts"
            )
            return
        mark_ledger(self.store, entry.id, status="lost", note=why)
        self._schedule(entry, avoid=entry.node)

    def _schedule(self, entry: LedgerEntry, avoid: str | None) -> None:
        state = self._pick_node(avoid)
        if state is None:
            return  # no node answers now; the next round tries again
        args = {
            "run": str(entry.child_run_id),
            "shard": f"{entry.shard}/{self.cluster.shards}",
            "ledger": str(entry.id),
        }
        # The job id is ours, written down before asking: a node that takes the job but answers too late is
        # found running it on the next look at its job list, instead of the shard being started twice.
        job_id = f"jikimi-{self.run_id}-{entry.shard}-{entry.stage}-{entry.attempts + 1}"
        mark_ledger(
            self.store,
            entry.id,
            status="scheduled",
            node=state.node.url,
            job_id=job_id,
            attempt=True,
            note=f"scheduled on {state.node.url} as job {job_id}",
        )
        self._missing.pop(entry.id, None)
        try:
            state.client.schedule(self.cluster.project, entry.stage, args, self.job_settings, job_id=job_id)
        except NodeUnreachableError as exc:
            logger.warning(
                "scheduling shard %d %s on %s got no answer (%s); its job list will tell",
                entry.shard,
                entry.stage,
                state.node.url,
                exc,
            )
            state.reachable = False
            return
        self._emit("shard-scheduled", entry, node=state.node.url)

    def _emit(self, event: str, entry: LedgerEntry, **extra: object) -> None:
        if self.on_event is not None:
            self.on_event({"event": event, "shard": entry.shard, "stage": entry.stage, **extra})


def node_overview(cluster: ClusterSettings) -> list[dict[str, object]]:
    """For `jikimi status` and the console: each node, whether it answers, and its jobs."""
    out: list[dict[str, object]] = []
    for node in cluster.nodes:
        client = ScrapydClient(node, timeout=2.0)
        try:
            status = client.status()
            out.append(
                {
                    "node": node.url,
                    "reachable": True,
                    "running": int(status.get("running", 0)),
                    "pending": int(status.get("pending", 0)),
                    "finished": int(status.get("finished", 0)),
                }
            )
        except NodeUnreachableError:
            out.append({"node": node.url, "reachable": False})
    return out


def cluster_status(store: Store, cluster: ClusterSettings) -> dict[str, Any]:
    """The nodes (reachable, jobs) and the shards of the latest spread pass (node, job, outcome, times),
    for `jikimi status` and the console's passes page: ids, node URLs and times only."""
    run_id, entries = latest_ledger(store)
    return {
        "nodes": node_overview(cluster),
        "run": run_id,
        "shards": [
            {
                "shard": e.shard,
                "stage": e.stage,
                "status": e.status,
                "node": e.node,
                "job": e.job_id,
                "attempts": e.attempts,
                "scheduled_at": e.scheduled_at.isoformat() if e.scheduled_at else None,
                "finished_at": e.finished_at.isoformat() if e.finished_at else None,
                "history": list(e.history),
            }
            for e in entries
        ],
    }
