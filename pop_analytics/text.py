"""Folding text so that case, diacritics, stray spaces and hyphens never matter."""
from __future__ import annotations

import functools
import re
import unicodedata

import numpy as np
import pandas as pd

from . import settings

_SEPARATORS = re.compile(r"[\s\-–—_/.,:;'’\"“”()*]+")


def folded(values: pd.Series) -> pd.Series:
    """fold of each value, worked out once per distinct value (a sort key over 20,000 priorities that
    name 61 municipalities) and kept for the next sort (the same codes at every rerun); a missing
    value is folded as itself."""
    codes, distinct = pd.factorize(values)
    keys = np.array([*(_kept_fold(value) for value in distinct), ""], dtype=object)[codes]  # -1: missing
    missing = codes == -1
    keys[missing] = [fold(value) for value in values[missing]]
    return pd.Series(keys, index=values.index, dtype=object)


@functools.lru_cache(maxsize=settings.FOLDS_KEPT, typed=True)  # typed: 1, 1.0 and True fold apart
def _kept_fold(value: object) -> str:
    return fold(value)


def fold(value: object) -> str:
    """'  TIRANË-' → 'tirane'; 'Vau-Dejës' → 'vau dejes'. Used as a lookup key, never shown."""
    text = unicodedata.normalize("NFKD", str(value)).casefold()
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return _SEPARATORS.sub(" ", text).strip()
