"""SafeHostnameResolver: the connect-time half of the gate, driven without a running reactor."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from scrapy.exceptions import CannotResolveHostError
from scrapy.http import Request, Response
from scrapy.resolver import HostResolution, dnscache
from scrapy.settings import Settings
from twisted.internet.address import IPv4Address, IPv6Address
from twisted.internet.error import DNSLookupError

from crawler.safety.addresses import origin_of
from crawler.safety.errors import RefusedRequestError
from crawler.safety.middleware import SafetyGateMiddleware, forbid_browser_downloads
from crawler.safety.policy import SafetyPolicy
from crawler.safety.resolver import SafeHostnameResolver, install_resolver

ANSWERS = {
    "public.example": ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"],
    "private.example": ["10.0.0.1"],
    "mixed.example": ["93.184.216.34", "127.0.0.1"],
    "mapped.example": ["::ffff:169.254.169.254"],
    "127.0.0.1": ["127.0.0.1"],
    "xn--vv4b11d.xn--3e0b707e": ["192.168.1.1"],
}


class SystemResolver:
    """Stands in for the reactor's getaddrinfo resolver; answers synchronously from ANSWERS."""

    def __init__(self) -> None:
        self.answers = dict(ANSWERS)
        self.calls: list[str] = []

    def resolveHostName(
        self,
        receiver: Any,
        hostName: str,
        portNumber: int = 0,
        addressTypes: Any = None,
        transportSemantics: str = "TCP",
    ) -> Any:
        self.calls.append(hostName)
        receiver.resolutionBegan(HostResolution(hostName))
        key = hostName.encode("idna").decode("ascii") if not hostName.isascii() else hostName
        for ip in self.answers.get(key, []):
            receiver.addressResolved((IPv6Address if ":" in ip else IPv4Address)("TCP", ip, portNumber))
        receiver.resolutionComplete()
        return receiver


class FakeReactor:
    def __init__(self) -> None:
        self.nameResolver: Any = SystemResolver()

    def installNameResolver(self, resolver: Any) -> Any:
        previous, self.nameResolver = self.nameResolver, resolver
        return previous


class Collected:
    def __init__(self) -> None:
        self.addresses: list[str] = []
        self.complete = False

    def resolutionBegan(self, resolution: Any) -> None:
        pass

    def addressResolved(self, address: Any) -> None:
        self.addresses.append(address.host)

    def resolutionComplete(self) -> None:
        self.complete = True


class Stats:
    def __init__(self) -> None:
        self.values: dict[str, int] = {}

    def inc_value(self, key: str, count: int = 1) -> None:
        self.values[key] = self.values.get(key, 0) + count


@pytest.fixture(autouse=True)
def empty_dns_cache() -> Iterator[None]:
    """Scrapy's DNS cache is module-global (and its size too): leave both as found."""
    limit = dnscache.limit
    dnscache.clear()
    yield
    dnscache.clear()
    dnscache.limit = limit


def resolve(resolver: SafeHostnameResolver, host: str, port: int = 80) -> Collected:
    collected = Collected()
    resolver.resolveHostName(collected, host, port)  # type: ignore[arg-type]  # zope interface, duck-typed
    assert collected.complete  # a refusal still completes: the endpoint fails fast, no hang
    return collected


def strict(reactor: FakeReactor, policy: SafetyPolicy | None = None) -> SafeHostnameResolver:
    # A stand-in with the one resolver slot SafeHostnameResolver touches, not a whole Twisted reactor.
    # stand-ins for the Twisted reactor and Scrapy process.
    return SafeHostnameResolver(reactor, 100, policy or SafetyPolicy())  # type: ignore[arg-type]


def test_public_addresses_pass_through() -> None:
    resolver = strict(FakeReactor())
    assert resolve(resolver, "public.example").addresses == ANSWERS["public.example"]
    assert resolver.refusal("public.example") is None


@pytest.mark.parametrize(
    ("host", "reason"),
    [
        ("private.example", "private"),
        ("mixed.example", "loopback"),
        ("mapped.example", "link-local (embedded IPv4)"),
        ("127.0.0.1", "loopback"),
    ],
)
def test_any_non_public_address_withholds_them_all(host: str, reason: str) -> None:
    resolver = strict(FakeReactor())
    assert resolve(resolver, host).addresses == []
    assert resolver.refusal(host) == reason


def test_the_cache_serves_raw_answers_and_the_check_runs_again() -> None:
    reactor = FakeReactor()
    resolver = strict(reactor)
    assert resolve(resolver, "private.example").addresses == []
    assert resolve(resolver, "private.example").addresses == []
    assert reactor.nameResolver.calls == ["private.example"]  # the second answer came from the cache


def test_a_clean_answer_clears_an_earlier_refusal() -> None:
    reactor = FakeReactor()
    resolver = strict(reactor)
    resolve(resolver, "private.example")
    dnscache.clear()
    reactor.nameResolver.answers["private.example"] = ["93.184.216.34"]
    assert resolve(resolver, "private.example").addresses == ["93.184.216.34"]
    assert resolver.refusal("private.example") is None


def test_international_names_are_remembered_in_their_ascii_form() -> None:
    resolver = strict(FakeReactor())
    assert resolve(resolver, "예시.한국").addresses == []
    assert resolver.refusal("xn--vv4b11d.xn--3e0b707e") == "private"


def test_allow_private_and_trusted_endpoints() -> None:
    assert resolve(strict(FakeReactor(), SafetyPolicy(allow_private=True)), "private.example").addresses == [
        "10.0.0.1"
    ]
    trusted = SafetyPolicy(trusted_origins=frozenset({origin_of("http://127.0.0.1:8888/searx")}))
    resolver = strict(FakeReactor(), trusted)
    assert resolve(resolver, "127.0.0.1", 8888).addresses == ["127.0.0.1"]
    assert resolve(resolver, "127.0.0.1", 8889).addresses == []


def test_from_crawler_reads_the_jikimi_settings() -> None:
    class Process:
        settings = Settings(
            {"JIKIMI_ALLOW_PRIVATE_ADDRESSES": "True", "JIKIMI_TRUSTED_ORIGINS": "http://127.0.0.1:8888"}
        )

    # stand-ins for the Twisted reactor and Scrapy process.
    resolver = SafeHostnameResolver.from_crawler(Process(), FakeReactor())  # type: ignore[arg-type]
    assert resolver.policy == SafetyPolicy(True, frozenset({("http", "127.0.0.1", 8888)}))


def test_bad_trusted_origin_names_the_setting() -> None:
    with pytest.raises(ValueError, match="JIKIMI_TRUSTED_ORIGINS"):
        SafetyPolicy.from_settings(Settings({"JIKIMI_TRUSTED_ORIGINS": ["file:///etc"]}))


def test_reinstalling_wraps_the_system_resolver_not_the_earlier_gate() -> None:
    reactor = FakeReactor()
    system = reactor.nameResolver
    first = install_resolver(reactor, SafetyPolicy(), 0)
    second = install_resolver(reactor, SafetyPolicy(), 0)
    assert reactor.nameResolver is second
    assert first.original_resolver is system and second.original_resolver is system


# The middleware's side of the resolver: turning a withheld answer into a named refusal.


def gate_with(reactor: FakeReactor, policy: SafetyPolicy | None = None) -> tuple[SafetyGateMiddleware, Stats]:
    stats = Stats()
    # Stats(): a stand-in for Scrapy's stats collector.
    return SafetyGateMiddleware(policy or SafetyPolicy(), stats, reactor=reactor), stats  # type: ignore[arg-type]


@pytest.mark.parametrize("error", [CannotResolveHostError("no results"), DNSLookupError("no results")])
def test_a_withheld_answer_becomes_a_refusal(error: Exception) -> None:
    reactor = FakeReactor()
    resolver = install_resolver(reactor, SafetyPolicy(), 0)
    resolve(resolver, "private.example")
    gate, stats = gate_with(reactor)
    with pytest.raises(RefusedRequestError) as excinfo:
        gate.process_exception(Request("http://private.example/?q=VICTIM"), error)
    assert excinfo.value.rule == "private_address"
    assert str(excinfo.value) == "private address: private"
    assert stats.values == {"jikimi/safety/refused": 1, "jikimi/safety/refused/private_address": 1}


def test_a_plain_dns_failure_stays_a_dns_failure() -> None:
    reactor = FakeReactor()
    install_resolver(reactor, SafetyPolicy(), 0)
    gate, stats = gate_with(reactor)
    # None lets Scrapy's own handling go on: the return value is what is under test.
    plain_failure = CannotResolveHostError("x")
    assert gate.process_exception(Request("http://nowhere.example/"), plain_failure) is None  # type: ignore[func-returns-value]
    assert gate.process_exception(Request("http://private.example/"), TimeoutError()) is None  # type: ignore[func-returns-value]
    assert stats.values == {}


def test_connect_time_guard_is_installed_when_scrapy_did_not() -> None:
    reactor = FakeReactor()
    gate, _ = gate_with(reactor)
    gate._require_connect_time_guard()
    assert isinstance(reactor.nameResolver, SafeHostnameResolver)
    assert reactor.nameResolver.policy == SafetyPolicy()


def test_a_resolver_with_another_policy_refuses_everything() -> None:
    reactor = FakeReactor()
    install_resolver(reactor, SafetyPolicy(allow_private=True), 0)
    gate, stats = gate_with(reactor)
    with pytest.raises(RefusedRequestError) as excinfo:
        gate._require_connect_time_guard()
    assert excinfo.value.rule == "resolver_mismatch"
    assert stats.values["jikimi/safety/refused/resolver_mismatch"] == 1


def test_verdict_uses_the_injected_resolver() -> None:
    # Stats(): a stand-in for Scrapy's stats collector.
    gate = SafetyGateMiddleware(SafetyPolicy(), Stats(), resolve=lambda host, port: ["10.1.1.1"])  # type: ignore[arg-type]
    objection = gate.verdict("http://example.com/?q=VICTIM")
    assert objection is not None and objection.rule == "private_address"
    # verdict is None only for an allowed URL.
    assert gate.verdict("ftp://example.com/").rule == "scheme_not_allowed"  # type: ignore[union-attr]
    # Stats(): a stand-in for Scrapy's stats collector.
    public = SafetyGateMiddleware(SafetyPolicy(), Stats(), resolve=lambda host, port: ["93.184.216.34"])  # type: ignore[arg-type]
    assert public.verdict("http://example.com/?q=VICTIM") is None


@pytest.mark.parametrize(
    ("url", "policy", "expected"),
    [
        ("http://127.0.0.1:8080/?q=VICTIM", SafetyPolicy(), "private_address"),
        ("http://[::ffff:10.0.0.1]/", SafetyPolicy(), "private_address"),
        ("http://0x7f.1/", SafetyPolicy(), "private_address"),
        ("http://localhost./", SafetyPolicy(), "private_address"),
        ("ftp://example.com/", SafetyPolicy(), "scheme_not_allowed"),
        ("http://93.184.216.34/", SafetyPolicy(), None),
        ("http://127.0.0.1:8080/", SafetyPolicy(allow_private=True), None),
        ("http://example.com/", SafetyPolicy(allow_private=True), None),
        ("http://example.com/", SafetyPolicy(), "needs_dns"),
        ("http://rebind.example:8080/", SafetyPolicy(), "needs_dns"),
    ],
)
def test_verdict_without_dns_decides_only_what_needs_no_lookup(
    url: str, policy: SafetyPolicy, expected: str | None
) -> None:
    # The fast path never resolves: a host name always goes to the threaded check (rebinding defence).
    def must_not_resolve(host: str, port: int) -> list[str]:
        raise AssertionError("verdict_without_dns resolved a host")

    gate = SafetyGateMiddleware(policy, Stats(), resolve=must_not_resolve)  # type: ignore[arg-type]
    quick = gate.verdict_without_dns(url)
    if expected == "needs_dns":
        assert quick is not None and not isinstance(quick, ValueError)
    elif expected is None:
        assert quick is None
    else:
        assert isinstance(quick, ValueError) and quick.rule == expected
        # Same verdict as the threaded path, which resolves nothing for these either.
        full = gate.verdict(url)
        assert full is not None and full.rule == expected


@pytest.mark.parametrize(
    ("ip", "url", "policy", "refused"),
    [
        ("10.0.0.5", "http://example.com/", SafetyPolicy(), True),
        ("::1", "http://example.com/", SafetyPolicy(), True),
        ("93.184.216.34", "http://example.com/", SafetyPolicy(), False),
        ("10.0.0.5", "http://example.com/", SafetyPolicy(allow_private=True), False),
        (
            "127.0.0.1",
            "http://127.0.0.1:8888/x",
            SafetyPolicy(trusted_origins=frozenset({("http", "127.0.0.1", 8888)})),
            False,
        ),
        (None, "http://example.com/", SafetyPolicy(), False),
    ],
)
def test_the_peer_address_of_a_response_is_checked(
    ip: str | None, url: str, policy: SafetyPolicy, refused: bool
) -> None:
    import ipaddress

    gate, _ = gate_with(FakeReactor(), policy)
    request = Request(url)
    response = Response(url, ip_address=ipaddress.ip_address(ip) if ip else None)
    if refused:
        with pytest.raises(RefusedRequestError):
            gate.process_response(request, response)
    else:
        assert gate.process_response(request, response) is response


def test_a_browser_redirect_is_judged_by_where_it_ended() -> None:
    import ipaddress

    trusted = SafetyPolicy(trusted_origins=frozenset({("http", "127.0.0.1", 8888)}))
    gate, _ = gate_with(FakeReactor(), trusted)
    request = Request("http://127.0.0.1:8888/redirect")
    ended = Response(
        "http://127.0.0.1:9999/internal", ip_address=ipaddress.ip_address("127.0.0.1"), flags=["playwright"]
    )
    with pytest.raises(RefusedRequestError):
        gate.process_response(request, ended)


def test_browser_requests_never_accept_downloads() -> None:
    request = Request(
        "http://example.com/",
        meta={"playwright": True, "playwright_context_kwargs": {"accept_downloads": True}},
    )
    forbid_browser_downloads(request)
    assert request.meta["playwright_context_kwargs"] == {"accept_downloads": False}
    plain = Request("http://example.com/")
    forbid_browser_downloads(plain)
    assert "playwright_context_kwargs" not in plain.meta
