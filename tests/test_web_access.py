"""The console's server-side rules through Flask's test client: sign-in, headers, IDOR, roles, CSRF.

Real SQLite (and PostgreSQL for the authorization table), real Argon2id, real TOTP; no mock.
"""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from markupsafe import escape
from sqlalchemy import select

from jikimi.config import Settings, WebSettings, load_settings
from storage.audit import list_records
from storage.database import Store
from storage.exposures import get_exposure
from storage.models import Export
from storage.users import find_user
from tests.support.web import CANARY, PASSWORD, World, build_world, csrf_token
from web import create_app


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return replace(load_settings(env={"JIKIMI_DATA_DIR": str(tmp_path / "data")}), web=WebSettings())


@pytest.fixture
def world(store: Store) -> World:
    return build_world(store)


@pytest.fixture
def app(store: Store, settings: Settings) -> Flask:
    application = create_app(store, settings)
    application.config["TESTING"] = True
    return application


def sign_in(client: FlaskClient, world: World, username: str, *, password: str = PASSWORD) -> int:
    page = client.get("/login")
    token = csrf_token(page.get_data(as_text=True))
    response = client.post(
        "/login",
        data={"username": username, "password": password, "otp": world.code(username), "csrf_token": token},
    )
    return response.status_code


def token(client: FlaskClient, path: str = "/") -> str:
    return csrf_token(client.get(path).get_data(as_text=True))


class SignedIn(dict[str, FlaskClient]):
    """A signed-in client per user, made on first use (each sign-in costs an Argon2id check)."""

    def __init__(self, app: Flask, world: World) -> None:
        super().__init__()
        self.app, self.world = app, world

    def __missing__(self, name: str) -> FlaskClient:
        client = self.app.test_client()
        assert sign_in(client, self.world, name) == 302
        self[name] = client
        return client


@pytest.fixture
def clients(app: Flask, world: World) -> dict[str, FlaskClient]:
    return SignedIn(app, world)


def test_signed_out_visitors_go_to_the_login_page(app: Flask, world: World) -> None:
    client = app.test_client()
    for path in (
        "/",
        f"/cases/{world.case_a}",
        f"/cases/{world.case_a}/triage",
        f"/exposures/{world.exposures_a[0]}",
    ):
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_security_headers_and_cookie(app: Flask, world: World) -> None:
    client = app.test_client()
    page = client.get("/login")
    csp = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "http" not in csp
    assert "frame-ancestors 'none'" in csp
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert page.headers["Cache-Control"] == "no-store"
    response = client.post(
        "/login",
        data={
            "username": "alice",
            "password": PASSWORD,
            "otp": world.code("alice"),
            "csrf_token": csrf_token(page.get_data(as_text=True)),
        },
    )
    assert response.status_code == 302
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert client.get(f"/cases/{world.case_a}").headers["Cache-Control"] == "no-store"


def test_wrong_code_or_password_is_refused(app: Flask, world: World) -> None:
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    response = client.post(
        "/login",
        data={"username": "alice", "password": PASSWORD, "otp": "000000", "csrf_token": csrf_token(page)},
    )
    assert response.status_code == 401
    assert sign_in(client, world, "alice", password="not the password at all") == 401
    assert client.get("/").status_code == 302


def test_lock_after_repeated_failures(app: Flask, store: Store, world: World) -> None:
    client = app.test_client()
    for _ in range(5):
        assert sign_in(client, world, "alice", password="wrong wrong wrong") == 401
    assert find_user(store, "alice").locked()
    # The right password and code no longer open the account.
    assert sign_in(client, world, "alice") == 401
    assert client.get("/").status_code == 302


def test_login_is_throttled(app: Flask, world: World) -> None:
    client = app.test_client()
    codes = [sign_in(client, world, "nobody", password="wrong wrong wrong") for _ in range(11)]
    assert codes[:10] == [401] * 10 and codes[10] == 429


def test_idor_another_case_is_404_everywhere(clients: dict[str, FlaskClient], world: World) -> None:
    alice = clients["alice"]
    other = world.exposures_b[0]
    for path in (
        f"/cases/{world.case_b}",
        f"/cases/{world.case_b}/triage",
        f"/cases/{world.case_b}/takedown",
        f"/cases/{world.case_b}/report",
        f"/exposures/{other}",
        f"/exposures/{other}/open",
        f"/cases/{world.case_b}/takedown/1.txt",
    ):
        assert alice.get(path).status_code == 404, path
        assert alice.get(path, headers={"HX-Request": "true"}).status_code == 404, path
    csrf = token(alice)
    for path, data in (
        (f"/cases/{world.case_b}/triage/decide", {"action": "confirm", "ids": str(other)}),
        # An id of case B smuggled into a decision on case A.
        (f"/cases/{world.case_a}/triage/decide", {"action": "confirm", "ids": str(other)}),
        (f"/cases/{world.case_b}/terms", {"term": "새이름"}),
        (f"/cases/{world.case_b}/triage/undo", {}),
    ):
        response = alice.post(path, data={**data, "csrf_token": csrf}, headers={"HX-Request": "true"})
        assert response.status_code == 404, path
    assert b"\xec\x82\xac\xeb\xa1\x80 B" not in alice.get("/").data  # case B's label is not listed


def test_admin_reads_a_case_only_when_granted(clients: dict[str, FlaskClient], world: World) -> None:
    ada = clients["ada"]
    assert ada.get(f"/cases/{world.case_b}").status_code == 404
    assert ada.get(f"/exposures/{world.exposures_b[0]}").status_code == 404
    assert ada.get("/audit").status_code == 200 and ada.get("/admin/users").status_code == 200
    assert clients["alice"].get("/audit").status_code == 403
    assert clients["alice"].get("/admin/users").status_code == 403


def test_viewer_cannot_change_anything(store: Store, clients: dict[str, FlaskClient], world: World) -> None:
    vera = clients["vera"]
    assert vera.get(f"/cases/{world.case_a}/triage").status_code == 200
    csrf = token(vera)
    target = world.exposures_a[1]
    for path, data in (
        (f"/cases/{world.case_a}/triage/decide", {"action": "confirm", "ids": str(target)}),
        (f"/cases/{world.case_a}/terms", {"term": "새이름"}),
        (f"/cases/{world.case_a}/takedown/1/reported", {}),
        ("/runs", {}),
        ("/admin/grants", {"case": str(world.case_b), "username": "vera"}),
    ):
        assert vera.post(path, data={**data, "csrf_token": csrf}).status_code == 403, path
    assert get_exposure(store, target).status == "new"


def test_post_without_csrf_is_refused(store: Store, clients: dict[str, FlaskClient], world: World) -> None:
    target = world.exposures_a[1]
    response = clients["alice"].post(
        f"/cases/{world.case_a}/triage/decide", data={"action": "confirm", "ids": str(target)}
    )
    assert response.status_code == 400
    assert get_exposure(store, target).status == "new"


def test_decisions_are_audited_under_the_user_and_undone(
    store: Store, clients: dict[str, FlaskClient], world: World
) -> None:
    alice = clients["alice"]
    csrf = token(alice)
    ids = world.exposures_a[:2]
    response = alice.post(
        f"/cases/{world.case_a}/triage/decide",
        data={"action": "confirm", "ids": [str(i) for i in ids], "csrf_token": csrf},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200 and 'id="queue"' in response.get_data(as_text=True)
    assert [get_exposure(store, i).status for i in ids] == ["confirmed", "confirmed"]
    marks = [r for r in list_records(store, case_id=world.case_a) if r.action == "exposure.mark_case"]
    assert marks and marks[0].actor == "alice"
    reads = [r for r in list_records(store, case_id=world.case_a) if r.action == "exposures.list"]
    assert reads and reads[0].actor == "alice"
    alice.post(
        f"/cases/{world.case_a}/triage/undo", data={"csrf_token": csrf}, headers={"HX-Request": "true"}
    )
    assert [get_exposure(store, i).status for i in ids] == ["new", "new"]


def test_hostile_title_is_text_and_names_are_masked(
    clients: dict[str, FlaskClient], world: World, store: Store
) -> None:
    alice = clients["alice"]
    html = alice.get(f"/cases/{world.case_a}/triage").get_data(as_text=True)
    assert "<script>alert" not in html and 'onerror="alert' not in html
    assert "&lt;script&gt;" in html
    assert CANARY not in html and "<mark>●●●</mark>" in html
    shown = alice.get(f"/cases/{world.case_a}/triage?show=names").get_data(as_text=True)
    assert f"<mark>{CANARY}</mark>" in shown
    assert any(
        r.action == "exposures.reveal" and r.actor == "alice"
        for r in list_records(store, case_id=world.case_a)
    )


def test_terms_travel_in_post_bodies(store: Store, clients: dict[str, FlaskClient], world: World) -> None:
    alice = clients["alice"]
    csrf = token(alice)
    tested = alice.post(
        f"/cases/{world.case_a}/terms/test",
        data={"term": "박영희", "text": "어제 박 영 희 사진이", "csrf_token": csrf},
    )
    assert tested.status_code == 200 and "1" in tested.get_data(as_text=True)
    added = alice.post(
        f"/cases/{world.case_a}/terms", data={"term": "박영희", "kind": "name", "csrf_token": csrf}
    )
    assert added.status_code == 302 and "박영희" not in added.headers["Location"]
    assert "박영희" in alice.get(f"/cases/{world.case_a}").get_data(as_text=True)


def test_session_expires_when_idle(clients: dict[str, FlaskClient], world: World) -> None:
    alice = clients["alice"]
    assert alice.get("/").status_code == 200
    with alice.session_transaction() as session:
        session["seen_at"] = time.time() - 31 * 60
    response = alice.get("/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert alice.get("/").status_code == 302


def test_session_expires_after_the_absolute_limit(clients: dict[str, FlaskClient], world: World) -> None:
    bob = clients["bob"]
    with bob.session_transaction() as session:
        session["signed_in_at"] = time.time() - 13 * 3600
    assert bob.get("/").status_code == 302


def test_korean_by_default_english_on_request_and_local_times(
    clients: dict[str, FlaskClient], world: World
) -> None:
    alice = clients["alice"]
    html = alice.get(f"/cases/{world.case_a}/triage").get_data(as_text=True)
    assert "검토" in html and "+09:00" in html  # Asia/Seoul, offset shown
    alice.post("/language", data={"lang": "en", "next": "/", "csrf_token": token(alice)})
    assert "Triage" in alice.get(f"/cases/{world.case_a}/triage").get_data(as_text=True)


def test_open_page_links_only_http_urls_with_noreferrer(
    clients: dict[str, FlaskClient], world: World
) -> None:
    html = clients["alice"].get(f"/exposures/{world.exposures_a[0]}/open").get_data(as_text=True)
    assert 'rel="noreferrer noopener"' in html and 'href="https://blog.example.com/' in html


def test_deliveries_download_masked_once_and_are_per_case(
    store: Store, clients: dict[str, FlaskClient], world: World
) -> None:
    alice = clients["alice"]
    csrf = token(alice)
    first = alice.post(f"/cases/{world.case_a}/deliveries", data={"format": "csv", "csrf_token": csrf})
    assert first.status_code == 200 and "attachment" in first.headers["Content-Disposition"]
    body = first.get_data(as_text=True)
    assert "blog.example.com/post/" in body and CANARY not in body
    again = alice.post(f"/cases/{world.case_a}/deliveries", data={"format": "csv", "csrf_token": csrf})
    assert "blog.example.com/post/" not in again.get_data(as_text=True)  # nothing new for this recipient
    other = alice.post(
        f"/cases/{world.case_a}/deliveries", data={"format": "csv", "recipient": "kcsc", "csrf_token": csrf}
    )
    assert "blog.example.com/post/" in other.get_data(as_text=True)  # new for another recipient
    page = alice.get(f"/cases/{world.case_a}/deliveries").get_data(as_text=True)
    assert page.count("<tr><td>") == 3 and "kcsc" in page
    with store.session() as session:
        first_batch = min(session.scalars(select(Export.id).where(Export.case_id == world.case_a)))
    copy = alice.post(
        f"/cases/{world.case_a}/deliveries/{first_batch}", data={"format": "jsonl", "csrf_token": csrf}
    )
    assert copy.status_code == 200 and "blog.example.com/post/" in copy.get_data(as_text=True)
    assert CANARY not in copy.get_data(as_text=True)
    bob = clients["bob"]
    assert (
        bob.post(
            f"/cases/{world.case_b}/deliveries/{first_batch}",
            data={"format": "csv", "csrf_token": token(bob)},
        ).status_code
        == 404
    )
    assert (
        clients["bob"]
        .post(
            f"/cases/{world.case_a}/deliveries", data={"format": "csv", "csrf_token": token(clients["bob"])}
        )
        .status_code
        == 404
    )
    assert any(r.action == "export" and r.actor == "alice" for r in list_records(store, case_id=world.case_a))


def test_admin_grants_a_case_in_the_console(
    store: Store, clients: dict[str, FlaskClient], world: World
) -> None:
    ada = clients["ada"]
    assert ada.get(f"/cases/{world.case_b}").status_code == 404
    response = ada.post(
        "/admin/grants",
        data={"case": str(world.case_b), "username": "ada", "action": "grant", "csrf_token": token(ada)},
    )
    assert response.status_code == 302
    assert ada.get(f"/cases/{world.case_b}").status_code == 200
    grants = [r for r in list_records(store, case_id=world.case_b) if r.action == "case.grant"]
    assert grants and grants[0].actor == "ada"
    bob = clients["bob"]
    assert (
        bob.post(
            "/admin/grants",
            data={"case": str(world.case_a), "username": "bob", "action": "grant", "csrf_token": token(bob)},
        ).status_code
        == 403
    )


def test_a_term_of_another_case_cannot_be_removed(
    store: Store, clients: dict[str, FlaskClient], world: World
) -> None:
    from storage.cases import list_terms

    term_b = list_terms(store, world.case_b)[0].id
    alice = clients["alice"]
    response = alice.post(f"/cases/{world.case_a}/terms/{term_b}/remove", data={"csrf_token": token(alice)})
    assert response.status_code == 404
    assert [t.id for t in list_terms(store, world.case_b)] == [term_b]


def test_sign_out_revokes_copies_of_the_session_cookie(app: Flask, clients: dict[str, FlaskClient]) -> None:
    alice = clients["alice"]
    assert alice.get("/").status_code == 200
    copy = app.test_client()
    cookie = alice.get_cookie("jikimi_session")
    assert cookie is not None
    copy.set_cookie("jikimi_session", cookie.value)
    assert copy.get("/").status_code == 200
    alice.post("/logout", data={"csrf_token": token(alice)})
    assert alice.get("/").status_code == 302
    assert copy.get("/").status_code == 302  # the copied cookie died with the sign-out


def test_runs_audit_takedown_and_report_pages(
    store: Store, clients: dict[str, FlaskClient], world: World
) -> None:
    from storage.runs import finish_run, record_source, start_run

    run_id = start_run(store, "nightly")
    record_source(store, run_id, "naver", "blocked", reason="captcha page", calls=3)
    finish_run(store, run_id, "partial")
    alice, ada = clients["alice"], clients["ada"]
    runs = alice.get("/runs").get_data(as_text=True)
    assert (
        f"#{run_id}" in runs and "차단됨" in runs and "captcha page" in runs
    )  # honest outcome, not "nothing"
    assert 'action="/runs"' not in runs  # only admins see the button that starts a pass
    assert 'action="/runs"' in ada.get("/runs").get_data(as_text=True)
    audit_page = ada.get("/audit?actor=alice").get_data(as_text=True)
    assert "chain" in audit_page and "console.sign_in" in audit_page
    csrf = token(alice)
    alice.post(
        f"/cases/{world.case_a}/triage/decide",
        data={"action": "confirm", "ids": [str(i) for i in world.exposures_a], "csrf_token": csrf},
    )
    takedown = alice.get(f"/cases/{world.case_a}/takedown").get_data(as_text=True)
    assert "blog.example.com/post/" in takedown
    draft = alice.get(f"/cases/{world.case_a}/takedown/1.txt")
    assert draft.status_code == 200 and "attachment" in draft.headers["Content-Disposition"]
    reported = alice.post(f"/cases/{world.case_a}/takedown/1/reported", data={"csrf_token": csrf})
    assert reported.status_code == 302
    assert {get_exposure(store, i).status for i in world.exposures_a} == {"reported"}
    report = alice.get(f"/cases/{world.case_a}/report")
    assert report.status_code == 200 and "script-src" not in report.headers["Content-Security-Policy"]
    assert "default-src 'none'" in report.headers["Content-Security-Policy"]


def test_exposure_page_shows_score_tier_and_reasons(
    clients: dict[str, FlaskClient], world: World, store: Store
) -> None:
    view = get_exposure(store, world.exposures_a[0])
    html = clients["alice"].get(f"/exposures/{view.id}").get_data(as_text=True)
    assert view.tier and f"tier-{view.tier}" in html
    assert view.reasons and all(str(escape(reason)) in html for reason in view.reasons)


def test_behind_tls_cookies_are_secure_and_http_is_redirected(
    store: Store, settings: Settings, world: World
) -> None:
    app = create_app(store, replace(settings, web=WebSettings(tls=True, proxies=1)))
    client = app.test_client()
    plain = client.get("/login")
    assert plain.status_code in (301, 302) and plain.headers["Location"].startswith("https://")
    proxied = {"X-Forwarded-Proto": "https"}
    page = client.get("/login", headers=proxied)
    assert page.status_code == 200 and "max-age" in page.headers["Strict-Transport-Security"]
    response = client.post(
        "/login",
        headers=proxied,
        data={
            "username": "alice",
            "password": PASSWORD,
            "otp": world.code("alice"),
            "csrf_token": csrf_token(page.get_data(as_text=True)),
        },
    )
    assert response.status_code == 302
    assert "Secure" in response.headers["Set-Cookie"] and "HttpOnly" in response.headers["Set-Cookie"]


def test_queue_filters_by_tier(clients: dict[str, FlaskClient], world: World, store: Store) -> None:
    tiers = {i: get_exposure(store, i).tier for i in world.exposures_a}
    alice = clients["alice"]
    for tier in ("strong", "likely", "weak"):
        html = alice.get(f"/cases/{world.case_a}/triage?status=all&tier={tier}").get_data(as_text=True)
        shown = {i for i in world.exposures_a if f'data-id="{i}"' in html}
        assert shown == {i for i, t in tiers.items() if t == tier}, tier
