"""How sure jikimi is that an exposure is the case's person: a score (0-100), a tier and the reasons in words.

Pure: no database, no I/O. `storage.triage` gathers an exposure's `Signals` from its rows and stores the
`Assessment`; the command line, the exports and the web console read `score`, `tier` and `reasons` from there.

Why these signals (see the Korean matching reference): a name alone is weak evidence (most Korean full names
are shared by dozens of people), so an exposure needs a second signal to rise above `weak`: the case's other
terms or context words (the school) or an exploitation keyword in the same text, a watched target (a
registered channel or forum is itself a strong prior), or being a re-upload of content already taken down. A
handle is unique to its owner and counts on its own. How the term was written (exact, spaced, respelled...)
sets the base; where it was seen (read on the page, in a search snippet, or only the engine's say-so) and how
many sources saw it adjust it. Engine-only hits and low-level respellings without a second signal stay `weak`
whatever else they have.

Score bands and tiers agree: `strong` >= 75, `likely` 40-74, `weak` < 40; a rule that makes an exposure weak
also scales its score below 40, so sorting by score never puts a weak one above a likely one.
"""

from __future__ import annotations

from dataclasses import dataclass

TIERS = ("strong", "likely", "weak")
STRONG_AT = 75
LIKELY_AT = 40
WEAK_CAP = LIKELY_AT - 1

# Sighting sources that are watched targets (registered pages and Telegram channels), and the page check of a
# search result; every other source is a search engine.
WATCHED_SOURCES = frozenset({"pages", "telegram"})
VERIFY_SOURCE = "verify"

# Context kinds as the matcher reports them (`matching.Match.context`).
CASE_CONTEXT = "case"
KEYWORD_CONTEXT = "keyword"
GENERIC_CONTEXT = "generic"

# Points. The match itself gives up to 50 (its confidence x 50); a second signal is worth about as much again.
MATCH_POINTS = 50
UNKNOWN_MATCH_POINTS = 30
ENGINE_ONLY_POINTS = 10
HANDLE_POINTS = 10
CASE_CONTEXT_POINTS = 15
KEYWORD_POINTS = 20
GENERIC_POINTS = 8
PAGE_POINTS = 10
WATCHED_POINTS = 25
REUPLOAD_POINTS = 20
PER_EXTRA_SOURCE = 2
MAX_SOURCE_POINTS = 6
UNCONFIRMED_PENALTY = 10

_VARIANT_WORDS = {
    "exact": "written exactly as registered",
    "particle": "written exactly, followed by a particle",
    "alias": "a registered alias",
    "handle": "the registered handle",
    "invisible": "written with invisible characters inside",
    "fullwidth": "written in full-width or styled letters",
    "spacing": "written with spaces between the syllables",
    "separators": "written with symbols between the syllables",
    "jamo": "spelled out in separate letters (jamo)",
    "halfwidth-jamo": "spelled out in half-width letters",
    "qwerty": "typed with the keyboard in English mode",
    "hanja": "written in Hanja",
    "lookalike": "written with look-alike characters",
    "romanization": "romanized",
    "mixed-script": "written in mixed Hangul and Latin",
    "respelled": "respelled, one letter off (could be another person)",
    "elongation": "one syllable stretched out",
    "partial-chosung": "partly initial consonants only",
    "mask": "partly masked",
    "anagram": "its syllables shuffled",
    "romanized-surname": "only the romanized surname",
    "chosung": "initial consonants only",
}


@dataclass(frozen=True)
class Signals:
    """What is known about one exposure, all of it explainable.

    `seen`: `page` (the term was read on the page itself), `snippet` (in a search result's title or
    snippet) or `engine` (the engine returned it for the term, the text did not show it). `match_confidence`
    and `level` are the matcher's (None for engine-only hits). `context` is the set of context kinds found in
    the same text. `search_sources` counts distinct search engines; `watched` is true when a registered target
    showed it; `verified` when a page check found the term, `unconfirmed` when one read the page and did not.
    """

    seen: str
    variant: str | None = None
    match_confidence: float | None = None
    level: str | None = None
    term_kind: str | None = None
    context: frozenset[str] = frozenset()
    search_sources: int = 0
    watched: bool = False
    verified: bool = False
    unconfirmed: bool = False
    reupload: bool = False


@dataclass(frozen=True)
class Assessment:
    score: int
    tier: str
    reasons: tuple[str, ...]


def tier_of(score: int) -> str:
    if score >= STRONG_AT:
        return "strong"
    return "likely" if score >= LIKELY_AT else "weak"


def assess(signals: Signals) -> Assessment:
    """The score, tier and reasons of one exposure; the same signals always give the same answer."""
    reasons: list[str] = []
    points = 0
    engine_only = signals.seen == "engine"
    if engine_only:
        points += ENGINE_ONLY_POINTS
        reasons.append("search engine only: the result's text does not show the term")
    elif signals.match_confidence is None:
        # Recorded before matches were described (or by a caller that did not say): seen, but how is unknown.
        points += UNKNOWN_MATCH_POINTS
        reasons.append("term seen in the text (how it was written was not recorded)")
    else:
        confidence = max(0.0, min(1.0, signals.match_confidence or 0.0))
        points += round(confidence * MATCH_POINTS)
        words = _VARIANT_WORDS.get(signals.variant or "", f"written as {signals.variant or 'unknown'}")
        reasons.append(f"term {words} (match level {signals.level or 'unknown'})")
        if signals.term_kind == "handle":
            points += HANDLE_POINTS
            reasons.append("a handle is specific to one account")
    case_context = CASE_CONTEXT in signals.context
    keyword = KEYWORD_CONTEXT in signals.context
    generic = GENERIC_CONTEXT in signals.context
    if case_context:
        points += CASE_CONTEXT_POINTS
        reasons.append("another term or context word of the case (e.g. the school) in the same text")
    if keyword:
        points += KEYWORD_POINTS
        reasons.append("an exploitation keyword in the same text")
    elif generic:
        points += GENERIC_POINTS
        reasons.append("a common word often used in abuse posts in the same text (weak on its own)")
    if signals.watched:
        points += WATCHED_POINTS
        reasons.append("found on a watched channel or page the advocate registered")
    if signals.seen == "page":
        points += PAGE_POINTS
        reasons.append("verified on the page itself" if signals.verified else "read on the page itself")
    elif signals.seen == "snippet":
        reasons.append("seen in a search result's title or snippet (page not read)")
    if signals.unconfirmed and not signals.verified:
        points -= UNCONFIRMED_PENALTY
        reasons.append("the page was read and did not show the term")
    if signals.search_sources > 1:
        points += min(MAX_SOURCE_POINTS, PER_EXTRA_SOURCE * (signals.search_sources - 1))
        reasons.append(f"seen by {signals.search_sources} search engines")
    if signals.reupload:
        points += REUPLOAD_POINTS
        reasons.append("re-upload of an exposure that was taken down")
    points = max(0, min(100, points))

    second_signal = case_context or keyword or signals.watched or signals.reupload
    cap_reason = None
    if engine_only:
        cap_reason = "weak: no text shows the term" + (
            " and the page did not confirm it" if signals.unconfirmed else ""
        )
    elif signals.level != "high" and not second_signal:
        cap_reason = "weak: a low-level match with no second signal (could be a namesake)"
    elif signals.term_kind == "keyword" and not case_context:
        cap_reason = "weak: only a keyword term of the case, not the person"
    elif signals.term_kind != "handle" and not second_signal:
        cap_reason = "weak: a name alone, with no school, handle, keyword or watched source beside it"
    if cap_reason is not None:
        # Scaled rather than clipped, so weak exposures keep their order among themselves.
        points = min(WEAK_CAP, round(points * WEAK_CAP / 100))
        reasons.append(cap_reason)
    return Assessment(points, tier_of(points), tuple(reasons))


__all__ = ["TIERS", "Assessment", "Signals", "assess", "tier_of"]
