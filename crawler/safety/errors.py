"""What a spider's errback sees when the safety layer refuses or stops a request.

Both are `IgnoreRequest`s, so Scrapy does not log them as download errors (its message would carry
the URL, query and all) and errbacks that already treat IgnoreRequest as "refused" keep working.
`rule` is the slug used in stats keys; the message is a short reason with no URL in it.
"""

from __future__ import annotations

from scrapy.exceptions import IgnoreRequest, StopDownload


class RefusedRequestError(IgnoreRequest):
    """A request the safety layer would not send: `rule` names the rule (e.g. "private_address")."""

    def __init__(self, rule: str, reason: str) -> None:
        super().__init__(reason)
        self.rule = rule
        self.reason = reason


class MediaStoppedError(StopDownload, RefusedRequestError):
    """A download stopped once its headers or first bytes showed media; `.response` is the partial one."""

    def __init__(self, rule: str, reason: str) -> None:
        # StopDownload.__init__ takes keyword arguments only and calls super().__init__() with none,
        # which RefusedRequestError would reject: set both parents' state explicitly instead.
        Exception.__init__(self, reason)
        self.fail = True  # fail=True: the errback runs, with the truncated response attached
        self.response = None
        self.rule = rule
        self.reason = reason
