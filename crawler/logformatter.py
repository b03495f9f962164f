"""Scrapy's log lines without the parts that can name a victim.

Scrapy logs every scraped item (our items carry the query and the result text) and every
dropped item with its content. These lines keep the event and drop the content; URLs that remain
lose their query strings in jikimi's redacting formatter.
"""

from __future__ import annotations

import logging
from typing import Any

from scrapy.logformatter import LogFormatter, LogFormatterResult


class RedactingLogFormatter(LogFormatter):
    def scraped(self, item: Any, response: Any, spider: Any) -> LogFormatterResult:
        return {
            "level": logging.DEBUG,
            "msg": "scraped an item of type %(kind)s",
            "args": {"kind": type(item).__name__},
        }

    def dropped(self, item: Any, exception: BaseException, response: Any, spider: Any) -> LogFormatterResult:
        return {
            "level": logging.INFO,
            "msg": "dropped an item of type %(kind)s (%(reason)s)",
            "args": {"kind": type(item).__name__, "reason": type(exception).__name__},
        }

    def item_error(
        self, item: Any, exception: BaseException, response: Any, spider: Any
    ) -> LogFormatterResult:
        return {
            "level": logging.ERROR,
            "msg": "error processing an item of type %(kind)s",
            "args": {"kind": type(item).__name__},
        }
