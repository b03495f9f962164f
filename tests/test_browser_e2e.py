"""The browser path end to end: Debian's Chromium through scrapy-playwright, against the sandbox.

These run (never skip): a machine without /usr/bin/chromium fails them. The browser renders pages
the plain path found to be script-only, and targets added with `--render`; it is served the body the
plain path fetched, never fetching the page itself, and every request it makes is gated.
"""

from __future__ import annotations

import urllib.request
from pathlib import Path

import pytest

from sandbox.server import SandboxServer
from tests.support.home import PERSONA, JikimiHome, setup_case
from tests.support.pages import add_target, exposures, page_config, run_stage, targets

KIB = 1024
STOPPED_AT_HEADERS = 4 * 64 * KIB
DISGUISED_SIZE = 20 * 1024 * 1024

# Everything a page's scripts might try: fetch a "page" that is really a video, frame it, navigate
# away, open a popup, load an image. The page reports what its fetch got next to the name.
HOSTILE_SCRIPT_PAGE = f"""<!DOCTYPE html><html lang="ko"><head><meta charset="utf-8"><title>앱</title></head>
<body><div id="app"></div>
<iframe src="/web/disguised.html?frame=1"></iframe>
<img src="/web/forum/9?as-image=1">
<script>
  var app = document.getElementById("app");
  app.innerHTML = "<article><p id='r'>{PERSONA} 합성 요청 결과</p></article>";
  fetch("/web/disguised.html?fetch=1")
    .then(function (r) {{ return r.arrayBuffer(); }})
    .then(function (b) {{ document.getElementById("r").textContent += " fetch-got-" + b.byteLength; }})
    .catch(function () {{ document.getElementById("r").textContent += " fetch-blocked"; }});
  window.open("/web/forum/2?popup=1");
  setTimeout(function () {{ location.href = "/web/forum/1?navigated=1"; }}, 1500);
</script></body></html>
"""

pytestmark = pytest.mark.browser


# A script's fetch(), XHR and a worker each pull media served as text/plain or text/html behind a
# short prefix: the headers say text, only the first bytes tell.
SNIFFED_SCRIPT_PAGE = f"""<!DOCTYPE html><html lang="ko"><head><meta charset="utf-8"><title>앱</title></head>
<body><div id="app"></div>
<script>
  document.getElementById("app").innerHTML = "<article><p id='r'>{PERSONA} 합성 요청</p></article>";
  function note(t) {{ document.getElementById("r").textContent += " " + t; }}
  fetch("/hostile/disguised-mp4-whitespace?mb=20")
    .then(function (r) {{ return r.arrayBuffer(); }})
    .then(function (b) {{ note("fetch-got-" + b.byteLength); }}, function () {{ note("fetch-blocked"); }});
  var x = new XMLHttpRequest();
  x.open("GET", "/hostile/disguised-mp4-bom?mb=20");
  x.responseType = "arraybuffer";
  x.onload = function () {{ note("xhr-got-" + x.response.byteLength); }};
  x.onerror = function () {{ note("xhr-blocked"); }};
  x.send();
  var code = "fetch(" + JSON.stringify(location.origin + "/hostile/disguised-png-junk?mb=20") + ")"
    + ".then(function (r) {{ return r.arrayBuffer(); }})"
    + ".then(function (b) {{ postMessage('worker-got-' + b.byteLength); }},"
    + " function () {{ postMessage('worker-blocked'); }});";
  var w = new Worker(URL.createObjectURL(new Blob([code], {{type: "text/javascript"}})));
  w.onmessage = function (e) {{ note(e.data); }};
  fetch("/web/forum/1").then(function (r) {{ return r.text(); }})
    .then(function (t) {{ note("text-" + (t.indexOf("<html") >= 0 ? "read" : "empty")); }},
          function () {{ note("text-blocked"); }});
</script></body></html>
"""


def test_chromium_is_installed() -> None:
    assert Path("/usr/bin/chromium").exists(), "the browser tests need Debian's chromium"


def test_a_script_only_page_is_found_only_through_the_browser(
    home: JikimiHome, sandbox: SandboxServer
) -> None:
    from crawler.extract import extract_text, looks_script_only

    sb = sandbox
    raw = urllib.request.urlopen(sb.url + "/web/script-only").read()
    assert PERSONA not in extract_text(raw).text and looks_script_only(raw)
    sb.reset()

    home.write_config(page_config(sb))
    setup_case(home)
    target = add_target(home, sb.url + "/web/script-only")
    code, _ = run_stage(home, "pages")
    assert code == 0
    found = exposures(home)
    assert [e["url"] for e in found] == [sb.url + "/web/script-only"]
    assert PERSONA in str(found[0]["snippet"]) and found[0]["confidence"] == "page"
    assert targets(home)[target]["last_outcome"] == "ok"
    # Fetched once, by the plain path; the browser was served that body.
    assert sb.hits("/web/script-only") == 1


def test_a_rendered_gallery_loads_no_media(home: JikimiHome, sandbox: SandboxServer) -> None:
    sb = sandbox
    home.write_config(page_config(sb))
    setup_case(home)
    target = add_target(home, sb.url + "/web/gallery", "--render")
    run_stage(home, "pages")
    sb.wait_idle()
    assert sb.hits("/media/") == 0 and sb.bytes_served("/media/") == 0
    assert targets(home)[target]["last_outcome"] == "ok"
    assert [e["url"] for e in exposures(home)] == [sb.url + "/web/gallery"]
    assert sb.hits("/web/gallery") == 1


def test_a_render_target_serving_video_never_reaches_the_browser(
    home: JikimiHome, sandbox: SandboxServer
) -> None:
    sb = sandbox
    home.write_config(page_config(sb))
    setup_case(home)
    target = add_target(home, sb.url + "/web/disguised.html", "--render")
    code, _ = run_stage(home, "pages")
    sb.wait_idle()
    assert code == 3
    assert targets(home)[target]["last_outcome"] == "media-refused"
    assert sb.hits("/web/disguised.html") == 1
    assert sb.bytes_served("/web/disguised.html") <= STOPPED_AT_HEADERS
    assert sb.hits("/media/") == 0


def test_page_scripts_cannot_pull_media_navigate_or_open_popups(
    home: JikimiHome, sandbox: SandboxServer
) -> None:
    sb = sandbox
    sb.set_page("/web/app", HOSTILE_SCRIPT_PAGE)
    home.write_config(page_config(sb))
    setup_case(home)
    target = add_target(home, sb.url + "/web/app", "--render")
    run_stage(home, "pages")
    sb.wait_idle()
    assert targets(home)[target]["last_outcome"] == "ok"
    queries = {(path, query) for _m, path, query, _h in sb.requests}
    assert ("/web/disguised.html", "frame=1") not in queries  # frames never navigate
    assert ("/web/forum/1", "navigated=1") not in queries  # nor does a script move the page
    assert ("/web/forum/2", "popup=1") not in queries  # and popups get nothing
    assert sb.hits("/media/") == 0
    # The script's fetch of a video served as .html failed at its headers, inside the page.
    snippet = str(exposures(home)[0]["snippet"])
    assert "fetch-blocked" in snippet and "fetch-got" not in snippet
    assert sb.bytes_served("/web/disguised.html") < DISGUISED_SIZE // 2


def test_a_scripts_fetch_xhr_and_worker_never_receive_disguised_media(
    home: JikimiHome, sandbox: SandboxServer
) -> None:
    sb = sandbox
    sb.set_page("/web/app", SNIFFED_SCRIPT_PAGE)
    home.write_config(page_config(sb))
    setup_case(home)
    target = add_target(home, sb.url + "/web/app", "--render")
    run_stage(home, "pages")
    sb.wait_idle(10)
    assert targets(home)[target]["last_outcome"] == "ok"
    snippet = str(exposures(home)[0]["snippet"])
    for way in ("fetch", "xhr", "worker"):
        assert f"{way}-blocked" in snippet and f"{way}-got" not in snippet, (way, snippet)
    assert "text-read" in snippet  # text still reaches the page, decoded and whole
    for name in ("disguised-mp4-whitespace", "disguised-mp4-bom", "disguised-png-junk"):
        assert sb.hits(f"/hostile/{name}") == 1, name
        # Cut off: loopback's socket buffers take a few MiB, but the 20 MiB body was never read whole.
        assert sb.bytes_served(f"/hostile/{name}") < DISGUISED_SIZE // 2, name


def test_robots_txt_holds_on_the_browser_path(home: JikimiHome, sandbox: SandboxServer) -> None:
    sb = sandbox
    home.write_config(page_config(sb))
    setup_case(home)
    target = add_target(home, sb.url + "/web/private/secret", "--render")
    run_stage(home, "pages")
    assert sb.hits("/web/private/") == 0
    assert targets(home)[target]["last_outcome"] == "robots-disallowed"


def test_a_browser_that_cannot_start_is_reported_not_silent(home: JikimiHome, sandbox: SandboxServer) -> None:
    sb = sandbox
    home.write_config('chromium_path = "/nonexistent/chromium"\n' + page_config(sb))
    setup_case(home)
    target = add_target(home, sb.url + "/web/script-only")
    plain = add_target(home, sb.url + "/web/forum/1")
    code, _summary = run_stage(home, "pages")
    assert code == 3
    assert targets(home)[target]["last_outcome"] in ("render-failed", "error")
    assert targets(home)[plain]["last_outcome"] == "ok"  # the plain path's work is kept
    assert [e["url"] for e in exposures(home)] == [sb.url + "/web/forum/1"]


def test_a_rendered_pages_requests_never_reach_a_private_address(
    home: JikimiHome, sandbox: SandboxServer
) -> None:
    """Subresources redirected to an internal address: Playwright routes no redirect hop, so the
    browser guard checks each redirect's Location at the response headers."""
    from sandbox.server import SandboxServer

    sb = sandbox
    with SandboxServer() as sink:
        redirect = f"/web/redirect-to?u={sink.url}"
        sb.set_page(
            "/web/app",
            (
                "<!DOCTYPE html><html><head><meta charset='utf-8'>"
                f"<script src='{redirect}/evil.js'></script>"
                f"<link rel='stylesheet' href='{redirect}/evil.css'></head><body><div id='app'></div>"
                f"<script>fetch('{redirect}/api.json').catch(function () {{}});"
                f"fetch('{sink.url}/direct.json').catch(function () {{}});"
                f"document.getElementById('app').innerHTML = '<p>{PERSONA} 합성</p>';</script></body></html>"
            ),
        )
        home.write_config(page_config(sb, allow_private=True))
        setup_case(home)
        target = add_target(home, sb.url + "/web/app", "--render")
        home.write_config(page_config(sb, allow_private=False).replace("block_stylesheets", "x") + "")
        run_stage(home, "pages")
        sink.wait_idle()
        assert sink.requests == []
        assert targets(home)[target]["last_outcome"] == "ok"
        assert sb.hits("/web/redirect-to") >= 2  # the browser did try
