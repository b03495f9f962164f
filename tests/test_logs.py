"""The redacting formatter: no term, query string or credential in any log line."""

from __future__ import annotations

import io
import logging
from urllib.parse import quote

from jikimi.logs import REDACTOR, setup_logging


def test_terms_queries_and_percent_encoded_forms_are_redacted() -> None:
    stream = io.StringIO()
    handler = setup_logging(logging.INFO, stream)
    REDACTOR.add(["로그홍길동"])
    try:
        log = logging.getLogger("jikimi.test")
        log.warning("GET https://search.example/q?query=%s&key=abc", "anything")
        log.warning("page https://blog.example/%s/1 too large", quote("로그홍길동"))
        log.warning("term %s seen", "로그홍길동")
        try:
            raise ValueError("로그홍길동 in a traceback")
        except ValueError:
            log.exception("failed")
    finally:
        logging.getLogger().removeHandler(handler)
        REDACTOR.clear()
    text = stream.getvalue()
    assert "로그홍길동" not in text and quote("로그홍길동") not in text
    assert "query=anything" not in text and "key=abc" not in text
    assert text.count("[redacted]") >= 4
