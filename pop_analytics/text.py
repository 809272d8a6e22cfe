"""Folding text so that case, diacritics, stray spaces and hyphens never matter."""
from __future__ import annotations

import re
import unicodedata

_SEPARATORS = re.compile(r"[\s\-–—_/.,:;'’\"“”()*]+")


def fold(value: object) -> str:
    """'  TIRANË-' → 'tirane'; 'Vau-Dejës' → 'vau dejes'. Used as a lookup key, never shown."""
    text = unicodedata.normalize("NFKD", str(value)).casefold()
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return _SEPARATORS.sub(" ", text).strip()
