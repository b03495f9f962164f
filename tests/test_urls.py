"""storage.urls: one spelling per page, platform names, log-safe URLs, advocate-entered targets."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from w3lib.url import canonicalize_url

from storage.errors import InvalidURLError
from storage.urls import (
    canonical_url,
    domain_of,
    is_plain_url,
    parse_target_url,
    platform_of,
    redact_url,
    telegram_channel,
    telegram_permalink,
)

# Pieces that trip URL parsers: brackets, escapes, ports, IDNA, full-width and ideographic forms.
_PIECES = st.sampled_from(
    list("ab:/?#@[]%.-_=&;\\ 0x7fXYZ한\t\n")
    + ["utm_", "%2", "%zz", "%41", "::", "[::1]", ":80", ":443", ":99999", "xn--", "ｘ", "。", "//", "www."]
)
_URLISH = st.builds(
    lambda scheme, a, b: scheme + a + b,
    st.sampled_from(["http://", "https://", "HTTP://", "http:/", "ftp://", "javascript:", ""]),
    st.lists(_PIECES, max_size=12).map("".join),
    st.lists(_PIECES, max_size=12).map("".join),
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("HTTP://WWW.Example.COM:80/a?b=1", "http://www.example.com/a?b=1"),
        ("https://example.com:443/", "https://example.com/"),
        ("https://example.com:8443/", "https://example.com:8443/"),
        ("https://example.com/p#section", "https://example.com/p"),
        ("https://example.com", "https://example.com/"),
        ("https://example.com./x", "https://example.com/x"),
        ("https://user:pw@example.com/x", "https://example.com/x"),
        ("https://example.com/?z=1&a=2", "https://example.com/?a=2&z=1"),
        ("https://example.com/a b", "https://example.com/a%20b"),
        ("  https://example.com/\n", "https://example.com/"),
        ("https://예시.한국/경로", "https://xn--vv4b11d.xn--3e0b707e/%EA%B2%BD%EB%A1%9C"),
        ("http://[::1]:80/x", "http://[::1]/x"),
        # tracking parameters go, in any case and any escape
        (
            (
                "https://example.com/p?utm_source=a&UTM_Medium=b&fbclid=1&gclid=2&dclid=3&msclkid=4&igshid=5"
                "&mc_eid=6&_ga=7&yclid=8&ref_src=9&id=42"
            ),
            "https://example.com/p?id=42",
        ),
        ("https://example.com/p?utm%5Fsource=x", "https://example.com/p"),
        # parameters that name content stay
        (
            "https://blog.naver.com/PostView.naver?blogId=abc&logNo=223&utm_source=x",
            "https://blog.naver.com/PostView.naver?blogId=abc&logNo=223",
        ),
        (
            "https://cafe.naver.com/ArticleRead.nhn?clubid=1&articleid=2",
            "https://cafe.naver.com/ArticleRead.nhn?articleid=2&clubid=1",
        ),
        ("https://t.me/s/somechannel?before=120", "https://t.me/s/somechannel?before=120"),
        ("https://t.me/somechannel/42?single", "https://t.me/somechannel/42"),
        ("https://www.youtube.com/watch?v=abc&t=3", "https://www.youtube.com/watch?t=3&v=abc"),
        # browsers read a backslash as a slash; so does the stored form
        ("http://127.0.0.1:6666\\@1.1.1.1", "http://127.0.0.1:6666/@1.1.1.1"),
        # garbage is kept, whitespace collapsed, no exception
        ("not a url", "not a url"),
        ("", ""),
        ("mailto:someone@example.com", "mailto:someone@example.com"),
    ],
)
def test_canonical_url(raw: str, expected: str) -> None:
    assert canonical_url(raw) == expected


def test_canonical_url_survives_a_bad_port() -> None:
    assert canonical_url("http://example.com:99999/") == "http://example.com:99999/"


@settings(max_examples=500, suppress_health_check=list(HealthCheck), deadline=None)
@given(st.one_of(st.text(), _URLISH))
def test_canonical_url_is_idempotent_and_never_raises(raw: str) -> None:
    once = canonical_url(raw)
    assert isinstance(once, str)
    assert canonical_url(once) == once


# Near-plain URLs: hosts with hyphens, IDNA prefixes, capitals, long labels; paths with dot
# segments, escapes, reserved characters and non-ASCII; ports, queries and fragments now and then.
_PLAIN_LABEL = st.text(alphabet="abz09-", min_size=1, max_size=12)
_LABEL = st.one_of(
    _PLAIN_LABEL,
    _PLAIN_LABEL,
    _PLAIN_LABEL,
    st.text(alphabet="abz09-A_", max_size=70),
    st.sampled_from(["xn--x", "a--b", "-a", "a-", "a" * 63, "a" * 64]),
)
_PLAIN_SEGMENT = st.text(alphabet="aZ09._~-", max_size=8)
_SEGMENT = st.one_of(
    _PLAIN_SEGMENT,
    _PLAIN_SEGMENT,
    _PLAIN_SEGMENT,
    st.text(alphabet="aZ09._~-%!$'()*+,;=:@한", max_size=8),
    st.sampled_from([".", "..", "", "a.b", "..."]),
)
_NEAR_PLAIN = st.builds(
    lambda scheme, labels, port, segments, tail: (
        scheme + ".".join(labels) + port + "".join("/" + seg for seg in segments) + tail
    ),
    st.sampled_from(["http://", "https://", "https://", "HTTPS://"]),
    st.lists(_LABEL, min_size=1, max_size=4),
    st.sampled_from(["", "", "", ":80", ":8080"]),
    st.lists(_SEGMENT, max_size=5),
    st.sampled_from(["", "", "", "", "?a=1", "#x", "?"]),
)


@settings(max_examples=1500, suppress_health_check=list(HealthCheck), deadline=None)
@given(_NEAR_PLAIN)
def test_a_plain_url_is_one_w3lib_leaves_as_it_is(url: str) -> None:
    # canonical_url skips w3lib for plain URLs: only sound if w3lib would not have changed them.
    if is_plain_url(url):
        assert canonicalize_url(url, keep_fragments=False) == (url if "/" in url[8:] else url + "/")


@pytest.mark.parametrize(
    ("url", "plain"),
    [
        ("https://blog.naver.com/someone/223456789012", True),
        ("https://quiet3.example/abcdef123456/3", True),
        ("https://a.example", True),
        ("https://a.example/x/./y", False),  # w3lib resolves dot segments
        ("https://a.example/x/..", False),
        ("https://ab--cd.example/x", False),  # IDNA's business
        ("https://A.example/", False),
        ("https://a.example:8080/", False),
        ("https://a.example/x?y=1", False),
        ("https://a.example/%41", False),
        ("https://user@a.example/", False),
    ],
)
def test_plain_urls(url: str, plain: bool) -> None:
    assert is_plain_url(url) is plain


@pytest.mark.parametrize(
    ("url", "domain", "platform"),
    [
        ("https://t.me/s/chan", "t.me", "telegram"),
        ("https://telegram.me/chan", "telegram.me", "telegram"),
        ("https://blog.naver.com/x/1", "blog.naver.com", "naver_blog"),
        ("https://m.blog.naver.com/x/1", "m.blog.naver.com", "naver_blog"),
        ("https://cafe.naver.com/x/1", "cafe.naver.com", "naver_cafe"),
        ("https://search.naver.com/?q=1", "search.naver.com", "naver"),
        ("https://naver.me/abc", "naver.me", "naver"),
        ("https://cafe.daum.net/x", "cafe.daum.net", "daum_cafe"),
        ("https://someone.tistory.com/12", "someone.tistory.com", "tistory"),
        ("https://v.daum.net/v/1", "v.daum.net", "daum"),
        ("https://pf.kakao.com/x", "pf.kakao.com", "daum"),
        ("https://twitter.com/u/status/1", "twitter.com", "x"),
        ("https://x.com/u/status/1", "x.com", "x"),
        ("https://www.youtube.com/watch?v=1", "youtube.com", "youtube"),
        ("https://youtu.be/1", "youtu.be", "youtube"),
        ("https://old.reddit.com/r/x", "old.reddit.com", "reddit"),
        ("https://someone.tumblr.com/post/1", "someone.tumblr.com", "tumblr"),
        ("https://gall.dcinside.com/board/view", "gall.dcinside.com", "dcinside"),
        ("https://www.example.com/", "example.com", "web"),
        ("https://notx.com/", "notx.com", "web"),
        ("https://box.com/", "box.com", "web"),
        ("garbage", "", "web"),
    ],
)
def test_domain_and_platform(url: str, domain: str, platform: str) -> None:
    assert domain_of(url) == domain
    assert platform_of(url) == platform


@pytest.mark.parametrize(
    ("url", "redacted"),
    [
        (
            "https://openapi.naver.com/v1/search/blog.json?query=%ED%99%8D",
            "https://openapi.naver.com/v1/search/blog.json?…",
        ),
        ("https://example.com/page#anchor", "https://example.com/page?…"),
        ("https://example.com/page", "https://example.com/page"),
        ("https://user:secret@example.com:8443/p?q=1", "https://example.com:8443/p?…"),
        ("https://example.com/p;jsessionid=abc", "https://example.com/p?…"),
        ("https://example.com/?", "https://example.com/?…"),
        ("data:text/plain,secret", "data:…"),
        ("javascript:alert('secret')", "javascript:…"),
        ("secret words", "<unparseable url>"),
        ("http://[::1/?q=secret", "<unparseable url>"),
        ("http://example.com:99999/?q=secret", "<unparseable url>"),
    ],
)
def test_redact_url(url: str, redacted: str) -> None:
    assert redact_url(url) == redacted


_SECRET = st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\x00"), min_size=1).map(
    lambda text: "CANARY" + text
)


@settings(max_examples=400, suppress_health_check=list(HealthCheck), deadline=None)
@given(st.one_of(st.text(), _URLISH), _SECRET, st.sampled_from(["?q=", "?", "#", "?a=1&q=", "/?q=", "#q="]))
def test_redact_url_never_shows_the_query(base: str, secret: str, separator: str) -> None:
    assert "CANARY" not in redact_url(base.replace("CANARY", "") + separator + secret)


@pytest.mark.parametrize(
    ("url", "channel"),
    [
        ("https://t.me/s/SomeChannel", "somechannel"),
        ("https://t.me/s/somechannel?before=100", "somechannel"),
        ("https://t.me/somechannel", "somechannel"),
        ("https://t.me/somechannel/", "somechannel"),
        ("https://t.me/somechannel/123", "somechannel"),
        ("https://t.me/s/somechannel/123", "somechannel"),
        ("http://telegram.me/somechannel", "somechannel"),
        ("https://t.me/joinchat/AAAA", None),
        ("https://t.me/+AbCdEf", None),
        ("https://t.me/c/1234/5", None),
        ("https://t.me/s/", None),
        ("https://t.me/", None),
        ("https://t.me/abc", None),
        ("https://t.me/somechannel/abc", None),
        ("https://example.com/somechannel", None),
        ("ftp://t.me/somechannel", None),
        ("not a url", None),
    ],
)
def test_telegram_channel(url: str, channel: str | None) -> None:
    assert telegram_channel(url) == channel


def test_telegram_permalink() -> None:
    assert telegram_permalink("SomeChannel", 42) == "https://t.me/somechannel/42"
    assert telegram_channel(telegram_permalink("somechannel", 7)) == "somechannel"
    for channel, msg_id in [("a b", 1), ("somechannel", 0), ("somechannel", -3), ("x/../y", 1)]:
        with pytest.raises(ValueError):
            telegram_permalink(channel, msg_id)


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        ("https://Example.com/Page?utm_source=x&id=1", "https://example.com/Page?id=1"),
        ("  http://example.com  ", "http://example.com/"),
        ("https://t.me/s/somechannel", "https://t.me/s/somechannel"),
    ],
)
def test_parse_target_url_accepts(raw: str, normalised: str) -> None:
    assert parse_target_url(raw) == normalised


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("example.com", "http:// or https://"),
        ("ftp://example.com/", "http:// or https://"),
        ("file:///etc/passwd", "http:// or https://"),
        ("javascript:alert(1)", "http:// or https://"),
        ("http:/example.com", "http:// or https://"),
        ("https://exa mple.com/", "spaces"),
        ("https://example.com/a\tb", "spaces"),
        ("https://example.com/\x00", "control"),
        ("https://user:pw@example.com/", "user name or password"),
        ("http://127.0.0.1:6666\\@1.1.1.1", "backslash"),
        ("https://", "no host"),
        ("https://example.com:99999/", "port"),
        ("https://example.com/" + "a" * 2100, "longer than 2048"),
    ],
)
def test_parse_target_url_refuses(raw: str, reason: str) -> None:
    with pytest.raises(InvalidURLError) as excinfo:
        parse_target_url(raw)
    message = str(excinfo.value)
    assert reason in message
    assert "\n" not in message


@pytest.mark.parametrize(
    "url",
    [
        "https://t.me/s/hongnews/21",
        "https://t.me/hongnews/21?single",
        "https://telegram.me/hongnews/21/",
        "https://T.ME/s/hongnews/21#frag",
    ],
)
def test_telegram_message_has_one_canonical_form(url: str) -> None:
    assert canonical_url(url) == "https://t.me/hongnews/21"
