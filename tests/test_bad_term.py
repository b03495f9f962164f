"""One unusable term in the database (an older version, a direct SQL edit) never stops a pass.

`term add` refuses a term that is empty after the matcher's clean-up; this is the other half: such a
row already in the database is skipped with a named reason in the run report, and every other term
and case is still crawled, matched and exported.
"""

from __future__ import annotations

import csv
import io
import json

from sandbox.server import SandboxServer
from tests.support.home import JikimiHome
from tests.support.pages import add_target, exposures, home_store, page_config

BAD_TERMS = ("...", ".*", "!!!")


def insert_raw_term(home: JikimiHome, case_id: int, text: str) -> int:
    """A term row written straight into the database, past every check `term add` makes."""
    from storage.models import Case, Term

    store = home_store(home)
    try:
        with store.session() as session:
            case = session.get(Case, case_id)
            assert case is not None
            cipher = store.crypto.for_case(case.key_id)
            term = Term(
                case_id=case_id,
                kind="name",
                term_ct=cipher.encrypt(text),
                term_idx=store.crypto.index("term", text),
                active=True,
            )
            session.add(term)
            session.flush()
            return int(term.id)
    finally:
        store.close()


def test_a_bad_term_in_the_database_is_skipped_and_everything_else_runs(
    home: JikimiHome, sandbox: SandboxServer, tmp_path: object
) -> None:
    sb = sandbox
    home.write_config(
        page_config(sb, extra=f'[sources.searxng]\nbase_url = "{sb.base_url("searxng")}"\nmax_pages = 1\n')
    )
    home.ok("init")
    first = int(home.ok("case", "add", "--label", "첫 사례", "--consent", "fictional, test").strip())
    second = int(home.ok("case", "add", "--label", "둘째 사례", "--consent", "fictional, test").strip())
    home.ok("term", "add", str(first), "홍길동", "--kind", "name")
    home.ok("term", "add", str(second), "가나다고", "--kind", "keyword")
    bad = {text: insert_raw_term(home, first if i % 2 else second, text) for i, text in enumerate(BAD_TERMS)}
    add_target(home, sb.url + "/web/forum/1")

    result = home.cli("run", "--json")
    summary = json.loads(result.out)
    # Degraded, not failed: the pass did its work, and says what it left out.
    assert result.code == 3, (result.code, result.err[-2000:])
    sources = summary["sources"]
    assert sources["searxng"]["outcome"] == "ok", sources
    assert sources["pages"]["outcome"] == "ok", sources
    assert sources["terms"]["outcome"] == "error"
    for term_id in bad.values():
        assert f"term {term_id}" in sources["terms"]["reason"]
    assert "empty after normalisation" in sources["terms"]["reason"]
    for text in BAD_TERMS:
        assert text not in result.out + result.err

    found = exposures(home)
    assert {e["case_id"] for e in found} == {first, second}, "both cases were searched and matched"
    assert any("pages" in e["sources"] for e in found), found

    status = home.cli("status", "--json")
    assert status.code == 0, status.err

    out = home.cli("export", "--format", "csv", "--output", f"{tmp_path}/x.csv")
    assert out.code == 0, out.err
    with open(f"{tmp_path}/x.csv", encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(io.StringIO(handle.read())))
    assert len(rows) == len(found)
