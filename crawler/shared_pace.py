"""In a cluster, one engine is asked at one pace, however many nodes ask it.

Each node's Scrapy already waits `download_delay` between its own requests to a domain; with four nodes the
engine would see four times that rate. Before a search request leaves, this middleware books the engine's
next free send time in the shared `source_pace` row (`storage.budgets.next_slot`) and waits for it.
Without `[cluster]`, or with no delay configured, it does nothing.
"""

from __future__ import annotations

import asyncio
from typing import Self

from scrapy import Request
from scrapy.crawler import Crawler

from storage import budgets


class SharedPaceMiddleware:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    async def process_request(self, request: Request) -> None:
        source = request.meta.get("source")
        stage = getattr(self.crawler.spider, "stage", None)
        if not isinstance(source, str) or stage is None or stage.settings.cluster is None:
            return
        interval = stage.settings.network.download_delay
        if interval <= 0:
            return
        # The booking is a short row-locked transaction: off the reactor thread, so other requests go on.
        wait = await asyncio.to_thread(budgets.next_slot, stage.store, source, interval)
        if wait > 0:
            await asyncio.sleep(wait)
        return
