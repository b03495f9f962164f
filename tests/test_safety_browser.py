"""The browser path's guard: what Chromium may request, how it is launched, and start-up checks."""

from __future__ import annotations

import asyncio
import copy
import pickle
from types import SimpleNamespace
from typing import Any

import pytest
from scrapy.settings import Settings

from crawler.safety.addresses import origin_of
from crawler.safety.browser import (
    CHROMIUM_ARGS,
    PLAYWRIGHT_HANDLER,
    BrowserRequestGate,
    abort_request,
    abort_request_factory,
    playwright_settings,
    verify_browser_settings,
)
from crawler.safety.policy import SafetyPolicy
from crawler.settings import SAFETY_SETTINGS


def fake_resolve(host: str, port: int) -> list[str]:
    return {"public.example": ["93.184.216.34"], "internal.example": ["10.0.0.7"]}.get(host, [])


def gate(**kwargs: Any) -> BrowserRequestGate:
    return BrowserRequestGate(resolve=fake_resolve, **kwargs)


@pytest.mark.parametrize(
    ("url", "resource_type", "aborted"),
    [
        ("https://public.example/", "document", False),
        ("https://public.example/app.js", "script", False),
        ("https://public.example/api?q=1", "xhr", False),
        ("https://public.example/api", "fetch", False),
        ("https://public.example/style.css", "stylesheet", False),
        # by type: never loaded, whatever the URL looks like
        ("https://public.example/pixel", "image", True),
        ("https://public.example/stream", "media", True),
        ("https://public.example/f", "font", True),
        ("https://public.example/subs", "texttrack", True),
        # by URL: a media file under any type (a script tag pointing at a video, a document navigation)
        ("https://public.example/clip.mp4", "document", True),
        ("https://public.example/photo.jpg", "fetch", True),
        ("https://public.example/archive.zip", "other", True),
        # by the address gate: navigations and subresources alike
        ("http://127.0.0.1:8080/admin", "document", True),
        ("http://169.254.169.254/latest/meta-data/", "xhr", True),
        ("http://[::ffff:10.0.0.1]/", "script", True),
        ("https://internal.example/", "document", True),
        ("https://nowhere.example/", "document", True),
        ("http://user:pw@public.example/", "document", True),
        ("file:///etc/passwd", "document", True),
        ("data:text/html,hi", "document", True),
        ("ws://public.example/socket", "websocket", True),
    ],
)
def test_should_abort(url: str, resource_type: str, aborted: bool) -> None:
    assert gate().should_abort(url, resource_type) is aborted


def test_stylesheets_can_be_blocked_too() -> None:
    assert gate(block_stylesheets=True).should_abort("https://public.example/s.css", "stylesheet")
    assert not gate(block_stylesheets=True).should_abort("https://public.example/app.js", "script")


def test_policy_allows_trusted_and_private_only_when_configured() -> None:
    trusted = SafetyPolicy(trusted_origins=frozenset({origin_of("http://127.0.0.1:8080")}))
    assert not gate(policy=trusted).should_abort("http://127.0.0.1:8080/x", "document")
    assert gate(policy=trusted).should_abort("http://127.0.0.1:8081/x", "document")
    sandbox = SafetyPolicy(allow_private=True)
    assert not gate(policy=sandbox).should_abort("http://10.0.0.1/", "document")
    assert gate(policy=sandbox).should_abort("http://10.0.0.1/x.png", "document")
    assert gate(policy=sandbox).should_abort("file:///etc/passwd", "document")


def test_the_predicate_scrapy_playwright_awaits() -> None:
    async def decide(request: Any) -> bool:
        return await gate()(request)

    assert (
        asyncio.run(decide(SimpleNamespace(url="https://public.example/", resource_type="document"))) is False
    )
    assert asyncio.run(decide(SimpleNamespace(url="http://127.0.0.1/", resource_type="document"))) is True

    class Broken:
        @property
        def url(self) -> str:
            raise RuntimeError("target closed")

    assert asyncio.run(decide(Broken())) is True  # fail closed


def test_strict_default_and_factory() -> None:
    assert abort_request == BrowserRequestGate()
    assert abort_request.policy == SafetyPolicy()
    built = abort_request_factory(
        allow_private=False, trusted_origins=["http://127.0.0.1:8888/searx"], block_stylesheets=True
    )
    assert built.policy.trusted_origins == frozenset({("http", "127.0.0.1", 8888)})
    assert built.block_stylesheets


def test_the_gate_survives_settings_copies() -> None:
    built = abort_request_factory(trusted_origins=["http://127.0.0.1:8888"])
    assert pickle.loads(pickle.dumps(built)) == built
    settings = Settings(playwright_settings(trusted_origins=["http://127.0.0.1:8888"]))
    assert settings.copy()["PLAYWRIGHT_ABORT_REQUEST"] == built
    assert copy.deepcopy(built) == built


def test_playwright_settings() -> None:
    values = playwright_settings(executable_path="/usr/bin/chromium")
    assert values["PLAYWRIGHT_BROWSER_TYPE"] == "chromium"
    assert values["PLAYWRIGHT_LAUNCH_OPTIONS"] == {
        "executable_path": "/usr/bin/chromium",
        "headless": True,
        "args": list(CHROMIUM_ARGS),
    }
    assert set(CHROMIUM_ARGS) >= {
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--disable-background-networking",
    }
    assert values["PLAYWRIGHT_CONTEXTS"] == {
        "default": {"accept_downloads": False, "service_workers": "block", "ignore_https_errors": False}
    }
    assert values["DOWNLOAD_HANDLERS"] == {
        "http": PLAYWRIGHT_HANDLER,
        "https": PLAYWRIGHT_HANDLER,
        "file": None,
        "data": None,
        "ftp": None,
        "s3": None,
    }
    assert isinstance(values["PLAYWRIGHT_ABORT_REQUEST"], BrowserRequestGate)
    assert values["TWISTED_REACTOR"] == "twisted.internet.asyncioreactor.AsyncioSelectorReactor"


def browser_crawl_settings(**overrides: Any) -> Settings:
    settings = Settings()
    settings.setdict(SAFETY_SETTINGS, priority="project")
    settings.setdict(playwright_settings(trusted_origins=["http://127.0.0.1:8888"]), priority="project")
    settings.setdict({"JIKIMI_TRUSTED_ORIGINS": ["http://127.0.0.1:8888"], **overrides}, priority="spider")
    return settings


def crawl_policy(settings: Settings) -> SafetyPolicy:
    return SafetyPolicy.from_settings(settings)


def test_verify_accepts_a_consistent_browser_crawl() -> None:
    settings = browser_crawl_settings()
    verify_browser_settings(settings, crawl_policy(settings))
    # Dict settings merge key by key: the safety handlers stay disabled next to the browser's.
    handlers = settings.getwithbase("DOWNLOAD_HANDLERS")
    assert handlers["http"] == PLAYWRIGHT_HANDLER and handlers["file"] is None and handlers["data"] is None


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"JIKIMI_TRUSTED_ORIGINS": []}, "PLAYWRIGHT_ABORT_REQUEST was built with other values"),
        ({"JIKIMI_ALLOW_PRIVATE_ADDRESSES": True}, "PLAYWRIGHT_ABORT_REQUEST was built with other values"),
        ({"PLAYWRIGHT_ABORT_REQUEST": None}, "must be a crawler.safety.browser.BrowserRequestGate"),
        (
            {"PLAYWRIGHT_ABORT_REQUEST": "some.module.predicate"},
            "must be a crawler.safety.browser.BrowserRequestGate",
        ),
        (
            {"PLAYWRIGHT_CONTEXTS": {"default": {"accept_downloads": False}, "other": {}}},
            "accept_downloads=False",
        ),
        ({"PLAYWRIGHT_CDP_URL": "http://127.0.0.1:9222"}, "only a locally launched browser"),
    ],
)
def test_verify_refuses_a_leaky_browser_crawl(overrides: dict[str, Any], message: str) -> None:
    settings = browser_crawl_settings(**overrides)
    with pytest.raises((ValueError, TypeError), match=message):
        verify_browser_settings(settings, crawl_policy(settings))


def test_verify_accepts_the_dotted_strict_predicate() -> None:
    settings = browser_crawl_settings(
        JIKIMI_TRUSTED_ORIGINS=[], PLAYWRIGHT_ABORT_REQUEST="crawler.safety.browser.abort_request"
    )
    verify_browser_settings(settings, crawl_policy(settings))


def test_verify_ignores_crawls_without_the_browser() -> None:
    settings = Settings()
    settings.setdict(SAFETY_SETTINGS, priority="project")
    verify_browser_settings(settings, SafetyPolicy())
