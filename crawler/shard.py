"""Which cases a crawl covers: all of them, or one shard of a pass spread over Scrapyd nodes.

A pass is split by case (`case id mod N`), so a shard's spider needs only its own cases' terms, targets and
exposures, and the split is the same from one night to the next while N stays the same. Targets watched
for every case (no case) belong to shard 0, whose page crawl matches them against every case's terms.
"""

from __future__ import annotations

from dataclasses import dataclass


class ShardArgumentError(ValueError):
    """The `shard` spider argument is not `K/N` with 0 <= K < N."""


@dataclass(frozen=True)
class Shard:
    index: int
    count: int

    def includes(self, case_id: int | None) -> bool:
        return (case_id or 0) % self.count == self.index

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


def shard_argument(value: object) -> Shard | None:
    """`-a shard=K/N` as a `Shard`; None or empty: every case."""
    if value is None or value == "":
        return None
    text = str(value)
    index, sep, count = text.partition("/")
    try:
        shard = Shard(int(index), int(count))
    except ValueError:
        raise ShardArgumentError(f"shard must look like 2/8, not {text!r}") from None
    if not sep or shard.count < 1 or not 0 <= shard.index < shard.count:
        raise ShardArgumentError(f"shard must look like 2/8 with 0 <= 2 < 8, not {text!r}")
    return shard
