"""Names a planner typed that the data does not hold: the near matches to suggest.

A name is near when it reads alike (:class:`difflib.SequenceMatcher`, ignoring case), or when one
name holds the other or they share a word: "les Escaldes" and "Engordany" for
"Escaldes-Engordany", "东城" for "东城区". Used by the messages for an unknown origin
(``access.origins``) and an unknown unit (``area.admin_units``).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable

#: Lowest similarity of a suggestion (SequenceMatcher ratio, plus :data:`SHARED_WORD_BONUS`).
NEAR_CUTOFF = 0.6
#: Added to the similarity when one name contains the other or they share a word of three
#: letters or more ("Escaldes"), which difflib alone rates low for names of different length.
SHARED_WORD_BONUS = 0.3
SUGGESTIONS = 5
_WORD = re.compile(r"\w{3,}")


def _fold(name: str) -> str:
    return " ".join(name.casefold().split())


def near_matches(wanted: str, names: Iterable[str], *, n: int = SUGGESTIONS) -> list[str]:
    """Up to ``n`` of ``names`` near ``wanted``, nearest first (ties in the given order)."""
    folded = _fold(wanted)
    words = set(_WORD.findall(folded))
    scored: dict[str, float] = {}
    for name in names:
        if not isinstance(name, str) or not name.strip() or name in scored:
            continue
        other = _fold(name)
        score = difflib.SequenceMatcher(None, folded, other).ratio()
        if other and (other in folded or folded in other or words & set(_WORD.findall(other))):
            score += SHARED_WORD_BONUS
        if score >= NEAR_CUTOFF and other != folded:
            scored[name] = score
    return sorted(scored, key=lambda name: -scored[name])[:n]


def did_you_mean(wanted: str, names: Iterable[str]) -> str:
    """``" Did you mean 'a' or 'b'?"`` for the near matches of ``wanted``; ``""`` for none."""
    near = near_matches(wanted, names)
    if not near:
        return ""
    quoted = [repr(name) for name in near]
    listed = quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} or {quoted[-1]}"
    return f" Did you mean {listed}?"
