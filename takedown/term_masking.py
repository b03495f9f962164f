"""Masking watch terms in text that leaves jikimi (exports, drafts) unless an advocate opts in.

A title or snippet names the victim as the page wrote it; the takedown team needs the URL, not the
name. Every span the matcher attributes to one of the case's terms (every disguise it knows, weak
ones such as spaced 초성 even without the second signal a match would need) and every literal
occurrence of a term is replaced by a mask of the same shape.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from matching import Matcher, TermSpec
from storage.cases import TermView, usable_terms

MASK_CHAR = "●"


def mask_spans(text: str, spans: Iterable[tuple[int, int]]) -> str:
    chars = list(text)
    for start, end in spans:
        for i in range(max(0, start), min(len(chars), end)):
            if not chars[i].isspace():
                chars[i] = MASK_CHAR
    return "".join(chars)


class TermMasker:
    """Built once per export from the terms of the cases it covers."""

    def __init__(self, terms: Sequence[TermView]) -> None:
        # A stored term the matcher cannot compile (`...`) is left out, not allowed to stop the export.
        terms, _skipped = usable_terms(terms)
        specs = [
            TermSpec(case_id=t.case_id, term_id=t.id, text=t.text, kind=t.kind, context=t.context)
            for t in terms
        ]
        self._matcher = Matcher.build(specs) if specs else None
        words = sorted({w for t in terms for w in (t.text, *t.context) if w.strip()}, key=len, reverse=True)
        self._literal = re.compile("|".join(re.escape(w) for w in words), re.IGNORECASE) if words else None

    def spans(self, text: str, case_id: int) -> list[tuple[int, int]]:
        """Where the case's terms (disguised spellings too) and their literal words are in `text`."""
        spans: list[tuple[int, int]] = []
        if self._matcher is not None:
            spans += self._matcher.spans_to_mask(text, case_ids={case_id})
        if self._literal is not None:
            spans += [(m.start(), m.end()) for m in self._literal.finditer(text)]
        return spans

    def __call__(self, text: str | None, case_id: int) -> str | None:
        if not text:
            return text
        spans = self.spans(text, case_id)
        return mask_spans(text, spans) if spans else text
