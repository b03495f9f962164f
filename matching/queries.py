"""Search-engine queries for a term: what is worth typing into Naver or Brave to find its exposures."""

from __future__ import annotations

from matching.romanize import display_names
from matching.terms import TermSpec, compact, is_hangul_word, surname_length
from matching.variants import school_abbreviations


def search_queries(spec: TermSpec) -> list[tuple[str, str]]:
    """(variant kind, query) pairs, best first, without duplicates (case-insensitive).

    Disguised forms (초성, respellings) are not queries: engines normalise or ignore them, and sending them
    would only spend quota.
    """
    text = " ".join(spec.text.split())
    result: list[tuple[str, str]] = [("handle" if spec.kind == "handle" else "exact", text)]
    if spec.kind == "handle":
        result.append(("handle", "@" + text.lstrip("@")))
    result += [("alias", " ".join(a.split())) for a in spec.aliases]
    key = compact(spec.text)
    if spec.kind == "keyword":
        for form in [key, *(compact(a) for a in spec.aliases)]:
            result += [("alias", short) for short in school_abbreviations(form)]
    if spec.kind == "name" and 2 <= len(key) <= 5 and is_hangul_word(key):
        result += [("romanization", r) for r in display_names(key, surname_length(key))]
    seen: set[str] = set()
    unique: list[tuple[str, str]] = []
    for kind, query in result:
        if query and query.lower() not in seen:
            seen.add(query.lower())
            unique.append((kind, query))
    return unique
