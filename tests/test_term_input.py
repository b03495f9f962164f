"""Watch terms in: the breadth guard, terms empty after clean-up, several terms from stdin or a file.

Everything goes through the real `jikimi` entry point on a real SQLite database. Every refusal is one line,
exit code 2, and leaves the case's terms exactly as they were.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from matching import Matcher, TermSpec, TermSpecError
from tests.support.home import JikimiHome

NAME = "홍길동"


def _case(home: JikimiHome) -> str:
    home.ok("init")
    return home.ok("case", "add", "--label", "시험 사례", "--consent", "fictional, test").strip()


def _terms(home: JikimiHome, case_id: str) -> list[dict[str, object]]:
    result: list[dict[str, object]] = json.loads(home.ok("term", "list", case_id, "--json"))
    return result


def _refused(home: JikimiHome, *args: str, stdin: str = "") -> str:
    result = home.cli(*args, stdin=stdin)
    assert result.code == 2, (args, result)
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, result.err
    return lines[0]


@pytest.mark.parametrize(
    ("term", "why"),
    [
        ("a", "too short"),
        ("ab", "too short"),
        ("김", "too short"),
        ("김a", "too short"),
        ("123", "too short"),
        ("하늘", "common word"),
        ("사 랑", "common word"),
        ("Love", "common word"),
        ("능욕", "common word"),
        ("ㅎㄱㄷ", "initials"),
    ],
)
def test_too_broad_terms_are_refused_unless_broad(home: JikimiHome, term: str, why: str) -> None:
    case_id = _case(home)
    line = _refused(home, "term", "add", case_id, term)
    assert why in line and "--broad" in line
    assert _terms(home, case_id) == []
    term_id = int(home.ok("term", "add", case_id, term, "--broad").strip())
    assert [t["id"] for t in _terms(home, case_id)] == [term_id]


@pytest.mark.parametrize("term", ["홍길동", "洪吉童", "abc", "gildong_hong", "01012345678", "김하늘"])
def test_specific_terms_need_no_flag(home: JikimiHome, term: str) -> None:
    case_id = _case(home)
    home.ok("term", "add", case_id, term)
    assert [t["term"] for t in _terms(home, case_id)] == [term]


@pytest.mark.parametrize("term", ["...", ".*", "!!!", "_ _ _", "·"])
def test_term_empty_after_clean_up_is_refused_even_with_broad(home: JikimiHome, term: str) -> None:
    # The matcher itself refuses these: term add applies the very same check.
    with pytest.raises(TermSpecError):
        Matcher.build([TermSpec(1, 1, term)])
    case_id = _case(home)
    for extra in ((), ("--broad",)):
        line = _refused(home, "term", "add", case_id, term, *extra)
        assert "symbols" in line and "--broad" not in line
    assert _terms(home, case_id) == []


def test_term_add_stdin_registers_every_line(home: JikimiHome) -> None:
    case_id = _case(home)
    out = home.ok("term", "add", case_id, "-", "--kind", "alias", stdin=f"{NAME}\n\n  gildong_hong \n")
    ids = [int(x) for x in out.split()]
    terms = _terms(home, case_id)
    assert [t["id"] for t in terms] == ids and len(ids) == 2
    assert [t["term"] for t in terms] == [NAME, "gildong_hong"]
    assert {t["kind"] for t in terms} == {"alias"}


@pytest.mark.parametrize(
    ("stdin", "why"),
    [
        (f"{NAME}\n...\n", "line 2"),
        (f"{NAME}\nab\n", "line 2"),
        (f"{NAME}\n{NAME}\n", "line 2: the same term as line 1"),
        ("\n  \n", "no term on standard input"),
    ],
)
def test_term_add_stdin_is_all_or_nothing(home: JikimiHome, stdin: str, why: str) -> None:
    case_id = _case(home)
    line = _refused(home, "term", "add", case_id, "-", stdin=stdin)
    assert why in line and NAME not in line
    assert _terms(home, case_id) == []


def test_term_already_registered_is_refused_in_a_batch(home: JikimiHome) -> None:
    case_id = _case(home)
    home.ok("term", "add", case_id, NAME)
    line = _refused(home, "term", "add", case_id, "-", stdin=f"gildong_hong\n{NAME}\n")
    assert "line 2" in line and "already registered" in line
    assert [t["term"] for t in _terms(home, case_id)] == [NAME]


# -- term import ---------------------------------------------------------------------------------


def test_import_csv_with_header_kind_context_exclude(home: JikimiHome, tmp_path: Path) -> None:
    case_id = _case(home)
    sheet = tmp_path / "terms.csv"
    sheet.write_text(
        "\ufeffTerm,Kind,Context,Exclude\n"
        f"{NAME},name,가나다고;3학년,기상캐스터\n"
        "gildong_hong,handle,,\n"
        "\n"
        "가나다고등학교,keyword,,\n",
        encoding="utf-8",
    )
    out = home.ok("term", "import", case_id, str(sheet))
    assert "3 term(s) registered" in out
    terms = _terms(home, case_id)
    assert [(t["term"], t["kind"], t["context"], t["exclude"]) for t in terms] == [
        (NAME, "name", ["가나다고", "3학년"], ["기상캐스터"]),
        ("gildong_hong", "handle", [], []),
        ("가나다고등학교", "keyword", [], []),
    ]


def test_import_korean_excel_csv_and_plain_list(home: JikimiHome, tmp_path: Path) -> None:
    case_id = _case(home)
    sheet = tmp_path / "excel.csv"
    sheet.write_bytes(f"term,kind\n{NAME},name\n".encode("cp949"))
    home.ok("term", "import", case_id, str(sheet))
    plain = tmp_path / "names.txt"
    plain.write_text("gildong_hong\n\n홍길순\n", encoding="utf-8")
    out = json.loads(home.ok("term", "import", case_id, str(plain), "--json"))
    assert len(out["ids"]) == 2
    assert [t["term"] for t in _terms(home, case_id)] == [NAME, "gildong_hong", "홍길순"]


@pytest.mark.parametrize(
    ("content", "why"),
    [
        (f"term,kind\n{NAME},name\ngildong_hong,nickname\n", "line 3: kind must be one of"),
        (f"term,kind\n{NAME},name\n,name\n", "line 3: term must not be empty"),
        (f"term,kind\n{NAME},name\nab,name\n", "line 3: the term is too short"),
        (f"term,kind\n{NAME},name\n!!!,name\n", "line 3: the term has no letters"),
        (f"term,kind\n{NAME},name\n{NAME},alias\n", "line 3: the same term as line 2"),
        (f"term,school\n{NAME},x\n", "line 1: unknown column 2"),
        (f"term\n{NAME},extra\n", "line 2: more cells than the header"),
        (f"{NAME}\n\nab\n", "line 3: the term is too short"),
        ("\n\n", "no terms"),
    ],
)
def test_import_is_all_or_nothing(home: JikimiHome, tmp_path: Path, content: str, why: str) -> None:
    case_id = _case(home)
    sheet = tmp_path / "terms.csv"
    sheet.write_text(content, encoding="utf-8")
    line = _refused(home, "term", "import", case_id, str(sheet))
    assert why in line and NAME not in line
    assert _terms(home, case_id) == []


def test_import_broad_and_missing_file(home: JikimiHome, tmp_path: Path) -> None:
    case_id = _case(home)
    sheet = tmp_path / "terms.txt"
    sheet.write_text(f"{NAME}\nab\n", encoding="utf-8")
    assert "--broad" in _refused(home, "term", "import", case_id, str(sheet))
    home.ok("term", "import", case_id, str(sheet), "--broad")
    assert len(_terms(home, case_id)) == 2
    assert "no file" in _refused(home, "term", "import", case_id, str(tmp_path / "missing.csv"))
    assert "no case with id 99" in _refused(home, "term", "import", "99", str(sheet))
    binary = tmp_path / "photo.csv"
    binary.write_bytes(b"\xff\xfe\x00\xd8\x81\x80")
    assert "CSV (UTF-8)" in _refused(home, "term", "import", case_id, str(binary))


# -- jikimi match without the name on the command line ------------------------------------------


def test_match_terms_file_keeps_the_name_out_of_argv(home: JikimiHome, tmp_path: Path) -> None:
    terms = tmp_path / "terms.txt"
    terms.write_text(f"{NAME}\nhandle:gildong_hong\n", encoding="utf-8")
    out = home.ok("match", "--terms-file", str(terms), "--json", stdin="홍 길 동 그리고 @gildong_hong")
    assert (NAME, "spacing") in {(m["term"], m["variant"]) for m in json.loads(out)}
    assert {m["term"] for m in json.loads(out)} == {NAME, "gildong_hong"}


def test_match_terms_from_stdin_and_text_from_file(home: JikimiHome, tmp_path: Path) -> None:
    page = tmp_path / "page.txt"
    page.write_text("오늘 홍.길.동 합성", encoding="utf-8")
    out = home.ok("match", "--term", "-", "--input", str(page), "--json", stdin=f"{NAME}\n")
    assert [m["text"] for m in json.loads(out)] == ["홍.길.동"]
    line = _refused(home, "match", "--term", "-", stdin=f"{NAME}\n")
    assert "--input" in line


def test_match_says_which_terms_term_add_would_refuse(home: JikimiHome, tmp_path: Path) -> None:
    terms = tmp_path / "terms.txt"
    terms.write_text(f"{NAME}\n하늘\n", encoding="utf-8")
    result = home.cli("match", "--terms-file", str(terms), "--json", stdin="하늘이 맑다")
    assert result.code == 0
    assert result.err.strip().splitlines() == [
        (
            "note: term #2 would need --broad to be registered: "
            "the term is a common word and would match pages about anyone"
        )
    ]
    assert "하늘" not in result.err
    missing = _refused(home, "match", "--terms-file", str(tmp_path / "nope.txt"), stdin="x")
    assert "no file" in missing
