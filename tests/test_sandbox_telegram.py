"""t.me/s/ previews: real markup, `before` paging to the end, channels without a preview, new posts."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from sandbox.probe import fetch
from sandbox.server import SandboxServer

_POST = re.compile(r'<div class="tgme_widget_message [^"]*" data-post="hongnews/(\d+)">')


def page(sandbox: SandboxServer, query: str = "") -> str:
    fetched = fetch(f"{sandbox.base_url('telegram')}/s/hongnews{query}")
    assert fetched.status == 200
    return fetched.text


def ids(html: str) -> list[int]:
    return [int(n) for n in _POST.findall(html)]


def own_text(html: str, number: int) -> str:
    block = html.split(f'data-post="hongnews/{number}"', 1)[1].split("tgme_widget_message_wrap", 1)[0]
    found = re.search(r'<div class="tgme_widget_message_text js-message_text" dir="auto">(.*?)</div>', block)
    return found.group(1) if found else ""


def test_latest_page_has_twenty_ascending_messages_and_paging_links(sandbox: SandboxServer) -> None:
    html = page(sandbox)
    numbers = ids(html)
    assert len(numbers) == 20 and numbers == sorted(numbers) and numbers[-1] == 58
    assert f'<link rel="prev" href="/telegram/s/hongnews?before={numbers[0]}">' in html
    assert f'class="tme_messages_more js-messages_more" data-before="{numbers[0]}"' in html
    assert "tgme_channel_info" in html


def test_before_pages_back_to_the_first_message(sandbox: SandboxServer) -> None:
    seen: list[int] = []
    html = page(sandbox)
    pages = 1
    while True:
        seen = ids(html) + seen
        found = re.search(r'<link rel="prev" href="/telegram/s/hongnews\?before=(\d+)">', html)
        if not found:
            break
        before = int(found.group(1))
        html = page(sandbox, f"?before={before}")
        assert all(n < before for n in ids(html))  # exclusive
        pages += 1
    assert pages == 3 and seen[0] == 1
    assert len(seen) == len(set(seen)) == 55 and {13, 17, 44}.isdisjoint(seen)
    assert ids(page(sandbox, "?before=1")) == []


def test_message_markup(sandbox: SandboxServer) -> None:
    html = page(sandbox, "?before=36")
    assert '<a class="tgme_widget_message_date" href="https://t.me/hongnews/21"><time datetime="' in html
    stamp = re.search(r'href="https://t.me/hongnews/21"><time datetime="([^"]+)"', html)
    assert stamp and datetime.fromisoformat(stamp.group(1)).utcoffset() == timedelta(0)
    assert '<span class="tgme_widget_message_views">' in html
    assert "홍길동" in own_text(html, 21)
    # Message 18 quotes a deleted message that names the persona; its own text does not.
    assert "홍길동" not in own_text(html, 18)
    assert 'js-message_reply_text" dir="auto">홍길동' in html
    html += page(sandbox, "?before=15")  # the oldest page holds the photo (12)
    photo = re.search(r"tgme_widget_message_photo_wrap[^>]*background-image:url\('([^']+)'\)", html)
    assert photo and photo.group(1).startswith(f"{sandbox.url}/media/")
    for marker in (
        "tgme_widget_message_video_player",
        "tgme_widget_message_sticker",
        "tgme_widget_message_document",
    ):
        assert marker in html
    assert sandbox.hits("/media/") == 0


def test_link_preview_and_forward_are_not_own_text(sandbox: SandboxServer) -> None:
    html = page(sandbox)
    assert "홍길동" not in own_text(html, 52) and "link_preview_description" in html
    assert "tgme_widget_message_forwarded_from_name" in page(sandbox, "?before=40")


def test_channel_without_preview(sandbox: SandboxServer) -> None:
    fetched = fetch(f"{sandbox.base_url('telegram')}/s/nopreview")
    assert fetched.status == 200
    assert "<title>Telegram: Contact @nopreview</title>" in fetched.text
    assert "tgme_widget_message" not in fetched.text and "tgme_channel_info" not in fetched.text


def test_posted_message_is_the_newest(sandbox: SandboxServer) -> None:
    try:
        number = sandbox.post_message("hongnews", "새 글: 가나다고 홍길동 요청")
        assert number == 59
        html = page(sandbox)
        assert ids(html)[-1] == 59 and len(ids(html)) == 20
        assert "홍길동" in own_text(html, 59)
        assert sandbox.post_message("fresh_channel", "첫 글") == 1
        assert 'data-post="fresh_channel/1"' in fetch(f"{sandbox.base_url('telegram')}/s/fresh_channel").text
    finally:
        sandbox.reset_content()
    assert ids(page(sandbox))[-1] == 58


def test_single_post_and_around_pages(sandbox: SandboxServer) -> None:
    post = fetch(f"{sandbox.base_url('telegram')}/hongnews/21").text
    assert '<meta property="og:description" content="가나다고 홍길동 합성 요청 받음. 갠텔 주세요">' in post
    around = ids(fetch(f"{sandbox.base_url('telegram')}/s/hongnews/21").text)
    assert 21 in around and len(around) == 20
