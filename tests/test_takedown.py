"""Takedown drafts: the platform directory, notices per recipient in both languages, nothing sensitive."""

from __future__ import annotations

import email
import json
import stat
from datetime import UTC, datetime
from email.policy import default as default_policy
from pathlib import Path

import pytest

from storage.cases import Consent, add_term, create_case
from storage.database import Store, open_store
from storage.errors import ValidationError
from storage.exposures import Observation, record_observation
from storage.keyring import load_keyring
from storage.lifecycle import StatusChange, mark
from takedown.drafts import DEFAULT_STATUSES, select_items, write_drafts
from takedown.notices import NoticeItem, plan_notices, render_eml, render_text
from takedown.platforms import (
    PlatformDirectoryError,
    load_directory,
    merge,
)
from takedown.templating import html_environment, plain, text_environment, url_text
from tests.support.home import JikimiHome

LABEL = "사건라벨QZ9"
TERM = "캐너리홍길동QX7"
TITLE_MARK = "제목표식TT1"
SNIPPET_MARK = "스니펫표식SS2"
SEEN = datetime(2026, 11, 23, 18, 12, tzinfo=UTC)  # 2026-11-24 03:12 KST
CONSENT = Consent(statement="victim, signed form", recorded_by="advocate", recorded_at="2026-11-20")


@pytest.mark.parametrize(
    ("url", "platform", "recipients"),
    [
        ("https://blog.naver.com/someone/223344", "naver", ["naver"]),
        ("https://m.cafe.daum.net/club/x/1", "kakao", ["kakao"]),
        ("https://someone.tistory.com/12", "tistory", ["kakao"]),
        ("https://gall.dcinside.com/board/view/?id=x&no=1", "dcinside", ["dcinside"]),
        ("https://x.com/someone/status/1", "x", ["x"]),
        ("https://twitter.com/someone/status/1", "x", ["x"]),
        ("https://t.me/somechannel/15", "telegram", ["telegram"]),
        ("https://www.reddit.com/r/x/comments/1", "reddit", ["reddit"]),
        ("https://someone.tumblr.com/post/1", "tumblr", ["tumblr"]),
        ("https://unknown-host.example/post/1", "web", ["kcsc", "d4u"]),
        ("https://notnaver.com/x", "web", ["kcsc", "d4u"]),  # a suffix match needs a dot boundary
        ("https://BLOG.NAVER.COM./x", "naver", ["naver"]),
        ("not a url", "web", ["kcsc", "d4u"]),
    ],
)
def test_shipped_directory_matches_urls(url: str, platform: str, recipients: list[str]) -> None:
    directory = load_directory()
    assert directory.match(url).id == platform
    assert [r.id for r in directory.recipients(url)] == recipients


def test_search_results_also_go_to_the_search_engine() -> None:
    directory = load_directory()
    assert [r.id for r in directory.recipients("https://unknown.example/a", ["google", "naver"])] == [
        "kcsc",
        "d4u",
        "google_search",
    ]


def test_shipped_entries_are_complete() -> None:
    directory = load_directory()
    for pid in (
        "naver",
        "kakao",
        "tistory",
        "dcinside",
        "x",
        "telegram",
        "google_search",
        "reddit",
        "tumblr",
        "web",
        "kcsc",
        "d4u",
    ):
        assert pid in directory.platforms
    for platform in directory.platforms.values():
        for target in platform.route_to or (platform.id,):
            receiver = directory.platforms[target]
            assert receiver.contactable and receiver.legal_basis and receiver.channel
    assert directory.platforms["telegram"].email == "abuse@telegram.org"
    assert "tba_22_5" in directory.platforms["naver"].legal_basis
    assert "전기통신사업법 제22조의5" in directory.legal["tba_22_5"].ko
    assert "Art. 22-5" in directory.legal["tba_22_5"].en
    assert any(p.verify for p in directory.platforms.values())  # unsure contact points are flagged


def test_operator_file_overrides_and_extends(tmp_path: Path) -> None:
    operator = tmp_path / "platforms.toml"
    operator.write_text(
        """
[platforms.naver]
report_url = "https://help.naver.com/new-form"
verify = false

[platforms.example_forum]
name = "Example Forum"
hosts = ["forum.example"]
email = "abuse@forum.example"
channel = "email"
language = "en"
legal_basis = ["sexual_crimes_act", "house_rules"]

[legal_basis.house_rules]
ko = "포럼 이용규칙"
en = "The forum's house rules"
verify = false
""",
        encoding="utf-8",
    )
    directory = load_directory(operator)
    naver = directory.platforms["naver"]
    assert naver.report_url == "https://help.naver.com/new-form" and not naver.verify
    assert naver.name == "네이버 (Naver)" and naver.hosts  # untouched keys keep the shipped value
    assert directory.match("https://www.forum.example/t/1").id == "example_forum"
    assert directory.legal["house_rules"].en == "The forum's house rules"
    assert load_directory(tmp_path / "absent.toml").platforms["naver"].report_url == "https://help.naver.com/"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[platforms.naver]\nreport_url = 'http://help.naver.com/'", "https://"),
        ("[platforms.naver]\nhosts = ['https://naver.com/']", "not a host name"),
        ("[platforms.naver]\nlegal_basis = ['nope']", "unknown 'nope'"),
        ("[platforms.naver]\nwebsite = 'x'", "unknown key 'website'"),
        ("[platforms.naver]\nemail = 'not-an-address'", "e-mail"),
        ("[platforms.naver]\nlanguage = 'jp'", "language"),
        ("[platforms.naver]\nverify = 'no'", "true or false"),
        ("[platforms.other]\nname = 'o'\nemail = 'a@o.example'\nhosts = ['naver.com']", "claimed by"),
        ("[platforms.other]\nname = 'o'\nfallback = true", "exactly one"),
        ("[platforms.silent]\nname = 's'\nhosts = ['silent.example']", "has no report_url"),
        ("[platforms.Bad-Id]\nname = 'b'", "ids are"),
        ("[platforms.web]\nroute_to = ['nobody']", "unknown 'nobody'"),
        ("[settings]\nx = 1", "unknown table"),
        ("[platforms.naver\n", "not valid TOML"),
    ],
)
def test_bad_operator_file_is_one_clear_error(tmp_path: Path, text: str, message: str) -> None:
    operator = tmp_path / "platforms.toml"
    operator.write_text(text, encoding="utf-8")
    with pytest.raises(PlatformDirectoryError, match=message) as err:
        load_directory(operator)
    assert str(operator) in str(err.value)


def test_merge_is_key_by_key_and_pure() -> None:
    base = {"platforms": {"a": {"name": "A", "hosts": ["a.example"]}}, "legal_basis": {}}
    merged = merge(base, {"platforms": {"a": {"name": "A2"}}})
    assert merged["platforms"]["a"] == {"name": "A2", "hosts": ["a.example"]}
    assert base["platforms"]["a"]["name"] == "A"


def _items() -> list[NoticeItem]:
    return [
        NoticeItem(1, 7, "https://blog.naver.com/a/1", SEEN, "confirmed"),
        NoticeItem(2, 7, "https://unknown.example/p?id=3&x=4", SEEN, "confirmed", ("google",)),
        NoticeItem(3, 7, "https://blog.naver.com/a/2", SEEN.replace(hour=1), "reappeared"),
        NoticeItem(4, 8, "https://blog.naver.com/b/1", SEEN, "confirmed"),
    ]


def test_one_notice_per_case_and_recipient() -> None:
    notices = plan_notices(_items(), load_directory())
    plan = [(n.case_id, n.recipient.id, [i.exposure_id for i in n.items]) for n in notices]
    assert plan == [
        (7, "naver", [3, 1]),  # oldest first
        (7, "google_search", [2]),
        (7, "kcsc", [2]),
        (7, "d4u", [2]),
        (8, "naver", [4]),  # another victim's URL never shares a notice
    ]


def test_notice_text_has_both_languages_times_and_law() -> None:
    [naver] = [
        n for n in plan_notices(_items(), load_directory()) if n.case_id == 7 and n.recipient.id == "naver"
    ]
    text = render_text(naver, timezone="Asia/Seoul", generated_at=SEEN)
    assert "[한국어]" in text and "[English]" in text
    assert text.index("[한국어]") < text.index("[English]")  # Naver reads Korean first
    assert "https://blog.naver.com/a/1" in text and "https://blog.naver.com/a/2" in text
    assert "2026-11-24 03:12 KST +09:00 (2026-11-23 18:12 UTC +00:00)" in text
    assert "최초 확인" in text and "First seen" in text
    assert "전기통신사업법 제22조의5" in text and "Art. 22-5" in text
    assert "DRAFT FOR REVIEW" in text and "VERIFY BEFORE USE" in text
    english_first = next(
        n for n in plan_notices(_items(), load_directory()) if n.recipient.id == "google_search"
    )
    text = render_text(english_first, timezone="Asia/Seoul", generated_at=SEEN, for_reviewer=False)
    assert text.index("[English]") < text.index("[한국어]") and "DRAFT FOR REVIEW" not in text
    assert "https://unknown.example/p?id=3&x=4" in text  # plain text: '&' stays '&'


@pytest.mark.parametrize(
    "hostile",
    [
        "https://evil.example/a\r\nBcc: victim@example.org",
        "https://evil.example/<script>alert(1)</script>",
        "https://evil.example/{{7*7}}",
        "https://evil.example/\u202egnp.exe",
        'https://evil.example/"onmouseover="x',
    ],
)
def test_hostile_urls_render_inert(hostile: str) -> None:
    item = NoticeItem(1, 7, hostile, SEEN, "confirmed")
    notice = next(n for n in plan_notices([item], load_directory()) if n.recipient.id == "kcsc")
    text = render_text(notice, timezone="Asia/Seoul", generated_at=SEEN)
    url_lines = [line for line in text.splitlines() if "evil.example" in line]
    assert len(url_lines) == 2  # one per language: nothing broke onto a line of its own
    for line in url_lines:
        assert line.isascii() and "<" not in line and '"' not in line and "\u202e" not in line
    assert not any(line.startswith("Bcc") for line in text.splitlines())
    assert "49" not in text.split("[English]")[0].split("대상 URL")[1].split("근거")[0]


def test_plain_and_url_filters() -> None:
    assert plain("a\nb\u202ec\u0000d\te") == "a b c d e"
    assert url_text("https://x.example/a\r\nb\u202e") == "https://x.example/a%0D%0Ab%E2%80%AE"
    assert (
        url_text("https://x.example/한글 경로?a=1&b=<2>")
        == "https://x.example/%ED%95%9C%EA%B8%80%20%EA%B2%BD%EB%A1%9C?a=1&b=%3C2%3E"
    )
    # Autoescape is on for the text templates too: an unfiltered value would be escaped, not trusted.
    for env in (text_environment(), html_environment()):
        assert env.autoescape is True
        assert env.from_string("{{ v }}").render(v="<b>&") == "&lt;b&gt;&amp;"
    assert "plain" not in html_environment().filters and "url_text" not in html_environment().filters


def test_eml_draft_is_unsent_with_a_safe_header() -> None:
    item = NoticeItem(1, 7, "https://t.me/somechannel/15", SEEN, "confirmed")
    [notice] = plan_notices([item], load_directory())
    raw = render_eml(notice, timezone="Asia/Seoul", generated_at=SEEN)
    message = email.message_from_bytes(raw, policy=default_policy)
    assert message["To"] == "abuse@telegram.org" and message["X-Unsent"] == "1"
    assert "불법촬영물등" in message["Subject"]
    body = message.get_content()
    assert "https://t.me/somechannel/15" in body and "[English]" in body and "DRAFT FOR REVIEW" not in body


def _exposure(
    store: Store, case_id: int, url: str, *, source: str = "naver", term_id: int | None = None
) -> int:
    obs = Observation(
        case_id=case_id,
        url=url,
        canonical_url=url,
        domain="d.example",
        platform="web",
        title=f"{TITLE_MARK} {TERM} <script>",
        snippet=f"{SNIPPET_MARK} {TERM}",
        confidence="snippet",
        source=source,
        seen_at=SEEN,
        query=TERM,
        term_id=term_id,
    )
    with store.session() as s:
        return record_observation(s, store.crypto, obs)[0]


def test_drafts_written_per_recipient_without_label_term_or_scraped_text(
    store: Store, tmp_path: Path
) -> None:
    case_id = create_case(store, LABEL, CONSENT)
    term_id = add_term(store, case_id, TERM)
    naver = _exposure(store, case_id, "https://blog.naver.com/a/1", term_id=term_id)
    telegram = _exposure(store, case_id, "https://t.me/somechannel/15", term_id=term_id)
    other = _exposure(store, case_id, "https://unknown.example/p/1", source="google", term_id=term_id)
    _exposure(store, case_id, "https://blog.naver.com/a/9")  # still 'new': not drafted
    dismissed = _exposure(store, case_id, "https://blog.naver.com/a/10")
    for exposure_id in (naver, telegram, other):
        mark(store, exposure_id, StatusChange("confirmed", actor="a"))
    mark(store, dismissed, StatusChange("dismissed", actor="a"))

    items = select_items(store, DEFAULT_STATUSES)
    assert [i.exposure_id for i in items] == [naver, telegram, other]
    out = tmp_path / "drafts"
    written = write_drafts(
        plan_notices(items, load_directory()), out, timezone="Asia/Seoul", generated_at=SEEN
    )
    assert [d.notice.recipient.id for d in written] == ["naver", "telegram", "google_search", "kcsc", "d4u"]
    names = sorted(p.name for p in out.iterdir())
    assert f"20261124-case{case_id}-02-telegram.eml" in names and "manifest.json" in names
    assert len([n for n in names if n.endswith(".txt")]) == 5
    assert stat.S_IMODE(out.stat().st_mode) == 0o700
    for path in out.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        content = path.read_text(encoding="utf-8")
        for secret in (LABEL, TERM, TITLE_MARK, SNIPPET_MARK, "<script>"):
            assert secret not in path.name and secret not in content
    naver_text = written[0].text_path.read_text(encoding="utf-8")
    assert "https://blog.naver.com/a/1" in naver_text and "a/9" not in naver_text and "a/10" not in naver_text
    assert "[한국어]" in naver_text and "[English]" in naver_text
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    first = manifest["drafts"][0]
    assert first["exposure_ids"] == [naver] and first["recipient"] == "naver"
    assert first["after_sending"] == [
        (
            f"jikimi exposure mark-case {case_id} --from confirmed --to reported "
            f"--channel naver-report-form --id {naver}"
        )
    ]


def test_dismissed_can_never_be_drafted(store: Store) -> None:
    with pytest.raises(ValidationError, match="never drafted"):
        select_items(store, ["dismissed"])
    with pytest.raises(ValidationError, match="status must be one of"):
        select_items(store, ["gone"])


def _open_home_store(home: JikimiHome) -> Store:
    from jikimi.config import load_settings

    settings = load_settings()
    return open_store(settings.database_url, load_keyring(settings.key_file))


def test_cli_draft_and_platforms(home: JikimiHome, tmp_path: Path) -> None:
    home.ok("init")
    case_id = int(home.ok("case", "add", "--label", LABEL, "--consent", "victim, form").strip())
    home.ok("term", "add", str(case_id), TERM)
    store = _open_home_store(home)
    try:
        exposure_id = _exposure(store, case_id, "https://x.com/someone/status/1")
    finally:
        store.close()
    out = tmp_path / "out"
    empty = home.cli("takedown", "draft", "--output", str(out))
    assert empty.code == 0 and "nothing to draft" in empty.out and not out.exists()
    home.ok("exposure", "mark", str(exposure_id), "confirmed")
    result = home.cli("takedown", "draft", "--output", str(out), "--case", str(case_id))
    assert result.code == 0 and "Nothing was sent" in result.out
    files = sorted(p.name for p in out.iterdir())
    assert any(name.endswith("-x.txt") for name in files)
    for text in [result.out, result.err, *((out / n).read_text(encoding="utf-8") for n in files)]:
        assert LABEL not in text and TERM not in text
    as_json = json.loads(home.ok("takedown", "draft", "--output", str(out), "--json"))
    assert as_json["drafts"][0]["exposure_ids"] == [exposure_id]
    audited = json.loads(home.ok("audit", "list", "--json"))
    drafts = [r for r in audited if r["action"] == "takedown.draft"]
    assert len(drafts) == 3 and drafts[0]["details"]["exposures"] == 1
    home.write_config("")
    (home.data_dir / "platforms.toml").write_text(
        '[platforms.x]\nreport_url = "https://help.x.com/other-form"\n', encoding="utf-8"
    )
    listed = {p["id"]: p for p in json.loads(home.ok("takedown", "platforms", "--json"))}
    assert listed["x"]["report_url"] == "https://help.x.com/other-form"
    (home.data_dir / "platforms.toml").write_text("[platforms.x]\nreport_url = 'ftp://x'\n", encoding="utf-8")
    bad = home.cli("takedown", "platforms")
    assert bad.code == 2 and "report_url must start with https://" in bad.err and bad.err.count("\n") == 1
    refused = home.cli("takedown", "draft", "--output", str(out), "--status", "dismissed")
    assert refused.code == 2
