"""A minimal urllib client for poking the sandbox by hand and in its own tests.

It never follows redirects and never raises on an HTTP status, so a test sees exactly what the
sandbox sent; `limit` stops reading early (for the bombs, the huge page and the disguised video).
"""

from __future__ import annotations

import ssl
import urllib.request
from dataclasses import dataclass
from email.message import Message
from urllib.error import HTTPError
from urllib.parse import urlencode


@dataclass(frozen=True)
class Fetched:
    status: int
    headers: Message
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


# Building an opener creates an SSL context, which costs more than a request to the sandbox.
_OPENER = urllib.request.build_opener(_NoRedirect())


def fetch(
    url: str,
    headers: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
    method: str | None = None,
    timeout: float = 10.0,
    limit: int | None = None,
    context: ssl.SSLContext | None = None,
) -> Fetched:
    data = urlencode(form).encode("utf-8") if form is not None else None
    request = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
    opener = (
        _OPENER
        if context is None
        else urllib.request.build_opener(_NoRedirect(), urllib.request.HTTPSHandler(context=context))
    )
    try:
        response = opener.open(request, timeout=timeout)
    except HTTPError as error:
        with error:
            return Fetched(error.code, error.headers, error.read() if limit is None else error.read(limit))
    with response:
        body = response.read() if limit is None else response.read(limit)
        return Fetched(response.status, response.headers, body)
