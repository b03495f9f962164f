"""crawler.extract: readable text, app-shell detection and Telegram previews, on hostile input too."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crawler.extract import (
    MAX_TEXT_CHARS,
    ExtractedPage,
    decode_html,
    extract_text,
    looks_script_only,
    parse_telegram_page,
    text_sha256,
)

ARTICLE_PAGE = """<!doctype html>
<html lang="ko"><head><meta charset="utf-8"><title> 게시글 제목 &amp; more </title>
<style>body { color: red }</style><script>var tracking = "ignore me";</script></head>
<body>
<header><a href="/">Site logo</a></header>
<nav><ul><li>Home</li><li>About</li></ul></nav>
<article>
  <h1>Post heading</h1>
  <p>First paragraph with <b>bold</b> and <a href="/x">a link</a>.<br>Second line.</p>
  <div>홍길동 이야기</div>
  <!-- an HTML comment -->
  <noscript>Enable JavaScript</noscript>
  <svg><text>svg text</text></svg>
  <form><label>Search</label><input name="q"></form>
</article>
<aside>Related: other posts</aside>
<footer>Copyright</footer>
<script>document.write("late")</script>
</body></html>"""


def test_extract_text_prefers_the_article_and_drops_chrome() -> None:
    page = extract_text(ARTICLE_PAGE)
    assert page.title == "게시글 제목 & more"
    assert page.text == "Post heading\nFirst paragraph with bold and a link.\nSecond line.\n홍길동 이야기"
    assert not page.truncated


def test_extract_text_uses_main_and_falls_back_to_the_body() -> None:
    page = extract_text("<body><nav>n</nav><main><p>inside main</p></main><p>outside</p></body>")
    assert page.text == "inside main"
    empty_main = extract_text("<body><main> </main><p>only text here</p></body>")
    assert empty_main.text == "only text here"
    plain = extract_text("<p>one</p><p>two</p>")
    assert plain.text == "one\ntwo"
    several = extract_text("<body><article><p>A</p></article><div>x</div><article><p>B</p></article></body>")
    assert several.text == "A\nB"


def test_title_falls_back_to_the_first_heading() -> None:
    assert extract_text("<body><h1>The  heading</h1><p>x</p></body>").title == "The heading"
    assert extract_text("<p>no title</p>").title == ""


NAME = "홍길동"


@pytest.mark.parametrize(
    ("body", "declared", "expected_encoding"),
    [
        (b"<p>" + NAME.encode("cp949"), "euc-kr", "cp949"),
        (b"<p>" + NAME.encode("cp949"), "utf-8", "cp949"),  # the header lies: says UTF-8, sends EUC-KR
        (b"<p>" + NAME.encode("utf-8"), "iso-8859-1", "utf-8"),  # the header lies the other way
        (b"<p>" + NAME.encode("utf-8"), None, "utf-8"),
        (b'<meta charset="euc-kr"><p>' + NAME.encode("cp949"), None, "cp949"),
        (b'<meta charset="utf-8"><p>' + NAME.encode("cp949"), "utf-8", "cp949"),  # both lie
        ("\ufeff<p>홍길동".encode("utf-8"), "cp949", "utf-8"),  # a byte-order mark wins
        ("\ufeff<p>홍길동".encode("utf-16"), None, "utf-16-le"),
    ],
)
def test_decoding_believes_a_charset_only_when_it_decodes(
    body: bytes, declared: str | None, expected_encoding: str
) -> None:
    page = extract_text(body, declared)
    assert page.text == NAME
    assert page.encoding == expected_encoding
    assert decode_html(body, declared)[1] == expected_encoding


def test_undecodable_bytes_are_replaced_not_raised() -> None:
    page = extract_text(b"<title>\xff\xfe\xfa</title><p>caf\xe9 \x80\x81 \xed\xa0\x80 ok</p>", "utf-8")
    assert page.text.endswith("ok")
    assert "\x00" not in page.text
    assert extract_text(b"\x00\x01\x02<p>\x00x\x00</p>").text == "x"
    assert extract_text(b"<p>x</p>", "no-such-charset").text == "x"
    assert extract_text(b"<p>x</p>", "utf-7").text == "x"


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "   ",
        b"",
        "<",
        "<<<>>>",
        "<!--",
        "<html",
        "</p>",
        "<?xml version='1.0' encoding='utf-8'?><p>x</p>",
    ],
)
def test_degenerate_documents(raw: str | bytes) -> None:
    page = extract_text(raw)
    assert isinstance(page, ExtractedPage)
    assert not page.truncated
    assert page.text in ("", "x", raw)  # a lone "<" is text, as a browser shows it


@pytest.mark.parametrize("depth", [300, 5_000, 200_000])
def test_deep_nesting_neither_crashes_nor_hides_text(depth: int) -> None:
    html = (
        "<html><head><title>Deep</title></head><body><p>before</p>"
        + "<div>" * depth
        + "hidden 홍길동"
        + "</div>" * depth
        + "<p>after</p><script>evil()</script></body></html>"
    )
    started = time.monotonic()
    page = extract_text(html)
    assert time.monotonic() - started < 10
    assert page.title == "Deep"
    assert "hidden 홍길동" in page.text and "after" in page.text and "before" in page.text
    assert "evil" not in page.text
    assert page.truncated


def test_unclosed_deep_tags_and_unclosed_raw_text() -> None:
    page = extract_text("<p>start</p>" + "<span>" * 100_000 + "end<script>never closed")
    assert "start" in page.text and "end" in page.text and "never" not in page.text


def test_text_is_capped() -> None:
    page = extract_text("<p>" + "word " * (MAX_TEXT_CHARS // 2) + "</p>")
    assert len(page.text) == MAX_TEXT_CHARS
    assert page.truncated


@settings(max_examples=300, suppress_health_check=list(HealthCheck), deadline=None)
@given(
    st.one_of(st.binary(max_size=2000), st.text(max_size=2000)),
    st.sampled_from([None, "utf-8", "euc-kr", "latin-1", "bogus"]),
)
def test_extract_text_never_raises(raw: str | bytes, declared: str | None) -> None:
    page = extract_text(raw, declared)
    assert isinstance(page.text, str) and isinstance(page.title, str)
    page.text.encode("utf-8")  # storable: no lone surrogates
    parse_telegram_page(raw, declared)
    looks_script_only(raw, declared)


def test_text_sha256() -> None:
    assert text_sha256("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    assert len(text_sha256("\ud800 lone surrogate")) == 64


@pytest.mark.parametrize(
    ("html", "script_only"),
    [
        ('<html><body><div id="root"></div><script src="/main.js"></script></body></html>', True),
        ('<html><body><div id="__next"></div><script>' + "x=1;" * 1000 + "</script></body></html>", True),
        (
            (
                "<html><body><app-root></app-root>"
                "<script src=a.js></script><script src=b.js></script></body></html>"
            ),
            True,
        ),
        (
            "<html><body><noscript>You need to enable JavaScript to run this app.</noscript></body></html>",
            True,
        ),
        (ARTICLE_PAGE, False),
        (
            "<html><body><p>"
            + "real text " * 50
            + '</p><div id="root"></div><script src=a.js></script></body></html>',
            False,
        ),
        ("<html><body><p>short page</p></body></html>", False),
        ('<html><body><div id="app"><p>' + "server rendered " * 30 + "</p></div></body></html>", False),
        ('<script type="application/ld+json">' + "{}" * 2000 + "</script><p>tiny</p>", False),
        ("", False),
    ],
)
def test_looks_script_only(html: str, script_only: bool) -> None:
    assert looks_script_only(html) is script_only


TELEGRAM_PAGE = """<!DOCTYPE html><html><head>
<link rel="canonical" href="https://t.me/s/SomeChannel">
<link rel="prev" href="/s/SomeChannel?before=101">
</head><body>
<div class="tgme_channel_info"><div
  class="tgme_channel_info_header_title"><span>Some Channel</span></div></div>
<section class="tgme_channel_history js-message_history">
<div class="tme_messages_more js-messages_more" data-before="101"></div>

<div class="tgme_widget_message_wrap js-widget_message_wrap">
 <div class="tgme_widget_message text_not_supported_wrap js-widget_message" data-post="SomeChannel/101"
   data-view="x">
  <div class="tgme_widget_message_bubble">
   <div class="tgme_widget_message_author accent_color"><a class="tgme_widget_message_owner_name"
     href="https://t.me/SomeChannel"><span dir="auto">Some Channel</span></a></div>
   <a class="tgme_widget_message_reply" href="https://t.me/SomeChannel/90">
     <div class="tgme_widget_message_author accent_color"><span
       class="tgme_widget_message_author_name">Someone</span></div>
     <div class="tgme_widget_message_text js-message_reply_text" dir="auto">QUOTED reply text</div>
   </a>
   <a class="tgme_widget_message_photo_wrap 5 blured" href="https://t.me/SomeChannel/101?single"
     style="width:800px;background-image:url('https://cdn4.telesco.pe/file/abcdef.jpg')"></a>
   <div class="tgme_widget_message_text js-message_text" dir="auto">홍길동 <b>bold</b><br/>second <a
     href="https://example.com/?q=1">line</a> <i class="emoji"
     style="background-image:url('//telegram.org/img/emoji/40/F09F9880.png')"><b>😀</b></i></div>
   <a class="tgme_widget_message_link_preview" href="https://example.com/article">
     <div class="link_preview_site_name">Example</div>
     <div class="link_preview_title">PREVIEW title</div>
     <div class="link_preview_description">PREVIEW description</div>
     <i class="link_preview_image"
       style="background-image:url('https://cdn4.telesco.pe/file/preview.jpg')"></i>
   </a>
   <div class="tgme_widget_message_footer compact js-message_footer"><div
     class="tgme_widget_message_info short js-message_info">
     <span class="tgme_widget_message_views">1.2K</span>
     <span class="tgme_widget_message_meta"><a class="tgme_widget_message_date"
       href="https://t.me/SomeChannel/101"><time datetime="2026-01-02T03:04:05+00:00"
       class="time">03:04</time></a></span>
   </div></div>
  </div>
 </div>
</div>

<div class="tgme_widget_message_wrap js-widget_message_wrap">
 <div class="tgme_widget_message js-widget_message" data-post="SomeChannel/102">
  <div class="tgme_widget_message_bubble">
   <div class="tgme_widget_message_forwarded_from accent_color">Forwarded from <a
     class="tgme_widget_message_forwarded_from_name" href="https://t.me/other">Other</a></div>
   <a class="tgme_widget_message_video_player js-message_video_player" href="https://t.me/SomeChannel/102">
     <i class="tgme_widget_message_video_thumb"
       style="background-image:url('https://cdn4.telesco.pe/file/thumb.jpg')"></i>
     <video src="https://cdn4.telesco.pe/file/video.mp4"
       class="tgme_widget_message_video js-message_video"></video>
   </a>
   <div class="tgme_widget_message_footer"><a class="tgme_widget_message_date"
     href="https://t.me/SomeChannel/102"><time datetime="2026-01-02T05:00:00+09:00">05:00</time></a></div>
  </div>
 </div>
</div>

<div class="tgme_widget_message_wrap">
 <div class="tgme_widget_message" data-post="SomeChannel/103">
  <div class="tgme_widget_message_sticker_wrap"><i class="tgme_widget_message_sticker"
    style="background-image:url('https://cdn4.telesco.pe/file/sticker.webp')"></i></div>
  <div class="tgme_widget_message_document_wrap"><div class="tgme_widget_message_document"><div
    class="tgme_widget_message_document_title">file.zip</div></div></div>
  <div class="tgme_widget_message_text js-message_text">plain text, <tg-spoiler>spoiler</tg-spoiler></div>
  <a class="tgme_widget_message_date" href="https://t.me/SomeChannel/103"><time
    datetime="not a date">?</time></a>
 </div>
</div>

<div class="tgme_widget_message" data-post="../../etc/1"><div
  class="tgme_widget_message_text js-message_text">bad post id</div></div>
<div class="tgme_widget_message" data-post="SomeChannel/abc"><div
  class="tgme_widget_message_text js-message_text">bad id</div></div>
</section></body></html>"""


def test_parse_telegram_page() -> None:
    page = parse_telegram_page(TELEGRAM_PAGE.encode("utf-8"))
    assert page.has_channel_info
    assert page.prev_before == 101
    assert [message.id for message in page.messages] == [101, 102, 103]
    first, second, third = page.messages
    assert first.channel == "somechannel"
    assert first.permalink == "https://t.me/somechannel/101"
    assert first.text == "홍길동 bold\nsecond line 😀"
    assert first.date == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert first.has_media
    assert second.text == ""
    assert second.has_media
    assert second.date is not None and second.date.utcoffset() is not None
    assert second.date.astimezone(UTC) == datetime(2026, 1, 1, 20, 0, tzinfo=UTC)
    assert third.text == "plain text, spoiler"
    assert third.has_media
    assert third.date is None


def test_telegram_messages_never_carry_quoted_preview_or_media_text() -> None:
    page = parse_telegram_page(TELEGRAM_PAGE)
    everything = repr(page)
    for leaked in ("QUOTED", "PREVIEW", "telesco.pe", ".jpg", ".mp4", ".webp", "file.zip"):
        assert leaked not in everything, leaked


def test_telegram_page_without_a_public_preview() -> None:
    page = parse_telegram_page(
        "<html><head><title>Telegram: Contact @somechannel</title></head><body>"
        '<div class="tgme_page"><div class="tgme_page_title">Some</div></div></body></html>'
    )
    assert page == type(page)(messages=(), prev_before=None, has_channel_info=False)


def test_telegram_end_of_history_and_paging_fallback() -> None:
    last = parse_telegram_page('<div class="tgme_channel_info"></div><section></section>')
    assert last.messages == () and last.prev_before is None and last.has_channel_info
    more_only = parse_telegram_page(
        '<div class="tgme_channel_info"></div><a class="tme_messages_more" data-before="55"></a>'
    )
    assert more_only.prev_before == 55
    junk = parse_telegram_page(
        '<link rel="prev" href="/s/x?before=abc"><a class="tme_messages_more" data-before="-1"></a>'
    )
    assert junk.prev_before is None


def test_telegram_page_deeply_nested_or_garbage() -> None:
    nested = '<div class="tgme_channel_info"></div>' + "<div>" * 50_000 + "x" + "</div>" * 50_000
    assert parse_telegram_page(nested).messages == ()
    assert parse_telegram_page(b"\xff\xfe\x00garbage").messages == ()
    assert parse_telegram_page("").messages == ()
