"""Budgets and pace shared through the database: several processes never spend more than one budget."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest

from storage import budgets
from storage.database import Store, open_store
from storage.keyring import create_keyring_file, load_keyring


def _spend(
    url: str, key_file: str, source: str, day: str, budget: int, queue: multiprocessing.Queue[int]
) -> None:
    store = open_store(url, load_keyring(Path(key_file)))
    granted = 0
    try:
        # One call at a time, as a spider asks before each request: the worst case for a race.
        for _ in range(budget):
            granted += budgets.reserve(store, source, day, 1, budget)
    finally:
        store.close()
    queue.put(granted)


@pytest.mark.postgres
@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_four_processes_share_one_daily_budget(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    url = (
        f"sqlite:///{tmp_path / 'db.sqlite'}"
        if backend == "sqlite"
        else str(request.getfixturevalue("pg_url"))
    )
    key_file = tmp_path / "jikimi.key"
    open_store(url, create_keyring_file(key_file), initialise=True).close()
    budget = 40
    ctx = multiprocessing.get_context("spawn")
    queue: multiprocessing.Queue[int] = ctx.Queue()
    procs = [
        ctx.Process(target=_spend, args=(url, str(key_file), "naver", "2026-12-04", budget, queue))
        for _ in range(4)
    ]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(120)
        assert proc.exitcode == 0
    granted = [queue.get(timeout=5) for _ in procs]
    assert sum(granted) == budget, granted  # each wanted the whole budget; together they got exactly one
    store = open_store(url, load_keyring(key_file))
    try:
        assert budgets.used(store, "naver", "2026-12-04") == budget
        assert budgets.used(store, "naver", "2026-12-05") == 0  # a new local day starts afresh
        assert budgets.reserve(store, "naver", "2026-12-04", 5, budget) == 0
    finally:
        store.close()


def test_partial_grants_and_refunds(store: Store) -> None:
    assert budgets.reserve(store, "brave", "2026-12-04", 7, 10) == 7
    assert budgets.reserve(store, "brave", "2026-12-04", 7, 10) == 3  # only what is left
    budgets.refund(store, "brave", "2026-12-04", 4)  # four reserved calls were never sent
    assert budgets.used(store, "brave", "2026-12-04") == 6
    assert budgets.reserve(store, "kakao", "2026-12-04", 0, 10) == 0
    assert budgets.used(store, "kakao", "2026-12-04") == 0


def test_pace_books_one_slot_after_another_across_callers(store: Store) -> None:
    now = 1_000_000.0
    waits = [budgets.next_slot(store, "naver", 0.5, now=now) for _ in range(4)]
    assert waits == [0.0, 0.5, 1.0, 1.5]  # four senders at the same moment are spread, not simultaneous
    # Another engine has its own pace.
    assert budgets.next_slot(store, "brave", 0.5, now=now) == 0.0
    # After a quiet spell the engine may be asked at once.
    assert budgets.next_slot(store, "naver", 0.5, now=now + 100) == 0.0
