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


def test_every_spelling_of_a_term_is_redacted_and_hosts_are_digests() -> None:
    from datetime import UTC, datetime

    from jikimi.logs import MASK, Redactor, host_tag
    from storage.cases import TermView, redaction_forms

    term = TermView(1, 1, "name", "한소율", (), (), True, datetime.now(UTC))
    redactor = Redactor()
    redactor.add(redaction_forms([term]))
    redactor.add(["hansoyul"])  # a handle, as registered
    puny = "xn--" + "한소율".encode("punycode").decode()
    lines = {
        "refused to connect to hansoyul.example: private address": "hansoyul",
        "refused to connect to han-so-yul.example": "han-so-yul",
        f"refused to connect to {puny}.example": puny,
        f"refused to connect to {puny.upper()}.example": puny.upper(),
        "page https://blog.example/%ED%95%9C%20%EC%86%8C%20%EC%9C%A8/1 too large": "%ED%95%9C",
        "spaced 한 소 율 and dotted 한.소.율": "소",
        "romanized Han Soyul and Soyul Han": "Soyul",
        "HANSOYUL in capitals": "HANSOYUL",
    }
    for line, secret in lines.items():
        out = redactor(line)
        assert secret not in out and MASK in out, (line, out)
    # Innocent text stays readable.
    assert redactor("refused to connect to host#0123456789: private address (loopback)") == (
        "refused to connect to host#0123456789: private address (loopback)"
    )
    assert host_tag("HanSoYul.example.") == host_tag("hansoyul.example")
    assert "hansoyul" not in host_tag("hansoyul.example")


def test_the_resolver_logs_a_refused_host_by_its_digest(caplog: object) -> None:
    import pytest

    from crawler.safety.resolver import SafeHostnameResolver
    from jikimi.logs import host_tag

    assert isinstance(caplog, pytest.LogCaptureFixture)
    resolver = SafeHostnameResolver.__new__(SafeHostnameResolver)
    from collections import OrderedDict

    resolver._refusals = OrderedDict()
    with caplog.at_level(logging.WARNING):
        resolver.note_refused("hansoyul.example", "loopback")
    assert "hansoyul" not in caplog.text
    assert host_tag("hansoyul.example") in caplog.text
