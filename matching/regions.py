"""A page's words, cut at every separator character with C-level calls.

The compact view (separators removed) is what finds spaced names (홍 길 동), but building its edit layer with
the Unicode-aware regex costs more than the automaton pass itself. In text of ASCII and Hangul syllables only
(most Korean pages) the separators are the ASCII characters other than letters and digits, which a byte table
finds; other text goes through the regex. The pieces joined are the compact view's text, and their running
lengths are all `views.WordsView` needs to map positions back and tell what separated two characters.
"""

from __future__ import annotations

import re

from matching.views import NOT_PURE

# In text made of ASCII and Hangul syllables only (`Page.pure`), the separators are exactly the ASCII
# characters other than letters and digits, which a byte table finds many times faster than the regex.
_ASCII_SEPARATORS = bytes(
    b if chr(b).isascii() and chr(b).isalnum() else ord(" ") for b in range(128)
) + bytes(range(128, 256))
_SEPARATOR_CHAR = re.compile(r"[\W_]")  # the compact view's separators (views.SEPARATOR_SPLIT), one by one


def word_pieces(text: str, pure: bool | None = None) -> list[str]:
    """The words of clean `text` with one piece per separator character (an empty piece between two
    separators): piece k starts at the sum of the earlier pieces' lengths plus k. `pure`: whether the text is
    ASCII and Hangul syllables only, if known."""
    if pure if pure is not None else NOT_PURE.search(text) is None:
        return text.encode().translate(_ASCII_SEPARATORS).decode().split(" ")
    return _SEPARATOR_CHAR.sub(" ", text).split(" ")
