"""How emails and usernames are compared: Unicode-normalised, case-folded, nothing invisible.

Two names that look alike must not make two accounts: fullwidth `admin` (U+FF41...) is `admin`,
a decomposed `é` (e + U+0301) is the composed one, and characters that do not show (zero-width
spaces, joiners, direction overrides, controls) are refused rather than quietly kept.
"""

from __future__ import annotations

import unicodedata

# Character classes that never belong in a name a person reads: controls (Cc), format
# characters such as zero-width spaces and bidirectional overrides (Cf), surrogates (Cs),
# private use (Co), unassigned code points (Cn), and line or paragraph separators.
INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
# Letters and marks that draw nothing (Hangul fillers, braille blank, grapheme joiner).
INVISIBLE_CHARACTERS = frozenset("\u034f\u115f\u1160\u2800\u3164\uffa0")
# Case folding keeps the Turkish dotless i (U+0131) and dotted I (U+0130) apart from i;
# here they are the same.
_TURKISH_I = str.maketrans({"\u0131": "i", "\u0130": "I"})


def has_invisible(value: str) -> bool:
    """Tell whether a name holds a control, format, invisible or unassigned character."""
    return any(
        ch in INVISIBLE_CHARACTERS
        or unicodedata.category(ch) in INVISIBLE_CATEGORIES
        or (ch.isspace() and ch != " ")
        for ch in value
    )


def display_form(value: str) -> str:
    """Return a name as it is shown and stored: NFKC-normalised, trimmed."""
    return unicodedata.normalize("NFKC", value).strip()


def identity_key(value: str) -> str:
    """Return the key under which a name is unique and found: NFKC, case-folded, NFKC again.

    Folding can undo normalisation (U+01F0 folds to j + a combining caron), hence the second
    pass; the Turkish i's are folded to i first.
    """
    folded = display_form(value).translate(_TURKISH_I).casefold()
    return unicodedata.normalize("NFKC", folded)
