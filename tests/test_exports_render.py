"""The pure renderers: CSV cells that never run, HTML that never executes, JSON Lines that stay lines."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, datetime, timedelta, timezone
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from storage.exports import EXPORT_FORMATS, ExportRow
from takedown import exporting
from takedown.exporting import ExportMeta, group_for_report, neutralise_cell, nightly_export_path, safe_href
from takedown.templating import html_environment

T0 = datetime(2026, 11, 20, 3, 0, 5, 123456, tzinfo=UTC)
META = ExportMeta(exported_at=datetime(2026, 11, 24, 18, 0, tzinfo=UTC))


def row(i: int = 1, **kw: Any) -> ExportRow:
    values: dict[str, Any] = {
        "id": i,
        "case_id": 1,
        "case": "사건 A",
        "url": f"https://forum.example/t/{i}",
        "domain": "forum.example",
        "platform": "web",
        "title": "홍길동 영상",
        "snippet": "지인능욕",
        "confidence": "snippet",
        "sources": ("kakao", "naver"),
        "first_seen": T0,
        "last_seen": T0 + timedelta(days=1),
        "status": "new",
        "term": None,
    }
    values.update(kw)
    return ExportRow(**values)


def render(fmt: str, rows: list[ExportRow], meta: ExportMeta = META) -> str:
    out = io.StringIO()
    exporting.RENDERERS[fmt](rows, out, meta)
    return out.getvalue()


def test_every_format_has_a_renderer() -> None:
    assert tuple(exporting.RENDERERS) == EXPORT_FORMATS


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ('=HYPERLINK("http://evil.example","x")', '\'=HYPERLINK("http://evil.example","x")'),
        ("+1+2", "'+1+2"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("＝1+1", "'＝1+1"),
        ("홍길동 = 영상", "홍길동 = 영상"),
        ("https://x.example/?a=-1", "https://x.example/?a=-1"),
        ("", ""),
    ],
)
def test_neutralise_cell(cell: str, expected: str) -> None:
    assert neutralise_cell(cell) == expected


def test_csv_has_bom_header_and_joined_sources() -> None:
    text = render("csv", [row(1), row(2, sources=("naver",), title=None)])
    assert text.startswith("\ufeffid,case,url,")
    assert text.encode("utf-8").startswith(b"\xef\xbb\xbf")
    records = list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))
    assert list(records[0]) == list(exporting.FIELDS)
    assert [r["sources"] for r in records] == ["kakao;naver", "naver"]
    assert records[1]["title"] == ""
    assert records[0]["first_seen"] == "2026-11-20T03:00:05+00:00"


def test_csv_neutralises_every_column() -> None:
    hostile = row(
        case="=cmd|' /C calc'!A0",
        url='=HYPERLINK("x")',
        domain="@evil",
        platform="+p",
        title="-title",
        snippet="\tsnip",
        sources=("=src",),
        term="=term",
    )
    text = render("csv", [hostile], ExportMeta(exported_at=T0, include_terms=True))
    [record] = csv.DictReader(io.StringIO(text.removeprefix("\ufeff")))
    for value in record.values():
        assert not value.startswith(("=", "+", "-", "@", "\t", "\r")), value
    assert record["term"] == "'=term" and record["sources"] == "'=src"


def test_csv_keeps_multiline_snippets_in_one_record() -> None:
    text = render("csv", [row(snippet='line one\r\nline two, "quoted"')])
    [record] = csv.DictReader(io.StringIO(text.removeprefix("\ufeff"), newline=""))
    assert record["snippet"] == 'line one\r\nline two, "quoted"'


def test_term_column_only_when_asked() -> None:
    rows = [row(term="zq_handle")]
    assert "zq_handle" not in render("csv", rows) and ",term" not in render("csv", rows)
    assert "zq_handle" not in render("jsonl", rows) and '"term"' not in render("jsonl", rows)
    assert "zq_handle" not in render("html", rows) and "term:" not in render("html", rows)
    with_terms = ExportMeta(exported_at=T0, include_terms=True)
    assert render("csv", rows, with_terms).splitlines()[0].endswith(",term,case_label")
    # The case label (often the person's name) travels on the same opt-in, never by default.
    assert "사건 A" not in render("csv", rows) + render("jsonl", rows) + render("html", rows)
    assert "사건 A" in render("csv", rows, with_terms) and "사건 A" in render("html", rows, with_terms)
    assert json.loads(render("jsonl", rows, with_terms))["term"] == "zq_handle"
    assert "term: zq_handle" in render("html", rows, with_terms)


def test_jsonl_one_object_per_line_korean_kept() -> None:
    tricky = row(2, snippet="a\u2028b\u2029c\u0085d\ne")
    text = render("jsonl", [row(1), tricky])
    assert "홍길동" in text and "\\u" not in text.splitlines()[0]
    lines = text.splitlines()  # splits on U+2028 and friends too: they must be escaped
    assert len(lines) == 2 and text.endswith("\n")
    assert [json.loads(line)["id"] for line in lines] == [1, 2]
    assert json.loads(lines[1])["snippet"] == "a\u2028b\u2029c\u0085d\ne"
    assert json.loads(lines[0])["sources"] == ["kakao", "naver"]


def test_jsonl_empty_is_empty() -> None:
    assert render("jsonl", []) == ""


@pytest.mark.parametrize(
    ("url", "linked"),
    [
        ("https://forum.example/a?b=c", True),
        ("HTTP://forum.example/", True),
        ("javascript:alert(1)", False),
        ("JaVaScRiPt:alert(1)", False),
        (" javascript:alert(1)", False),
        ("java\tscript:alert(1)", False),
        ("data:text/html,<script>alert(1)</script>", False),
        ("vbscript:msgbox(1)", False),
        ("//evil.example/", False),
        ("https://forum.example/\njavascript:alert(1)", False),
        ("ftp://files.example/", False),
    ],
)
def test_safe_href(url: str, linked: bool) -> None:
    assert (safe_href(url) == url) is linked
    if not linked:
        assert safe_href(url) is None


HOSTILE = row(
    7,
    title="<script>alert(1)</script>{{7*7}}",
    snippet='=HYPERLINK("http://evil.example","x") <img src=x onerror=alert(1)>',
    case="<b>case</b>",
    url='https://forum.example/x"onmouseover="alert(1)',
    domain="<i>forum.example</i>",
    platform="{% raw %}web",
)


def test_html_escapes_page_text() -> None:
    html = render("html", [HOSTILE, row(8, url="javascript:alert(document.cookie)")])
    assert "<script" not in html.lower() and "<img" not in html.lower() and "<b>case" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;{{7*7}}" in html
    assert "49" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "{% raw %}web" in html.replace("&#34;", '"')
    assert 'href="https://forum.example/x&#34;onmouseover=&#34;alert(1)"' in html
    assert re.findall(r"<a [^>]*>", html) == [
        '<a href="https://forum.example/x&#34;onmouseover=&#34;alert(1)" rel="noreferrer noopener">'
    ]
    assert "javascript:alert(document.cookie)" in html  # shown as text, never as a link


class _Tags(HTMLParser):
    """Every element and attribute a browser would see."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.style = ""
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.style += data


ALLOWED_TAGS = {
    "html",
    "head",
    "meta",
    "title",
    "style",
    "body",
    "header",
    "h1",
    "h2",
    "h3",
    "h4",
    "p",
    "span",
    "section",
    "table",
    "colgroup",
    "col",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "div",
    "code",
    "strong",
    "a",
    "br",
}


def test_html_is_self_contained() -> None:
    parser = _Tags()
    parser.feed(render("html", [row(1), HOSTILE, row(9, url="javascript:alert(1)")]))
    tags = {tag for tag, _ in parser.tags}
    assert tags <= ALLOWED_TAGS, tags - ALLOWED_TAGS
    assert parser.tags
    for tag, attrs in parser.tags:
        forbidden = {"src", "srcset", "style", "action"}
        assert not any(name.startswith("on") or name in forbidden for name in attrs)
        if "href" in attrs:
            assert tag == "a" and (attrs["href"] or "").startswith("https://")
            assert attrs["rel"] == "noreferrer noopener"
    assert "url(" not in parser.style and "@import" not in parser.style
    csp = [a["content"] for t, a in parser.tags if a.get("http-equiv") == "Content-Security-Policy"]
    assert csp and "default-src 'none'" in (csp[0] or "")


def test_html_groups_by_tier_then_platform_then_domain_with_counts() -> None:
    rows = [
        row(1, platform="web", domain="b.example", url="https://b.example/1", score=80.0, tier="strong"),
        row(
            2,
            platform="cafe",
            domain="cafe.naver.com",
            url="https://cafe.naver.com/2",
            score=90,
            tier="strong",
        ),
        row(3, platform="web", domain="a.example", url="https://a.example/3", score=85.0, tier="strong"),
        row(4, platform="web", domain="b.example", url="https://b.example/4", score=95.0, tier="strong"),
        row(5, platform="web", domain="a.example", url="https://a.example/5", score=20.0, tier="weak"),
    ]
    groups = group_for_report(rows)
    shape = [
        (
            t.name,
            t.count,
            [
                (g.name, g.count, [(d.name, [i.row.id for i in d.items]) for d in g.domains])
                for g in t.platforms
            ],
        )
        for t in groups
    ]
    assert shape == [
        (
            "strong",
            4,
            [("cafe", 1, [("cafe.naver.com", [2])]), ("web", 3, [("a.example", [3]), ("b.example", [4, 1])])],
        ),
        ("weak", 1, [("web", 1, [("a.example", [5])])]),
    ]
    html = render("html", rows)
    assert html.index(">strong <") < html.index(">cafe <") < html.index(">web <") < html.index(">weak <")
    assert html.index("a.example/3") < html.index("b.example/4") < html.index("b.example/1")
    assert '<h3>web <span class="count">(3)</span></h3>' in html
    assert '<h4>b.example <span class="count">(2)</span></h4>' in html
    assert "score 95 (strong)" in html
    assert "Exported 2026-11-24T18:00:00+00:00 (UTC)" in html and "5 exposures" in html


@pytest.mark.parametrize(
    ("only_new", "message"),
    [(True, "Nothing new since the last export."), (False, "No exposures match this export.")],
)
def test_html_empty_page(only_new: bool, message: str) -> None:
    html = render("html", [], ExportMeta(exported_at=T0, only_new=only_new))
    assert message in html and "<table" not in html and html.rstrip().endswith("</html>")


def test_iso_utc_converts_and_shows_the_offset() -> None:
    kst = timezone(timedelta(hours=9))
    assert exporting.iso_utc(datetime(2026, 11, 24, 3, 0, tzinfo=kst)) == "2026-11-23T18:00:00+00:00"


def test_nightly_export_path() -> None:
    kst = timezone(timedelta(hours=9))
    now = datetime(2026, 11, 24, 3, 0, 7, tzinfo=kst)
    expected = Path("/srv/exports/jikimi-new-2026-11-24-030007.csv")
    assert nightly_export_path(Path("/srv/exports"), now, "csv") == expected
    with pytest.raises(ValueError):
        nightly_export_path(Path("/srv/exports"), now, "xlsx")


def test_template_is_shipped_in_the_package() -> None:
    import takedown

    template = Path(takedown.__file__).parent / "templates" / "export.html.j2"
    assert template.is_file()
    assert html_environment().autoescape is True
