"""Korean-aware watch-term matching: pure functions, no I/O.

    from matching import TermSpec, Matcher
    matcher = Matcher.build([TermSpec(case_id=1, term_id=1, text="홍길동")])
    for match in matcher.scan("홍 길 동 합성"):
        print(match.variant, match.start, match.end, match.confidence)
"""

from __future__ import annotations

from matching.matcher import Match, Matcher
from matching.snippet import snippet_around
from matching.terms import TermSpec, TermSpecError

__all__ = ["Match", "Matcher", "TermSpec", "TermSpecError", "snippet_around"]
