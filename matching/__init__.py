"""Korean-aware watch-term matching: pure functions, no I/O.

    from matching import Matcher, TermSpec, snippet_around
    matcher = Matcher.build([TermSpec(case_id=1, term_id=1, text="홍길동")])   # once per change of terms
    for match in matcher.scan("홍 길 동 합성"):                                 # per page or snippet
        print(match.variant, match.start, match.end, match.confidence, match.level)

How it works (one module per step):
- `normalize`: clean view of the text (invisible characters out, compatibility folding except on jamo, jamo
  unified, Latin lower-cased) as a `textmap.Layer` that maps every character back to the original.
- `regions` cuts the page into words with C-level calls; `views`: the compact view (separators removed, gaps
  remembered) answered from those words, `windows`: short views rebuilt per character where needed (jamo
  recomposition, look-alikes, Hanja readings, QWERTY typing, masks).
- Clean text should cost little more than one automaton pass: every view runs behind a cheap pre-filter that
  is a superset of where it can match (no jamo or Han, no view for them; no Latin letter next to a syllable,
  no mixed-script word...). `Matcher.reference_scan` runs every view unfiltered, and the tests hold `scan`
  to it.
- `index`: every variant of every term of every case compiled once into a few Aho-Corasick automata
  (`patterns`) plus small dictionaries; scanning never loops over terms.
- `scan`: runs the automata over the views; `judge` applies the boundary rules; `latin` handles romanizations,
  handles and mixed-script words; `weak` finds 초성 and masks only near a second signal (anagrams are
  reordered names in the main automaton, weak like them).
- `matcher`: weighs context and exclusions, scores each match (`candidate`, weights in `kinds`), keeps the
  best per (case, term, span).
"""

from __future__ import annotations

from matching.matcher import Match, Matcher
from matching.snippet import snippet_around
from matching.terms import TermSpec, TermSpecError

__all__ = ["Match", "Matcher", "TermSpec", "TermSpecError", "snippet_around"]
