"""The console in a real Chromium (Debian's), against a real `jikimi web` process and its access log.

Each test signs in its own fresh user (a TOTP code is accepted once, so users are not shared).
Never skipped: a machine without /usr/bin/chromium fails them.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import select
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pyotp
import pytest
from playwright.sync_api import Browser, ConsoleMessage, Dialog, Page, Request, expect

from jikimi.config import load_settings
from storage.cases import Consent, add_term, create_case
from storage.database import Store, open_store
from storage.exposures import get_exposure
from storage.keyring import load_keyring
from storage.users import add_user, grant
from tests.support.web import CANARY, PASSWORD, World, build_world, observe

pytestmark = pytest.mark.browser
CHROMIUM = "/usr/bin/chromium"
_names = itertools.count(1)


@pytest.fixture(scope="session")
def browser_type_launch_args() -> dict[str, object]:
    return {"executable_path": CHROMIUM, "args": ["--no-sandbox"]}


@dataclass
class Console:
    url: str
    env: dict[str, str]
    store: Store
    world: World
    log: Path

    def user(self, role: str, *cases: int) -> tuple[str, str]:
        name = f"{role[:3]}{next(_names)}"
        secret = add_user(self.store, name, role, PASSWORD).totp_secret
        for case_id in cases:
            grant(self.store, case_id, name, by="test")
        return name, secret

    def cli(self, *args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "jikimi", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout


def _start(tmp: Path, extra_config: str = "") -> tuple[subprocess.Popen[str], Console]:
    data = tmp / "data"
    data.mkdir(mode=0o700)
    config = data / "config.toml"
    config.write_text('[web]\nlogin_rate_limit = "1000 per minute"\n' + extra_config, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("JIKIMI_")}
    env.update(JIKIMI_DATA_DIR=str(data), JIKIMI_CONFIG=str(config))
    subprocess.run(
        [sys.executable, "-m", "jikimi", "init"], env=env, check=True, capture_output=True, timeout=120
    )
    settings = load_settings(env=env)
    store = open_store(settings.database_url, load_keyring(settings.key_file))
    world = build_world(store)
    log = tmp / "access.log"
    proc = subprocess.Popen(
        [sys.executable, "-m", "jikimi", "web", "--port", "0"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=log.open("w"),
        text=True,
    )
    assert proc.stdout is not None
    ready, _w, _x = select.select([proc.stdout], [], [], 60)
    assert ready, "jikimi web printed no URL"
    line = proc.stdout.readline()
    found = re.search(r"http://\S+/", line)
    assert found, line
    return proc, Console(found.group(0).rstrip("/"), env, store, world, log)


def _stop(proc: subprocess.Popen[str], console: Console) -> None:
    proc.terminate()
    proc.wait(timeout=20)
    console.store.close()


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Console]:
    proc, found = _start(tmp_path_factory.mktemp("console"))
    yield found
    _stop(proc, found)


@pytest.fixture
def watched(page: Page) -> Iterator[dict[str, list[str]]]:
    """Every URL the browser requested, every console error, every dialog: collected for assertions."""
    seen: dict[str, list[str]] = {"requests": [], "errors": [], "dialogs": []}

    def on_request(request: Request) -> None:
        seen["requests"].append(request.url)

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            seen["errors"].append(message.text)

    def on_dialog(dialog: Dialog) -> None:
        seen["dialogs"].append(dialog.message)
        dialog.dismiss()

    page.on("request", on_request)
    page.on("console", on_console)
    page.on("dialog", on_dialog)
    yield seen


def sign_in(page: Page, console: Console, name: str, secret: str, *, password: str = PASSWORD) -> None:
    page.goto(console.url + "/login")
    page.fill("#username", name)
    page.fill("#password", password)
    page.fill("#otp", pyotp.TOTP(secret).now())
    page.click("form.login button[type=submit]")


def csrf(page: Page) -> str:
    value = page.locator("input[name=csrf_token]").first.get_attribute("value")
    assert value
    return value


def test_sign_in_with_totp_shows_only_my_cases(
    console: Console, page: Page, watched: dict[str, list[str]]
) -> None:
    name, secret = console.user("advocate", console.world.case_a)
    page.goto(console.url + "/")
    expect(page).to_have_url(re.compile(r"/login"))
    expect(page.locator("h1")).to_have_text("로그인")  # Korean by default
    sign_in(page, console, name, secret)
    expect(page.locator("h1")).to_have_text("내 사례")
    expect(page.locator("table.grid")).to_contain_text("사례 A")
    expect(page.locator("table.grid")).not_to_contain_text("사례 B")
    assert "사례 A" not in page.title() and CANARY not in page.title()  # no label or name in the title
    page.click("header form.lang button")
    expect(page.locator("h1")).to_have_text("My cases")
    assert not watched["errors"] and not watched["dialogs"]


def test_lock_after_repeated_failures(console: Console, page: Page) -> None:
    name, secret = console.user("advocate", console.world.case_a)
    for _ in range(5):
        sign_in(page, console, name, secret, password="wrong password wrong")
        expect(page).to_have_url(re.compile(r"/login"))
    expect(page.locator("ul.flash")).to_contain_text("잠겼습니다")
    sign_in(page, console, name, secret)
    expect(page).to_have_url(re.compile(r"/login"))
    expect(page.locator("ul.flash")).to_contain_text("잠겼습니다")


def test_another_cases_pages_exposures_and_htmx_endpoints_are_404(console: Console, page: Page) -> None:
    name, secret = console.user("advocate", console.world.case_a)
    sign_in(page, console, name, secret)
    world = console.world
    for path in (
        f"/cases/{world.case_b}",
        f"/cases/{world.case_b}/triage",
        f"/exposures/{world.exposures_b[0]}",
    ):
        response = page.goto(console.url + path)
        assert response is not None
        assert response.status == 404, path
    page.goto(console.url + "/")
    token = csrf(page)
    fragment = page.request.get(f"{console.url}/cases/{world.case_b}/triage", headers={"HX-Request": "true"})
    assert fragment.status == 404
    decision = page.request.post(
        f"{console.url}/cases/{world.case_b}/triage/decide",
        form={"action": "dismiss", "ids": str(world.exposures_b[0])},
        headers={"HX-Request": "true", "X-CSRFToken": token},
    )
    assert decision.status == 404
    assert get_exposure(console.store, world.exposures_b[0]).status == "new"


def test_viewer_post_is_refused_on_the_server(console: Console, page: Page) -> None:
    name, secret = console.user("viewer", console.world.case_a)
    sign_in(page, console, name, secret)
    page.goto(f"{console.url}/cases/{console.world.case_a}/triage")
    expect(page.locator("tr.item").first).to_be_visible()
    assert page.locator("button[data-key=c]").count() == 0  # hidden, and refused below anyway
    target = console.world.exposures_a[-1]
    response = page.request.post(
        f"{console.url}/cases/{console.world.case_a}/triage/decide",
        form={"action": "confirm", "ids": str(target)},
        headers={"HX-Request": "true", "X-CSRFToken": csrf(page)},
    )
    assert response.status == 403
    assert get_exposure(console.store, target).status == "new"


def test_post_without_csrf_token_is_refused(console: Console, page: Page) -> None:
    name, secret = console.user("advocate", console.world.case_a)
    sign_in(page, console, name, secret)
    target = console.world.exposures_a[-1]
    response = page.request.post(
        f"{console.url}/cases/{console.world.case_a}/triage/decide",
        form={"action": "confirm", "ids": str(target)},
    )
    assert response.status == 400
    assert get_exposure(console.store, target).status == "new"


def test_session_expires_when_idle(tmp_path: Path, browser: Browser) -> None:
    proc, short = _start(tmp_path, "idle_timeout_minutes = 0.05\n")  # 3 seconds
    try:
        context = browser.new_context()
        page = context.new_page()
        name, secret = short.user("advocate", short.world.case_a)
        sign_in(page, short, name, secret)
        expect(page.locator("h1")).to_have_text("내 사례")
        time.sleep(4)
        page.goto(short.url + f"/cases/{short.world.case_a}")
        expect(page).to_have_url(re.compile(r"/login"))
        expect(page.locator("ul.flash")).to_contain_text("세션이 만료")
        context.close()
    finally:
        _stop(proc, short)


def test_hostile_title_is_inert(console: Console, page: Page, watched: dict[str, list[str]]) -> None:
    name, secret = console.user("advocate", console.world.case_a)
    sign_in(page, console, name, secret)
    page.goto(f"{console.url}/cases/{console.world.case_a}/triage?show=names")
    hostile = page.locator("a.title", has_text="<script>")
    expect(hostile).to_have_count(1)
    expect(hostile).to_contain_text("onerror")
    page.goto(f"{console.url}/exposures/{console.world.exposures_a[0]}")
    expect(page.locator("dd.title")).to_contain_text("<img src=x")
    assert page.locator("img").count() == 0
    assert not watched["dialogs"], watched["dialogs"]
    assert not [e for e in watched["errors"] if "Content Security Policy" in e], watched["errors"]


def test_keyboard_triage_marks_exposures_and_the_cli_sees_it(console: Console, page: Page) -> None:
    world = console.world
    name, secret = console.user("advocate", world.case_a)
    sign_in(page, console, name, secret)
    page.goto(f"{console.url}/cases/{world.case_a}/triage")
    rows = page.locator("#queue tr.item")
    first = rows.nth(0).get_attribute("data-id")
    second = rows.nth(1).get_attribute("data-id")
    assert first and second
    page.keyboard.press("c")  # the first row has the focus
    expect(page.locator(f"#queue tr.item[data-id='{first}']")).to_have_count(0)
    page.keyboard.press("d")  # the cursor stays on the row that moved up
    expect(page.locator(f"#queue tr.item[data-id='{second}']")).to_have_count(0)
    listed = {
        e["id"]: e["status"]
        for e in json.loads(console.cli("exposures", "list", "--case", str(world.case_a), "--json"))
    }
    assert listed[int(first)] == "confirmed" and listed[int(second)] == "dismissed"
    trail = json.loads(console.cli("audit", "list", "--case", str(world.case_a), "--json", "--limit", "0"))
    marks = [r for r in trail if r["action"] == "exposure.mark_case" and r["actor"] == name]
    assert len(marks) == 2


def test_reads_of_names_are_audited_under_the_user(console: Console, page: Page) -> None:
    world = console.world
    name, secret = console.user("advocate", world.case_a)
    sign_in(page, console, name, secret)
    page.goto(f"{console.url}/cases/{world.case_a}")
    page.goto(f"{console.url}/cases/{world.case_a}/triage?show=names")
    page.goto(f"{console.url}/exposures/{world.exposures_a[-1]}")
    trail = json.loads(console.cli("audit", "list", "--json", "--limit", "0"))
    mine = {r["action"] for r in trail if r["actor"] == name}
    assert {"console.sign_in", "case.list", "case.show", "exposures.reveal", "exposure.show"} <= mine


def test_no_term_in_any_url_or_the_access_log(
    console: Console, page: Page, watched: dict[str, list[str]]
) -> None:
    world = console.world
    name, secret = console.user("advocate", world.case_a)
    sign_in(page, console, name, secret)
    page.goto(f"{console.url}/cases/{world.case_a}")
    new_term = "나비소녀"
    page.fill("#term", new_term)
    page.fill("#text", f"어제 {new_term} 사진이 올라왔다 {CANARY}")
    page.click("button[formaction$='/terms/test']")
    expect(page.locator("section.test")).to_contain_text("1")
    page.fill("#term", new_term)
    page.click("button[formaction$='/terms']")
    expect(page.locator("ul.flash")).to_contain_text("감시어를 추가했습니다")
    page.goto(f"{console.url}/cases/{world.case_a}/triage?show=names")
    page.keyboard.press("j")
    page.goto(f"{console.url}/exposures/{world.exposures_a[-1]}?show=names")
    page.click("a[href$='/open']")
    expect(page.locator("a[rel='noreferrer noopener']")).to_be_visible()
    urls = watched["requests"] + [page.url]
    log = console.log.read_text(encoding="utf-8")
    assert "GET /cases/" in log  # the access log is there, and it is clean:
    for term in (CANARY, new_term):
        for form in (term, quote(term), quote(term).lower(), quote(term, safe="").replace("%", "%25")):
            assert not [u for u in urls if form in u], form
            assert form not in log, form


def test_select_several_decide_at_once_and_undo_as_one_step(console: Console, page: Page) -> None:
    case_id = create_case(console.store, "사례 C", Consent("victim, signed form", "tester", "2026-12-01"))
    add_term(console.store, case_id, CANARY)
    ids = [
        observe(console.store, case_id, n, title=f"{CANARY} 글 {n}", snippet=f"{CANARY} {n}")
        for n in range(3)
    ]
    name, secret = console.user("advocate", case_id)
    sign_in(page, console, name, secret)
    response = page.goto(f"{console.url}/cases/{case_id}/triage")
    assert response is not None
    assert response.status == 200, page.content()[:2000]
    rows = page.locator("#queue tr.item")
    expect(rows).to_have_count(3)
    chosen = [int(str(rows.nth(i).get_attribute("data-id"))) for i in range(2)]
    page.keyboard.press("x")
    page.keyboard.press("j")
    page.keyboard.press("x")
    page.keyboard.press("d")
    expect(rows).to_have_count(1)
    assert [get_exposure(console.store, i).status for i in chosen] == ["dismissed", "dismissed"]
    page.keyboard.press("u")
    expect(rows).to_have_count(3)
    assert [get_exposure(console.store, i).status for i in ids] == ["new", "new", "new"]
