"""The address gate (T6): the threat model's table of URLs that must be refused, and what passes."""

from __future__ import annotations

import ipaddress
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crawler.safety.addresses import (
    UnsafeURLError,
    check_url,
    is_public_address,
    non_public_reason,
    origin_of,
)

PUBLIC_V4 = "93.184.216.34"
PUBLIC_V6 = "2606:2800:220:1:248:1893:25c8:1946"

# An injected resolver: the tests never use real DNS.
FAKE_DNS: dict[str, list[str]] = {
    "public.example": [PUBLIC_V4],
    "public6.example": [PUBLIC_V6],
    "dual.example": [PUBLIC_V4, PUBLIC_V6],
    "private.example": ["10.0.0.1"],
    "mixed.example": [PUBLIC_V4, "10.0.0.1"],
    "mixed6.example": [PUBLIC_V4, "::1"],
    "metadata.example": ["169.254.169.254"],
    "mapped.example": ["::ffff:192.168.0.1"],
    "scoped.example": ["fe80::1%eth0"],
    "empty.example": [],
}


def fake_resolve(host: str, port: int) -> list[str]:
    try:
        return FAKE_DNS[host]
    except KeyError:
        raise OSError("name does not resolve") from None


def gate(
    url: str, *, allow_private: bool = False, trusted: frozenset[tuple[str, str, int]] = frozenset()
) -> None:
    check_url(url, allow_private=allow_private, trusted_origins=trusted, resolve=fake_resolve)


def refused_rule(url: str, **kwargs: Any) -> str:
    with pytest.raises(UnsafeURLError) as excinfo:
        gate(url, **kwargs)
    return excinfo.value.rule


# The threat model's table, and the odd spellings a browser or libc accepts for the same hosts.
@pytest.mark.parametrize(
    ("url", "rule"),
    [
        ("http://127.0.0.1/", "private_address"),
        ("http://127.1/", "private_address"),
        ("http://127.0.1/", "private_address"),
        ("http://2130706433/", "private_address"),
        ("http://0x7f000001/", "private_address"),
        ("http://0X7F.1/", "private_address"),
        ("http://017700000001/", "private_address"),
        ("http://0177.0.0.1/", "private_address"),
        ("http://0177.0.0.01/", "private_address"),
        ("http://127.0.0.1./", "private_address"),
        ("http://127.0.0.%31/", "private_address"),
        ("http://１２７.０.０.１/", "private_address"),
        ("http://127。0。0。1/", "private_address"),
        ("http://[::1]/", "private_address"),
        ("http://[0:0:0:0:0:0:0:1]/", "private_address"),
        ("http://[::ffff:127.0.0.1]/", "private_address"),
        ("http://[::ffff:7f00:1]/", "private_address"),
        ("http://[::127.0.0.1]/", "private_address"),
        ("http://[::ffff:0:127.0.0.1]/", "private_address"),
        ("http://[2002:7f00:1::]/", "private_address"),
        ("http://[2002:a00:1::1]/", "private_address"),
        ("http://[64:ff9b::7f00:1]/", "private_address"),
        ("http://[64:ff9b::a9fe:a9fe]/", "private_address"),
        ("http://[64:ff9b:1::1]/", "private_address"),
        # Teredo: server 65.54.227.120, client (inverted) 192.0.2.45, a documentation address
        ("http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/", "private_address"),
        # Teredo with a loopback client
        ("http://[2001:0:4136:e378:8000:0:80ff:fffe]/", "private_address"),
        ("http://169.254.169.254/latest/meta-data/", "private_address"),
        ("http://[fe80::1]/", "private_address"),
        ("http://100.64.0.1/", "private_address"),
        ("http://100.127.255.254/", "private_address"),
        ("http://0.0.0.0/", "private_address"),
        ("http://0/", "private_address"),
        ("http://[::]/", "private_address"),
        ("http://224.0.0.1/", "private_address"),
        ("http://239.255.255.250/", "private_address"),
        ("http://[ff02::1]/", "private_address"),
        ("http://255.255.255.255/", "private_address"),
        ("http://240.0.0.1/", "private_address"),
        ("http://10.0.0.1/", "private_address"),
        ("http://172.16.5.4/", "private_address"),
        ("http://192.168.1.1/", "private_address"),
        ("http://192.0.0.8/", "private_address"),
        ("http://192.0.2.1/", "private_address"),
        ("http://198.18.0.1/", "private_address"),
        ("http://198.51.100.7/", "private_address"),
        ("http://203.0.113.9/", "private_address"),
        ("http://[2001:db8::1]/", "private_address"),
        ("http://[3fff::1]/", "private_address"),
        ("http://[fec0::1]/", "private_address"),
        ("http://[fc00::1]/", "private_address"),
        ("http://[fd12:3456::1]/", "private_address"),
        ("http://[100::1]/", "private_address"),
        ("http://[4000::1]/", "private_address"),
        ("http://localhost/", "private_address"),
        ("http://LOCALHOST./", "private_address"),
        ("http://api.localhost:8080/", "private_address"),
        # Resolved names: every address must be public
        ("http://private.example/", "private_address"),
        ("http://mixed.example/", "private_address"),
        ("http://mixed6.example/", "private_address"),
        ("http://metadata.example/", "private_address"),
        ("http://mapped.example/", "private_address"),
        ("http://scoped.example/", "private_address"),
        ("http://nowhere.example/", "unresolvable_host"),
        ("http://empty.example/", "unresolvable_host"),
        # Userinfo, and the parser differential it enables
        ("http://127.0.0.1:6666\\@1.1.1.1", "userinfo"),
        ("http://1.1.1.1\\@127.0.0.1/", "userinfo"),
        ("http://user:pass@public.example/", "userinfo"),
        ("http://user@public.example/", "userinfo"),
        ("http://public.example@127.0.0.1/", "userinfo"),
        ("http://public.example\\.127.0.0.1/", "invalid_url"),
        # Schemes
        ("file:///etc/passwd", "scheme_not_allowed"),
        ("FILE:///etc/passwd", "scheme_not_allowed"),
        ("data:text/html,<script>alert(1)</script>", "scheme_not_allowed"),
        ("ftp://public.example/file", "scheme_not_allowed"),
        ("s3://bucket/key", "scheme_not_allowed"),
        ("gopher://127.0.0.1:6379/_INFO", "scheme_not_allowed"),
        ("javascript:alert(1)", "scheme_not_allowed"),
        ("dict://127.0.0.1:11211/", "scheme_not_allowed"),
        # Malformed: refused rather than guessed at
        ("", "invalid_url"),
        ("public.example/path", "invalid_url"),
        ("http:/public.example/", "invalid_url"),
        ("http:\\\\public.example\\", "invalid_url"),
        ("http:///public.example/", "invalid_url"),
        ("http://", "invalid_url"),
        ("http://:80/", "invalid_url"),
        ("http://public.example:0/", "invalid_url"),
        ("http://public.example:65536/", "invalid_url"),
        ("http://public.example:8o/", "invalid_url"),
        ("http://public.example:80:80/", "invalid_url"),
        ("http://[::1/", "invalid_url"),
        ("http://[::1]x/", "invalid_url"),
        ("http://[fe80::1%25eth0]/", "invalid_url"),
        ("http://[not-ipv6]/", "invalid_url"),
        ("http://pub lic.example/", "invalid_url"),
        ("http://public.example/\n", "invalid_url"),
        (" http://public.example/", "invalid_url"),
        ("http://public..example/", "invalid_url"),
        ("http://256.0.0.1/", "invalid_url"),
        ("http://1.2.3.4.5/", "invalid_url"),
        ("http://08/", "invalid_url"),
        ("http://0x100000000/", "invalid_url"),
        ("http://" + "9" * 60 + "/", "invalid_url"),
        ("http://exa%zzmple.com/", "invalid_url"),
        ("http://exa%2fmple.com/", "invalid_url"),
        ("http://exa<mple.com/", "invalid_url"),
    ],
)
def test_refused(url: str, rule: str) -> None:
    assert refused_rule(url) == rule


@pytest.mark.parametrize(
    "url",
    [
        f"http://{PUBLIC_V4}/",
        f"https://{PUBLIC_V4}:8443/path?q=anything",
        "http://1.1.1.1/",
        "http://0x01010101/",
        "http://16843009/",
        f"http://[{PUBLIC_V6}]/",
        f"http://[::ffff:{PUBLIC_V4}]/",
        "http://[2002:5db8:d822::1]/",
        "http://[64:ff9b::5db8:d822]/",
        "http://public.example/",
        "HTTPS://PUBLIC.EXAMPLE:443/a?b=c#d",
        "http://public6.example/",
        "http://dual.example/",
        "http://public.example./",
        "http://public.example/path\\with\\backslashes",
        "http://public.example?q=1",
        "http://public.example#frag",
    ],
)
def test_allowed(url: str) -> None:
    gate(url)


def test_allow_private_lifts_only_the_address_rule() -> None:
    for url in [
        "http://127.0.0.1:8080/",
        "http://[::1]/",
        "http://private.example/",
        "http://nowhere.example/",
    ]:
        gate(url, allow_private=True)
    assert refused_rule("file:///etc/passwd", allow_private=True) == "scheme_not_allowed"
    assert refused_rule("http://user@127.0.0.1/", allow_private=True) == "userinfo"
    assert refused_rule("http://127.0.0.1:6666\\@1.1.1.1", allow_private=True) == "userinfo"
    assert refused_rule("gopher://127.0.0.1/", allow_private=True) == "scheme_not_allowed"


def test_trusted_origins_pass_the_address_rule_and_nothing_else() -> None:
    trusted = frozenset({origin_of("http://127.0.0.1:8888/searx"), origin_of("http://localhost:9999")})
    gate("http://127.0.0.1:8888/search?q=name&format=json", trusted=trusted)
    gate("http://LOCALHOST:9999/x", trusted=trusted)
    gate("http://2130706433:8888/", trusted=trusted)  # the same origin, spelled oddly
    # Same host, other port or scheme: a different origin.
    assert refused_rule("http://127.0.0.1:8889/", trusted=trusted) == "private_address"
    assert refused_rule("https://127.0.0.1:8888/", trusted=trusted) == "private_address"
    assert refused_rule("http://127.0.0.1/", trusted=trusted) == "private_address"
    assert refused_rule("http://u@127.0.0.1:8888/", trusted=trusted) == "userinfo"


@pytest.mark.parametrize(
    ("url", "origin"),
    [
        ("http://Example.COM/x?q", ("http", "example.com", 80)),
        ("https://example.com./", ("https", "example.com", 443)),
        ("https://example.com:8443", ("https", "example.com", 8443)),
        ("http://127.1:8888/", ("http", "127.0.0.1", 8888)),
        ("http://[::FFFF:127.0.0.1]/", ("http", "::ffff:7f00:1", 80)),
        ("http://예시.한국/", ("http", "xn--vv4b11d.xn--3e0b707e", 80)),
    ],
)
def test_origin_of(url: str, origin: tuple[str, str, int]) -> None:
    assert origin_of(url) == origin


def test_messages_name_the_rule_and_never_carry_the_query() -> None:
    cases = {
        "http://127.0.0.1/?q=VICTIM": "private address: loopback",
        "http://private.example/?q=VICTIM": "private address: private",
        "http://nowhere.example/search?q=VICTIM": "unresolvable host",
        "ftp://public.example/?q=VICTIM": "scheme not allowed: ftp",
        "http://VICTIM:pw@public.example/": "credentials in URL",
        "http://public.example:99999/?q=VICTIM": "invalid URL: bad port",
    }
    for url, message in cases.items():
        with pytest.raises(UnsafeURLError) as excinfo:
            gate(url)
        assert str(excinfo.value) == message
        assert "VICTIM" not in str(excinfo.value)


def test_unresolvable_when_the_resolver_fails_in_any_way() -> None:
    def broken(host: str, port: int) -> list[str]:
        raise UnicodeError("label too long")

    with pytest.raises(UnsafeURLError) as excinfo:
        check_url("http://public.example/", allow_private=False, trusted_origins=frozenset(), resolve=broken)
    assert excinfo.value.rule == "unresolvable_host"


@pytest.mark.parametrize(
    ("ip", "reason"),
    [
        ("127.0.0.1", "loopback"),
        ("10.1.2.3", "private"),
        ("100.64.0.1", "shared (CGNAT)"),
        ("169.254.169.254", "link-local"),
        ("0.0.0.0", "unspecified"),
        ("224.0.0.1", "multicast"),
        ("255.255.255.255", "broadcast"),
        ("::1", "loopback"),
        ("::", "unspecified"),
        ("::ffff:10.0.0.1", "private (embedded IPv4)"),
        ("fe80::1%eth0", "link-local"),
        ("fec0::1", "site-local"),
        ("fc00::1", "unique-local"),
        ("not an ip", "not an IP address"),
        (PUBLIC_V4, None),
        (PUBLIC_V6, None),
    ],
)
def test_non_public_reason(ip: str, reason: str | None) -> None:
    assert non_public_reason(ip) == reason
    assert is_public_address(ip) is (reason is None)


@settings(max_examples=500, suppress_health_check=list(HealthCheck), deadline=None)
@given(st.integers(min_value=0, max_value=2**32 - 1))
def test_every_ipv4_spelling_gets_the_same_verdict(value: int) -> None:
    """Dotted, decimal, hex, octal and IPv4-mapped spellings of one address agree with ipaddress."""
    address = ipaddress.IPv4Address(value)
    expected_public = is_public_address(str(address))
    if not address.is_global or address.is_multicast:
        assert not expected_public
    octets = str(address).split(".")
    spellings = [
        str(address),
        str(value),
        hex(value),
        "0" + oct(value)[2:],
        ".".join("0" + oct(int(octet))[2:] for octet in octets),
        f"{octets[0]}.{value & 0xFFFFFF}",
        f"[::ffff:{address}]",
    ]
    for spelling in spellings:
        url = f"http://{spelling}/"
        if expected_public:
            gate(url)
        else:
            assert refused_rule(url) == "private_address", url


@settings(max_examples=400, suppress_health_check=list(HealthCheck), deadline=None)
@given(st.text(), st.text())
def test_check_url_raises_only_unsafe_url_error(prefix: str, rest: str) -> None:
    for url in (prefix + rest, "http://" + prefix + rest, "http://" + prefix + "/" + rest):
        try:
            gate(url)
        except UnsafeURLError:
            pass
