"""The one gate every fetch passes (threat T6): scheme, userinfo and address rules for a URL.

Hosts are read the way a browser reads them (WHATWG URL standard): percent-decoded, IDNA-mapped, and
numeric spellings such as `127.1`, `2130706433`, `0x7f000001` or `0177.0.0.1` parsed as the IPv4
address libc and Chromium would connect to. Where the RFC 3986 reading used by Python and Twisted
could disagree with the browser reading (a backslash or `@` in the authority), the URL is refused
rather than guessed at. Every resolved address must be public; messages never carry the query.
"""

from __future__ import annotations

import ipaddress
import re
import socket
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from urllib.parse import unquote

Origin = tuple[str, str, int]
Resolve = Callable[[str, int], list[str]]
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

DEFAULT_PORTS: dict[str, int] = {"http": 80, "https": 443}

# Rule slug (used in stats keys) -> the reason a person reads.
RULES: dict[str, str] = {
    "invalid_url": "invalid URL",
    "scheme_not_allowed": "scheme not allowed",
    "userinfo": "credentials in URL",
    "private_address": "private address",
    "unresolvable_host": "unresolvable host",
}

_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*")
_HOST_CHARS = re.compile(r"[a-z0-9_.-]+")
_RFC_AUTHORITY_END = re.compile(r"[/?#]")
_WHATWG_AUTHORITY_END = re.compile(r"[/?#\\]")
_IDEOGRAPHIC_DOTS = str.maketrans({"\u3002": ".", "\uff0e": ".", "\uff61": "."})
_MAX_NUMBER_DIGITS = 40

_V4_SPECIAL: tuple[tuple[ipaddress.IPv4Network, str], ...] = tuple(
    (ipaddress.IPv4Network(network), reason)
    for network, reason in (
        ("0.0.0.0/8", "unspecified"),
        ("10.0.0.0/8", "private"),
        ("100.64.0.0/10", "shared (CGNAT)"),
        ("127.0.0.0/8", "loopback"),
        ("169.254.0.0/16", "link-local"),
        ("172.16.0.0/12", "private"),
        ("192.0.0.0/24", "special-purpose"),
        ("192.0.2.0/24", "documentation"),
        ("192.88.99.0/24", "special-purpose"),
        ("192.168.0.0/16", "private"),
        ("198.18.0.0/15", "benchmarking"),
        ("198.51.100.0/24", "documentation"),
        ("203.0.113.0/24", "documentation"),
        ("224.0.0.0/4", "multicast"),
        ("255.255.255.255/32", "broadcast"),
        ("240.0.0.0/4", "reserved"),
    )
)
_V6_SPECIAL: tuple[tuple[ipaddress.IPv6Network, str], ...] = tuple(
    (ipaddress.IPv6Network(network), reason)
    for network, reason in (
        ("64:ff9b:1::/48", "private"),  # local-use NAT64 (RFC 8215)
        ("100::/64", "special-purpose"),
        ("2001:db8::/32", "documentation"),
        ("3fff::/20", "documentation"),
        ("fc00::/7", "unique-local"),
        ("fe80::/10", "link-local"),
        ("fec0::/10", "site-local"),
        ("ff00::/8", "multicast"),
    )
)
_GLOBAL_UNICAST = ipaddress.IPv6Network("2000::/3")
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_SIIT_TRANSLATED = 0xFFFF0000  # ::ffff:0:a.b.c.d, RFC 2765


class UnsafeURLError(ValueError):
    """A URL the gate refuses; `rule` is a slug from RULES, the message names it (never the query)."""

    def __init__(self, rule: str, detail: str = "") -> None:
        super().__init__(f"{RULES[rule]}: {detail}" if detail else RULES[rule])
        self.rule = rule
        self.detail = detail


@dataclass(frozen=True)
class Target:
    """Where a URL leads: scheme, normalised host (ASCII, no brackets), port, and the IP if literal."""

    scheme: str
    host: str
    port: int
    ip: IPAddress | None

    @property
    def origin(self) -> Origin:
        return (self.scheme, self.host, self.port)


def default_resolve(host: str, port: int) -> list[str]:
    """Every address (A and AAAA) the system resolver gives for a host, in its order."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def check_url(
    url: str,
    *,
    allow_private: bool,
    trusted_origins: frozenset[Origin],
    resolve: Resolve = default_resolve,
) -> None:
    """Raise UnsafeURLError unless `url` may be fetched.

    Schemes http/https only, no userinfo, and every address the host resolves to must be public.
    `allow_private` lifts the address rule only; an origin in `trusted_origins` (operator-configured
    source base URLs, built with `origin_of`) passes the address rule too.
    """
    target = parse_target(url)
    if allow_private or target.origin in trusted_origins:
        return
    if target.ip is not None:
        addresses = [str(target.ip)]
    elif _is_localhost_name(target.host):
        # Resolved to loopback by the browser itself (and by RFC 6761), whatever DNS says.
        raise UnsafeURLError("private_address", "loopback")
    else:
        try:
            addresses = resolve(target.host, target.port)
        except (OSError, UnicodeError, ValueError):
            raise UnsafeURLError("unresolvable_host") from None
        if not addresses:
            raise UnsafeURLError("unresolvable_host")
    reason = first_non_public(addresses)
    if reason is not None:
        raise UnsafeURLError("private_address", reason)


def origin_of(url: str) -> Origin:
    """(scheme, host, port) of an http(s) URL, host normalised as the gate compares it."""
    return parse_target(url).origin


def parse_target(url: str) -> Target:
    """Split an http(s) URL the way a browser would, refusing anything parsers could disagree on."""
    if not isinstance(url, str) or not url:
        raise UnsafeURLError("invalid_url", "empty")
    if any(char <= " " or char == "\x7f" for char in url):
        raise UnsafeURLError("invalid_url", "whitespace or control character")
    scheme, colon, rest = url.partition(":")
    if not colon or not _SCHEME.fullmatch(scheme):
        raise UnsafeURLError("invalid_url", "no scheme")
    scheme = scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise UnsafeURLError("scheme_not_allowed", scheme[:20])
    if not rest.startswith("//"):
        raise UnsafeURLError("invalid_url", "no authority")
    after = rest[2:]
    rfc_authority = _RFC_AUTHORITY_END.split(after, maxsplit=1)[0]
    whatwg_authority = _WHATWG_AUTHORITY_END.split(after, maxsplit=1)[0]
    if "@" in rfc_authority or "@" in whatwg_authority:
        raise UnsafeURLError("userinfo")
    if rfc_authority != whatwg_authority:
        raise UnsafeURLError("invalid_url", "backslash in authority")
    host_text, port = _split_port(whatwg_authority, DEFAULT_PORTS[scheme])
    host, ip = _parse_host(host_text)
    return Target(scheme=scheme, host=host, port=port, ip=ip)


def normalise_host(host: str) -> str:
    """A host as the gate compares it (ASCII, lower case, IPs in standard form); garbage lower-cased."""
    text = str(host).strip("[]")
    try:
        return _parse_host((text, ":" in text))[0]
    except UnsafeURLError:
        return text.lower()


def _split_port(authority: str, default: int) -> tuple[tuple[str, bool], int]:
    """((host text, bracketed), port) of an authority without userinfo."""
    if authority.startswith("["):
        end = authority.find("]")
        if end < 0:
            raise UnsafeURLError("invalid_url", "unclosed bracket")
        host, tail = (authority[1:end], True), authority[end + 1 :]
        if tail and not tail.startswith(":"):
            raise UnsafeURLError("invalid_url", "text after IPv6 address")
        port_text = tail[1:] if tail else ""
    else:
        name, _, port_text = authority.partition(":")
        if ":" in port_text:
            raise UnsafeURLError("invalid_url", "bad port")
        host = (name, False)
    if not port_text:
        return host, default
    if not (port_text.isascii() and port_text.isdigit()) or not 0 < int(port_text) <= 65535:
        raise UnsafeURLError("invalid_url", "bad port")
    return host, int(port_text)


def _parse_host(host_text: tuple[str, bool]) -> tuple[str, IPAddress | None]:
    text, bracketed = host_text
    if bracketed:
        try:
            address = ipaddress.IPv6Address(text)  # no zone ids: WHATWG has none, "%" is refused
        except ValueError:
            raise UnsafeURLError("invalid_url", "bad IPv6 address") from None
        if address.scope_id is not None:
            raise UnsafeURLError("invalid_url", "bad IPv6 address")
        return str(address), address
    host = domain_to_ascii(text)
    labels = host.split(".")
    if labels[-1] == "" and len(labels) > 1:
        labels.pop()
    if _ends_in_number(labels[-1]):
        ipv4 = _parse_ipv4(labels)
        if ipv4 is None:
            raise UnsafeURLError("invalid_url", "bad IPv4 address")
        return str(ipv4), ipv4
    if any(not label for label in labels):
        raise UnsafeURLError("invalid_url", "empty label in host")
    return ".".join(labels), None


def domain_to_ascii(text: str) -> str:
    """Percent-decode, map (NFKC, lower case, ideographic dots) and IDNA-encode a host, as browsers do."""
    try:
        host = unquote(text, errors="strict")
    except UnicodeDecodeError:
        raise UnsafeURLError("invalid_url", "bad host encoding") from None
    if not host.isascii():
        host = unicodedata.normalize("NFKC", host).translate(_IDEOGRAPHIC_DOTS)
    host = host.lower()
    if not host.isascii():
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            raise UnsafeURLError("invalid_url", "bad international host") from None
    if not host or not _HOST_CHARS.fullmatch(host):
        raise UnsafeURLError("invalid_url", "forbidden character in host")
    return host


def _ends_in_number(last_label: str) -> bool:
    if last_label and last_label.isascii() and last_label.isdigit():
        return True
    return _parse_ipv4_number(last_label) is not None


def _parse_ipv4_number(part: str) -> int | None:
    if not part:
        return None
    radix, digits = 10, part
    if part[:2] in ("0x", "0X"):
        radix, digits = 16, part[2:]
    elif len(part) > 1 and part[0] == "0":
        radix, digits = 8, part[1:]
    if not digits:
        return 0
    allowed = {10: "0123456789", 8: "01234567", 16: "0123456789abcdefABCDEF"}[radix]
    if any(char not in allowed for char in digits):
        return None
    if len(digits) > _MAX_NUMBER_DIGITS:
        return 1 << 64  # a number, and too big for any part: the parser then fails, not int()
    return int(digits, radix)


def _parse_ipv4(labels: list[str]) -> ipaddress.IPv4Address | None:
    """The WHATWG IPv4 parser (the forms inet_aton accepts too): 1 to 4 parts, last one fills the rest."""
    if len(labels) > 4:
        return None
    numbers = [_parse_ipv4_number(label) for label in labels]
    if any(number is None for number in numbers):
        return None
    parts = [number for number in numbers if number is not None]
    if any(number > 255 for number in parts[:-1]) or parts[-1] >= 256 ** (5 - len(parts)):
        return None
    value = parts[-1] + sum(number << (8 * (3 - index)) for index, number in enumerate(parts[:-1]))
    return ipaddress.IPv4Address(value)


def _is_localhost_name(host: str) -> bool:
    return host == "localhost" or host.endswith(".localhost")


def is_public_address(ip: str) -> bool:
    """Whether connecting to `ip` reaches the public Internet and nothing else."""
    return non_public_reason(ip) is None


def first_non_public(addresses: Iterable[str]) -> str | None:
    """The reason the first non-public address is refused, or None when all are public."""
    for address in addresses:
        reason = non_public_reason(address)
        if reason is not None:
            return reason
    return None


def non_public_reason(ip: str) -> str | None:
    """Why `ip` is not public ("loopback", "private", ...), or None when it is."""
    try:
        address = ipaddress.ip_address(str(ip).split("%", 1)[0])
    except ValueError:
        return "not an IP address"
    if isinstance(address, ipaddress.IPv4Address):
        return _v4_reason(address)
    return _v6_reason(address)


def _v4_reason(address: ipaddress.IPv4Address) -> str | None:
    for network, reason in _V4_SPECIAL:
        if address in network:
            return reason
    if not address.is_global or address.is_multicast or address.is_reserved:
        return "special-purpose"
    return None


def _v6_reason(address: ipaddress.IPv6Address) -> str | None:
    if address.is_loopback:
        return "loopback"
    if address.is_unspecified:
        return "unspecified"
    embedded = _embedded_ipv4(address)
    if embedded:
        # The packet goes to (or through) the embedded IPv4 address: judge that one.
        for ipv4 in embedded:
            reason = _v4_reason(ipv4)
            if reason is not None:
                return f"{reason} (embedded IPv4)"
        return None
    for network, reason in _V6_SPECIAL:
        if address in network:
            return reason
    if address not in _GLOBAL_UNICAST:
        return "reserved"
    if not address.is_global:
        return "special-purpose"
    return None


def _embedded_ipv4(address: ipaddress.IPv6Address) -> tuple[ipaddress.IPv4Address, ...]:
    """IPv4 addresses carried by mapped, compatible, SIIT, NAT64, 6to4 and Teredo IPv6 addresses."""
    value = int(address)
    low32 = ipaddress.IPv4Address(value & 0xFFFFFFFF)
    if address.ipv4_mapped is not None:
        return (address.ipv4_mapped,)
    if value >> 32 == 0 or value >> 32 == _SIIT_TRANSLATED or address in _NAT64:
        return (low32,)
    if address.sixtofour is not None:
        return (address.sixtofour,)
    if address.teredo is not None:
        return address.teredo
    return ()
