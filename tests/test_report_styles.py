"""The two HTML files jikimi writes (the takedown export and the statistics report) allow their own
style block by its hash, never 'unsafe-inline': the hash must be the one a browser computes, and a
style attribute or block that got in (escaping gone wrong) must not apply. The browser half runs in
Debian's Chromium and is never skipped."""

from __future__ import annotations

import base64
import hashlib
import io
import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from playwright.sync_api import Browser, ConsoleMessage

from storage.exports import ExportRow
from storage.stats import DayCount, PlatformCounts, PlatformStats, Report
from takedown.exporting import ExportMeta, write_html
from takedown.report import render_html
from takedown.templating import style_hash

CHROMIUM = "/usr/bin/chromium"
NOW = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)
# What an escaping failure would let through: a style attribute and a style block, both red.
INJECTED = (
    '<p id="injected" style="color: rgb(255, 0, 0)">x</p>'
    '<style>#injected2 { color: rgb(255, 0, 0); }</style><p id="injected2">y</p>'
)


def export_html() -> str:
    row = ExportRow(
        id=1,
        case_id=7,
        case="",
        url="https://forum.example/t/1",
        domain="forum.example",
        platform="web",
        title="title",
        snippet="snippet",
        confidence="snippet",
        sources=("naver",),
        first_seen=NOW,
        last_seen=NOW,
        status="new",
        score=80.0,
        tier="strong",
    )
    out = io.StringIO()
    write_html([row], out, ExportMeta(exported_at=NOW, timezone="Asia/Seoul"))
    return out.getvalue()


def report_html() -> str:
    stats = PlatformStats("all", 3, 2, 12.0, 30.0, {24: 0.5}, 1, (80.0,))
    return render_html(
        Report(
            generated_at=NOW,
            timezone="Asia/Seoul",
            case_id=None,
            days=1,
            new_per_night=(DayCount(date(2026, 12, 1), 2),),
            statuses={"new": 1, "removed": 1, "dismissed": 1},
            open=1,
            removed=1,
            dismissed=1,
            platforms=(PlatformCounts("web", 1, 1, 1),),
            takedown=(stats,),
            reuploads=(),
        )
    )


RENDERED = {"export": export_html, "report": report_html}


def csp_of(html: str) -> str:
    found = re.search(r'http-equiv="Content-Security-Policy" content="([^"]*)"', html)
    assert found, "no CSP meta"
    return found.group(1).replace("&#39;", "'")


@pytest.mark.parametrize("kind", sorted(RENDERED))
def test_style_is_allowed_by_the_hash_of_the_rendered_block(kind: str) -> None:
    html = RENDERED[kind]()
    blocks = re.findall(r"<style>(.*?)</style>", html, re.DOTALL)
    assert len(blocks) == 1
    digest = base64.b64encode(hashlib.sha256(blocks[0].encode()).digest()).decode()
    style_src = re.search(r"style-src ([^;]*)", csp_of(html))
    assert style_src and style_src.group(1).strip() == f"'sha256-{digest}'"
    assert "unsafe-inline" not in html and " style=" not in html


@pytest.mark.parametrize(
    "source",
    [
        "<p>no style</p>",
        "<style>a {}</style><style>b {}</style>",
        "<style>a { color: {{ colour }}; }</style>",
        "<style>{% if x %}a {}{% endif %}</style>",
    ],
)
def test_a_template_without_one_static_style_block_is_refused(source: str) -> None:
    with pytest.raises(ValueError, match="one static <style> block"):
        style_hash(source, "t.html.j2")


@pytest.mark.browser
@pytest.mark.parametrize("kind", sorted(RENDERED))
def test_own_styles_apply_and_injected_ones_do_not(kind: str, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    html = RENDERED[kind]().replace("<body>", "<body>" + INJECTED, 1)
    page_file = tmp_path / f"{kind}.html"
    page_file.write_text(html, encoding="utf-8")
    with sync_playwright() as p:
        browser: Browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = browser.new_page()
            violations: list[str] = []

            def on_console(message: ConsoleMessage) -> None:
                if "Content Security Policy" in message.text:
                    violations.append(message.text)

            page.on("console", on_console)
            page.goto(page_file.as_uri())
            own = page.evaluate("getComputedStyle(document.querySelector('h1')).fontSize")
            body_margin = page.evaluate("getComputedStyle(document.body).marginTop")
            injected = [
                page.evaluate(f"getComputedStyle(document.getElementById('{i}')).color")
                for i in ("injected", "injected2")
            ]
        finally:
            browser.close()
    # The template's own sheet applied (the browser default h1 is 32px with an 8px body margin) ...
    assert (own, body_margin) != ("32px", "8px")
    # ... and neither injected rule did, and the browser said why.
    assert "rgb(255, 0, 0)" not in injected, injected
    assert len(violations) >= 2, violations
