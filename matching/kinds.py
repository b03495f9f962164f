"""Names and weights shared by every stage: clean-up flags, variant kinds and their starting confidences."""

from __future__ import annotations

# Flags carried by a normalisation edit, so a match can say which disguises it undid.
INVISIBLE = 1
WIDTH = 2
HALFWIDTH = 4
JAMO = 8
HANJA = 16
LOOKALIKE = 32
QWERTY = 64
HOMOGLYPH = 128  # a letter of another script imitating a Latin one (Cyrillic а in cаnаry)

FLAG_VARIANTS = (
    (QWERTY, "qwerty"),
    (LOOKALIKE, "lookalike"),
    (HANJA, "hanja"),
    (HOMOGLYPH, "homoglyph"),
    (HALFWIDTH, "halfwidth-jamo"),
    (JAMO, "jamo"),
    (WIDTH, "fullwidth"),
    (INVISIBLE, "invisible"),
)

# Starting points from the reference table; a variant found without context never rises above its weight.
WEIGHTS = {
    "exact": 1.0,
    "particle": 1.0,
    "alias": 1.0,
    "invisible": 1.0,
    "fullwidth": 1.0,
    "handle": 1.0,
    "spacing": 0.9,
    "separators": 0.9,
    "jamo": 0.9,
    "halfwidth-jamo": 0.9,
    "qwerty": 0.9,
    # Deliberate (nobody types a Cyrillic а inside a Latin word by accident) and one letter for one.
    "homoglyph": 0.9,
    "hanja": 0.8,
    "lookalike": 0.7,
    "romanization": 0.7,
    "mixed-script": 0.6,
    "respelled": 0.5,
    "elongation": 0.5,
    "partial-chosung": 0.4,
    "mask": 0.3,
    "anagram": 0.3,
    "romanized-surname": 0.2,
    "chosung": 0.2,
}

WEAK_VARIANTS = frozenset({"partial-chosung", "mask", "anagram", "romanized-surname", "chosung"})

# A match at or above this confidence is worth an alert on its own.
HIGH_LEVEL = 0.6

TERM_KINDS = ("name", "alias", "handle", "keyword")

# Gap kinds between two characters of a compact view.
GAP_NONE = 0
GAP_SPACE = 1
GAP_SYMBOL = 2
GAP_EDGE = 3  # start or end of the text


def flag_variants(flags: int) -> list[str]:
    """Variant names for the clean-up flags set, most telling first."""
    if not flags:
        return []
    return [name for bit, name in FLAG_VARIANTS if flags & bit]
