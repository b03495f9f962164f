"""Latin-script views: romanized names, handles, and words mixing Hangul with Latin (홍gil동).

Latin tokens are keyed in bulk (C-level string operations on all tokens joined by NUL) and scanned with one
automaton; a hit counts only if it starts and ends on token edges, so `Hong Kong` never yields `Hong Kil...`.
Tokens join only across spaces, hyphens, dots, apostrophes or underscores (Gil-dong, Hong.Gildong).
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from itertools import accumulate, compress, pairwise

from matching import patterns
from matching.candidate import Candidate
from matching.index import Index
from matching.judge import particle_run
from matching.romanize import roman_key, romanize
from matching.terms import Term
from matching.variants import handle_key, handle_parts
from matching.views import Page

_JOIN = re.compile(r"[\s\-.'·_]{1,3}")
_HANDLE_TOKEN = re.compile(r"(@?[a-z0-9](?:[a-z0-9@]|[._\-](?=[a-z0-9]))*)")
# Whitespace that may split a handle (c a n a r y, minji kim): short, so a paragraph break still separates.
_SPACED_GAP = re.compile(r"[^\S\n]{1,3}|[^\S\n]{0,2}[._\-][^\S\n]{0,2}|\n")
_LEADING_AT = re.compile(r"(?:^|(?<=\x00))@")
_HANDLE_SEPARATORS = str.maketrans("", "", "._-")
_LEET = str.maketrans("01l|345$7@", "oiiieassta")
_LEET_CHARS = frozenset("01345$7@|")
_GLUE_LEET = bytes.maketrans(b"01l|345$7@", b"oiiieassta")  # _LEET on bytes
_GLUE_DROP = bytes(b for b in range(256) if b >= 128 or chr(b).isspace() or chr(b) in "._-")
_SURNAME_ENTRY = patterns.pack(0, patterns.SURNAME)  # the one entry every bare-surname pattern carries
# Where the script changes inside a word (홍|gil|동); found with a fixed-width look-ahead, so in linear time.
# The same switches as two single-class searches (an alternation is scanned several times slower).
_LATIN_BEFORE_HANGUL = re.compile(r"[a-z](?=[\uac00-\ud7a3])")
_LATIN_AFTER_HANGUL = re.compile(r"[a-z](?<=[\uac00-\ud7a3][a-z])")
_MIXED_LETTERS = re.compile(r"[\uac00-\ud7a3a-z]")
LONGEST_MIXED = 40  # far longer than any romanized name with particles


@dataclass(frozen=True, slots=True)
class SurnameHit:
    """A bare romanized surname (Hong, Kim) at clean-text positions [start, end): resolved later, and only if
    another term of a case is near (they are frequent in English text, so nothing is computed for them
    here)."""

    start: int
    end: int
    key: str


def _allowed(term: Term, allowed: set[int] | None) -> bool:
    return allowed is None or term.case_id in allowed


def _tokens(pattern: re.Pattern[str], text: str) -> tuple[list[str], list[str], list[int]]:
    """Tokens matched by `pattern` (one capturing group), the gaps between them and each token's start."""
    pieces = pattern.split(text)
    bounds = list(accumulate(map(len, pieces), initial=0))
    return pieces[1::2], pieces[2:-1:2], bounds[1:-1:2]


def roman_candidates(
    view: Page, index: Index, allowed: set[int] | None, *, exhaustive: bool = False
) -> tuple[list[Candidate], list[SurnameHit]]:
    """Romanized names and Latin-script terms; `exhaustive` keys every token (no pre-filter)."""
    tokens, gaps, token_starts = view.latin_runs
    if not tokens or not len(index.roman):
        return [], []
    keys = roman_key("\x00".join(tokens)).split("\x00")
    if exhaustive:
        kept = list(range(len(keys)))
    else:
        # A hit starts on a token whose key begins a pattern: without one on the page nothing can be found.
        starters = set(filter(index.roman.automaton.match, set(keys)))
        kept = _joined_runs_with(starters, keys, gaps, index.roman.automaton.exists) if starters else []
        if not kept:
            return [], []
    # Tokens join across short spacing (Gil-dong, Hong Gildong); anything else puts a barrier between them.
    parts = [keys[kept[0]]]
    for before, number in pairwise(kept):
        parts += (_barrier(gaps[before]) if number == before + 1 else "|", keys[number])
    bounds = list(accumulate(map(len, parts), initial=0))
    starts = dict(zip(bounds[0::2], kept))
    ends = dict(zip(bounds[1::2], kept))
    candidates: list[Candidate] = []
    surnames: list[SurnameHit] = []
    joined = "".join(parts)
    for hit_start, hit_end, pattern in index.roman.find(joined):
        first, last = starts.get(hit_start), ends.get(hit_end)
        if first is None or last is None:
            continue
        clean_start, clean_end = token_starts[first], token_starts[last] + len(tokens[last])
        entries = index.roman.entries_of(pattern)
        if _SURNAME_ENTRY in entries:
            if first == last:
                surnames.append(SurnameHit(clean_start, clean_end, joined[hit_start:hit_end]))
            entries = tuple(e for e in entries if e != _SURNAME_ENTRY)
            if not entries:
                continue
        orig_start, orig_end = view.clean.source_span(clean_start, clean_end)
        flags = view.clean.flags_in(clean_start, clean_end)
        for entry in entries:
            role = entry & patterns.ROLE_MASK
            term = index.term(entry >> patterns.ROLE_BITS)
            if not _allowed(term, allowed):
                continue
            base = {patterns.ROMANIZATION: "romanization", patterns.LATIN_ALIAS: "alias"}.get(role, "exact")
            reason = "romanization: name in Latin letters" if role == patterns.ROMANIZATION else "latin word"
            candidates.append(Candidate(term.number, base, orig_start, orig_end, flags, "", (reason,)))
    return candidates, surnames


def _joined_runs_with(
    starters: set[str], keys: list[str], gaps: list[str], exists: Callable[[str], bool]
) -> list[int]:
    """Numbers of the tokens in runs joined without a barrier that hold a token some pattern starts with: a
    hit lies inside one such run, so the others can be left out (and their gaps never looked at)."""
    kept: set[int] = set()
    last = len(keys) - 1
    for number in compress(range(len(keys)), map(starters.__contains__, keys)):
        if number in kept:
            continue
        first = number
        while first > 0 and not _barrier(gaps[first - 1]):
            first -= 1
        end = number
        while end < last and not _barrier(gaps[end]):
            end += 1
        if first == end and not exists(keys[number]):
            continue  # a token alone: a hit would be its whole key, which no pattern is
        kept.update(range(first, end + 1))
    return sorted(kept)


def _barrier(gap: str) -> str:
    # Most gaps between Latin words of a Korean page are Korean words: too long to join, and all different.
    return "" if len(gap) <= 3 and _JOIN.fullmatch(gap) else "|"


def _may_hold_handles(view: Page, index: Index) -> bool:
    """False only if no handle key can be found in `text`: the page's ASCII with look-alikes folded and every
    whitespace, `.`, `_` and `-` dropped holds each token's key and each spaced run's joined keys (a leading @
    becomes an `a` before it), so an automaton pass over that short string that finds nothing settles it."""
    if not view.pure:
        return True  # other whitespace (U+3000...) may join a spaced handle: no short cut
    glued = view.clean.text.encode().translate(_GLUE_LEET, _GLUE_DROP).decode("ascii")
    return any(index.handles.find(glued))


def handle_candidates(
    view: Page, index: Index, allowed: set[int] | None, *, exhaustive: bool = False
) -> list[Candidate]:
    """Handles, whole or spaced; `exhaustive` skips the pre-filter."""
    text = view.clean.text
    if not len(index.handles) or not (exhaustive or _may_hold_handles(view, index)):
        return []
    tokens, gaps, token_starts = _tokens(_HANDLE_TOKEN, text)
    if not tokens:
        return []
    spans = [(start, start + len(token)) for start, token in zip(token_starts, tokens)]
    raw = "\x00".join(tokens)
    keys = _LEADING_AT.sub("", raw).translate(_LEET).translate(_HANDLE_SEPARATORS).split("\x00")
    offsets = list(accumulate((len(k) + 1 for k in keys), initial=0))
    joined = "\x00".join(keys)
    candidates: list[Candidate] = []
    for hit_start, hit_end, pattern in index.handles.find(joined):
        number = _token_at(offsets, hit_start)
        piece_range = _piece_span(
            text[spans[number][0] : spans[number][1]], hit_start - offsets[number], hit_end - offsets[number]
        )
        if piece_range is None:
            continue
        clean_start = spans[number][0] + piece_range[0]
        clean_end = spans[number][0] + piece_range[1]
        candidates += _handle_hits(view, index, allowed, pattern, clean_start, clean_end, None)
    candidates += _spaced_handles(view, index, allowed, tokens, gaps, spans, keys)
    return candidates


def _handle_hits(
    view: Page,
    index: Index,
    allowed: set[int] | None,
    pattern: int,
    clean_start: int,
    clean_end: int,
    splits: list[int] | None,
) -> list[Candidate]:
    """Candidates of every term behind a handle pattern found at clean [clean_start, clean_end).

    `splits` (spaced forms only) are the key offsets, from the hit's start, where a space split the handle
    other than between two letters spelled apart (c a n a r y has none).
    """
    text = view.clean.text
    orig_start, orig_end = view.clean.source_span(clean_start, clean_end)
    written = text[clean_start:clean_end]
    flags = view.clean.flags_in(clean_start, clean_end)
    candidates: list[Candidate] = []
    for entry in index.handles.entries_of(pattern):
        term = index.term(entry >> patterns.ROLE_BITS)
        if not _allowed(term, allowed):
            continue
        swapped = entry & patterns.ROLE_MASK == patterns.HANDLE_SWAPPED
        reasons = ["handle: separators and case ignored"]
        cap = 1.0
        spacing = ""
        needs_context = False
        if splits is not None:
            spacing = "spacing"
            if not splits:
                reasons.append("spacing: letters spelled apart")
            elif set(splits) <= _part_edges(term.text, swapped):
                reasons.append("spacing: between the handle's parts")
            else:
                # can ary: a split the handle does not have joins pieces of what may be other words.
                reasons.append("spacing: irregular")
                needs_context = True
        if any(c in _LEET_CHARS for c in written) and not any(c in _LEET_CHARS for c in term.text.lower()):
            reasons.append("handle: look-alike digits folded")
            cap = 0.9
        if swapped:
            reasons.append("handle: parts in reverse order")
            cap = 0.8
        candidates.append(
            Candidate(
                term.number,
                "handle",
                orig_start,
                orig_end,
                flags,
                spacing,
                tuple(reasons),
                needs_context,
                cap=cap,
            )
        )
    return candidates


@lru_cache(maxsize=4096)
def _part_edges(handle: str, swapped: bool) -> frozenset[int]:
    """Key offsets where one part of a handle ends and the next begins (minji_kim: {5})."""
    parts = [handle_key(part) for part in handle_parts(handle)]
    if swapped:
        parts.reverse()
    return frozenset(accumulate(len(part) for part in parts[:-1]))


def _spaced_handles(
    view: Page,
    index: Index,
    allowed: set[int] | None,
    tokens: list[str],
    gaps: list[str],
    spans: list[tuple[int, int]],
    keys: list[str],
) -> list[Candidate]:
    """Handles written across spaces: every letter apart (c a n a r y) or split between its parts (minji kim).

    Runs of tokens joined by short whitespace are keyed as one string; a hit counts only if it spans two
    tokens or more (one token is the ordinary pass's business) and starts and ends on piece edges.
    """
    # Runs of two tokens or more: the gaps that join (found with C-level calls), grouped when consecutive.
    runs: list[list[int]] = []
    for gap in compress(range(len(gaps)), map(_SPACED_GAP.fullmatch, gaps)):
        if runs and runs[-1][-1] == gap:
            runs[-1].append(gap + 1)
        else:
            runs.append([gap, gap + 1])
    candidates: list[Candidate] = []
    for run in runs:
        run_keys = [keys[number] for number in run]
        starts = list(accumulate(map(len, run_keys), initial=0))
        for hit_start, hit_end, pattern in index.handles.find("".join(run_keys)):
            first = bisect_right(starts, hit_start) - 1
            last = bisect_left(starts, hit_end) - 1
            if first >= last:
                continue
            head, tail = run[first], run[last]
            head_range = _piece_span(tokens[head], hit_start - starts[first], len(run_keys[first]))
            tail_range = _piece_span(tokens[tail], 0, hit_end - starts[last])
            if head_range is None or tail_range is None:
                continue
            # Token lengths inside the hit; a letter spelled out next to it would make it a longer word.
            pieces = [min(hit_end, starts[k + 1]) - max(hit_start, starts[k]) for k in range(first, last + 1)]
            if (pieces[0] == 1 and first > 0 and len(run_keys[first - 1]) == 1) or (
                pieces[-1] == 1 and last + 1 < len(run) and len(run_keys[last + 1]) == 1
            ):
                continue
            splits = [starts[k] - hit_start for k in range(first + 1, last + 1)]
            spelled = {s for s, before, after in zip(splits, pieces, pieces[1:]) if before == after == 1}
            candidates += _handle_hits(
                view,
                index,
                allowed,
                pattern,
                spans[head][0] + head_range[0],
                spans[tail][0] + tail_range[1],
                [s for s in splits if s not in spelled],
            )
    return candidates


def _token_at(offsets: list[int], position: int) -> int:
    low, high = 0, len(offsets) - 1
    while low < high - 1:
        middle = (low + high) // 2
        if offsets[middle] <= position:
            low = middle
        else:
            high = middle
    return low


def _piece_span(token: str, key_start: int, key_end: int) -> tuple[int, int] | None:
    """Token range of key range [key_start, key_end) if both ends fall on piece edges (start, end, or ._-)."""
    key_positions: list[int] = []
    edges = {0}
    for offset, char in enumerate(token):
        if char in "._-" or (offset == 0 and char == "@"):
            edges.add(len(key_positions))
            continue
        key_positions.append(offset)
    edges.add(len(key_positions))
    if key_start not in edges or key_end not in edges or key_end > len(key_positions):
        return None
    return key_positions[key_start], key_positions[key_end - 1] + 1


def _mixed_words(text: str) -> list[tuple[int, int]]:
    """Spans of words that mix Hangul syllables and Latin letters, each at most LONGEST_MIXED characters."""
    spans: list[tuple[int, int]] = []
    switches = sorted(
        [m.start() for m in _LATIN_BEFORE_HANGUL.finditer(text)]
        + [m.start() - 1 for m in _LATIN_AFTER_HANGUL.finditer(text)]
    )
    for position in switches:
        if spans and position < spans[-1][1]:
            continue
        start = position
        while start > 0 and position - start < LONGEST_MIXED and _MIXED_LETTERS.match(text, start - 1):
            start -= 1
        end = position + 1
        while end < len(text) and end - start < LONGEST_MIXED and _MIXED_LETTERS.match(text, end):
            end += 1
        spans.append((start, end))
    return spans


def mixed_candidates(
    view: Page, index: Index, allowed: set[int] | None, *, exhaustive: bool = False
) -> list[Candidate]:
    """Words mixing Hangul and Latin letters; `exhaustive` skips the pre-filter."""
    text = view.clean.text
    candidates: list[Candidate] = []
    if not exhaustive and not view.ascii_next_to_syllable:
        return candidates  # a mixed word has a Latin letter next to a syllable
    for start, end in _mixed_words(text):
        token = text[start:end]
        options = [(token, end)]
        for cut in range(1, 4):
            if cut < len(token) and particle_run(token[-cut:]):
                options.append((token[:-cut], end - cut))
        for written, written_end in options:
            for entry in index.roman.lookup(roman_key(romanize(written))):
                if entry & patterns.ROLE_MASK != patterns.ROMANIZATION:
                    continue
                term = index.term(entry >> patterns.ROLE_BITS)
                if not _allowed(term, allowed):
                    continue
                orig_start, orig_end = view.clean.source_span(start, written_end)
                candidates.append(
                    Candidate(
                        term.number,
                        "mixed-script",
                        orig_start,
                        orig_end,
                        view.clean.flags_in(start, written_end),
                        "",
                        ("mixed-script: Hangul and Latin in one word",),
                    )
                )
    return candidates
