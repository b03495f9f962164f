"""Turn an engine's title or snippet (hit markup, entities, stray tags) into plain, single-spaced text."""

from __future__ import annotations

import html
import re

# Hit and emphasis markup sits inside words ("<b>홍길동</b>이"): removing it must not split the word,
# or a name followed by a particle would stop matching. Every other tag is a word break.
_INLINE_TAG = re.compile(r"</?(?:b|strong|em|i|u|mark|span|font)(?:\s[^<>]*)?/?>", re.IGNORECASE)
# A tag starts with a letter (or "/" and a letter), so text such as "a < b" or "<3" survives.
_OTHER_TAG = re.compile(r"<!--.*?-->|</?[A-Za-z][^<>]*>", re.DOTALL)
# Engines sometimes escape twice ("&amp;quot;"); three rounds cover that and stop at a fixed point.
_MAX_ROUNDS = 3


def clean_text(value: object) -> str:
    """Plain text of an engine's title or snippet; anything that is not a string gives ""."""
    if not isinstance(value, str):
        return ""
    text = value
    for _ in range(_MAX_ROUNDS):
        stripped = _OTHER_TAG.sub(" ", _INLINE_TAG.sub("", text))
        unescaped = html.unescape(stripped)
        if unescaped == text:
            break
        text = unescaped
    # str.split() also breaks on NBSP and the ideographic space, which Korean pages use.
    return " ".join(text.split())


def is_web_url(value: object) -> bool:
    """Whether a result link is something an advocate can open (http or https, with a host)."""
    if not isinstance(value, str):
        return False
    lowered = value.strip().lower()
    return lowered.startswith(("http://", "https://")) and len(lowered.split("/", 3)[2]) > 0
