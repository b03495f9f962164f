"""Watched pages under /web/: robots, conditional requests, page changes, and crawler traps."""

from __future__ import annotations

import re
from email.utils import formatdate

import pytest

from sandbox.pages import DISGUISED_SIZE
from sandbox.probe import fetch
from sandbox.server import SandboxServer


def test_robots_disallows_private_and_can_be_changed(sandbox: SandboxServer) -> None:
    robots = fetch(f"{sandbox.url}/robots.txt")
    assert robots.status == 200 and "Disallow: /web/private/" in robots.text
    sandbox.set_robots("unavailable", status=503)
    try:
        assert fetch(f"{sandbox.url}/robots.txt").status == 503
    finally:
        sandbox.reset_content()


def test_forum_page_text_lives_in_article_amid_boilerplate(sandbox: SandboxServer) -> None:
    page = fetch(f"{sandbox.url}/web/forum/1")
    assert page.status == 200 and page.headers.get_content_type() == "text/html"
    article = re.search(r"<article.*?</article>", page.text, re.DOTALL)
    assert article and "홍길동" in article.group(0)
    assert "<nav" in page.text and "<footer>" in page.text and "<script>" in page.text
    assert "홍길동" not in fetch(f"{sandbox.url}/web/forum/4").text
    # Page 9 names the persona only inside a script: not visible text.
    nine = fetch(f"{sandbox.url}/web/forum/9").text
    article = re.search(r"<article.*?</article>", nine, re.DOTALL)
    assert article is not None
    assert "홍길동" in nine and "홍길동" not in article.group(0)


def test_conditional_requests_get_304_without_a_body(sandbox: SandboxServer) -> None:
    first = fetch(f"{sandbox.url}/web/forum/3")
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    assert etag.startswith('"') and modified.endswith("GMT")
    sandbox.reset()
    cases = [
        ({"If-None-Match": etag}, 304),
        ({"If-None-Match": f'W/{etag}, "other"'}, 304),
        ({"If-None-Match": '"other"'}, 200),
        ({"If-Modified-Since": modified}, 304),
        ({"If-Modified-Since": formatdate(0, usegmt=True)}, 200),
        # If-None-Match decides when both are present.
        ({"If-None-Match": '"other"', "If-Modified-Since": modified}, 200),
    ]
    for headers, status in cases:
        fetched = fetch(f"{sandbox.url}/web/forum/3", headers)
        assert fetched.status == status, headers
        if status == 304:
            assert fetched.body == b"" and fetched.headers["ETag"] == etag
    assert sandbox.hits("/web/forum/3") == len(cases)
    assert sandbox.wait_idle()  # the client can finish reading before the server counts what it wrote
    assert sandbox.bytes_served("/web/forum/3") == 3 * len(first.body)


def test_set_page_changes_validators(sandbox: SandboxServer) -> None:
    before = fetch(f"{sandbox.url}/web/forum/5")
    sandbox.set_page("/web/forum/5", "<html><body><article>바뀐 글</article></body></html>")
    try:
        after = fetch(f"{sandbox.url}/web/forum/5", {"If-None-Match": before.headers["ETag"]})
        assert after.status == 200 and "바뀐 글" in after.text
        assert after.headers["ETag"] != before.headers["ETag"]
        since = fetch(f"{sandbox.url}/web/forum/5", {"If-Modified-Since": before.headers["Last-Modified"]})
        assert since.status == 200
        assert fetch(f"{sandbox.url}/web/forum/5", {"If-None-Match": after.headers["ETag"]}).status == 304
        sandbox.set_page("web/new-page", "<p>새 페이지</p>")
        assert fetch(f"{sandbox.url}/web/new-page").text == "<p>새 페이지</p>"
        with pytest.raises(ValueError):
            sandbox.set_page("/elsewhere", "x")
    finally:
        sandbox.reset_content()
    assert fetch(f"{sandbox.url}/web/forum/5").headers["ETag"] == before.headers["ETag"]
    assert fetch(f"{sandbox.url}/web/new-page").status == 404


def test_head_sends_headers_only(sandbox: SandboxServer) -> None:
    sandbox.reset()
    head = fetch(f"{sandbox.url}/web/forum/1", method="HEAD")
    assert head.status == 200 and head.body == b"" and int(head.headers["Content-Length"]) > 0
    assert sandbox.bytes_served("/web/forum/1") == 0


def test_script_only_text_needs_javascript(sandbox: SandboxServer) -> None:
    raw = fetch(f"{sandbox.url}/web/script-only").text
    assert "홍길동" not in raw and "가나다고" not in raw
    assert "\\uD64D\\uAE38\\uB3D9" in raw and 'getElementById("app")' in raw


def test_gallery_links_media_that_is_only_counted_when_fetched(sandbox: SandboxServer) -> None:
    sandbox.reset()
    gallery = fetch(f"{sandbox.url}/web/gallery").text
    media = set(re.findall(r'/media/[^"\')\s]+', gallery))
    assert {"/media/x.zip", "/media/photos/1.jpg", "/media/clips/1.mp4", "/media/audio/1.mp3"} <= media
    assert "@font-face" in gallery and "/media/fonts/fake.woff2" in media
    assert sandbox.hits("/media/") == 0 and sandbox.bytes_served("/media/") == 0
    photo = fetch(f"{sandbox.url}/media/photos/1.jpg")
    assert photo.headers.get_content_type() == "image/jpeg" and photo.body.startswith(b"\xff\xd8")
    assert fetch(f"{sandbox.url}/media/x.zip", limit=4).headers.get_content_type() == "application/zip"
    assert sandbox.wait_idle()
    assert sandbox.hits("/media/") == 2 and sandbox.bytes_served("/media/") > len(photo.body)
    sandbox.reset()


def test_disguised_video_counts_only_what_was_sent(sandbox: SandboxServer) -> None:
    sandbox.reset()
    video = fetch(f"{sandbox.url}/web/disguised.html", limit=1024)
    assert video.status == 200
    assert video.headers.get_content_type() == "video/mp4"
    assert int(video.headers["Content-Length"]) == DISGUISED_SIZE
    assert sandbox.wait_idle()
    sent = sandbox.bytes_served("/web/disguised.html")
    assert 0 < sent < DISGUISED_SIZE // 2
    sandbox.reset()


def test_redirect_to_anywhere(sandbox: SandboxServer) -> None:
    hop = fetch(f"{sandbox.url}/web/redirect-to?u=http://10.0.0.1/admin")
    assert hop.status == 302 and hop.headers["Location"] == "http://10.0.0.1/admin"
    assert fetch(f"{sandbox.url}/web/redirect-to?u=http://169.254.169.254/&status=307").status == 307
    assert fetch(f"{sandbox.url}/web/redirect-to").status == 400


@pytest.mark.parametrize(
    "path, status, marker",
    [
        ("/web/gone", 404, "찾을 수 없습니다"),
        ("/web/removed", 200, "삭제된 게시물입니다"),
        ("/web/removed", 200, "This post was deleted"),
        ("/web/blocked", 200, '<form id="challenge-form"'),
        ("/web/private/secret", 200, "홍길동"),
        ("/web/", 200, "/web/forum/1"),
        ("/web/nothing-here", 404, "not found"),
    ],
)
def test_special_pages(sandbox: SandboxServer, path: str, status: int, marker: str) -> None:
    page = fetch(sandbox.url + path)
    assert page.status == status and marker in page.text
