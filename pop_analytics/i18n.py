"""Text catalogues: every string a person sees comes from data/i18n/<lang>.json."""
from __future__ import annotations

import json
from functools import cache

from .settings import CATALOGUE_DIR, LANGUAGES


@cache
def catalogue(lang: str) -> dict[str, str]:
    with open(CATALOGUE_DIR / f"{lang}.json", encoding="utf-8") as handle:
        return json.load(handle)


def t(key: str, lang: str = "sq", **params: object) -> str:
    """The text for key in lang, with {params} filled in. A missing key shows itself, loudly."""
    lang = lang if lang in LANGUAGES else LANGUAGES[0]
    template = catalogue(lang).get(key)
    if _counted(params) == 1:  # '1 row', '1 rresht': a key may have its own sentence for one
        template = catalogue(lang).get(f"{key}.one", template)
    if template is None:
        return f"⟦{key}⟧"
    return template.format(**params) if params else template


def _counted(params: dict[str, object]) -> int | None:
    """The count a sentence is about (its 'count' parameter, a number or a number as written)."""
    count = params.get("count")
    if isinstance(count, int):
        return count
    digits = str(count).replace("\u00a0", "").replace(",", "").strip() if count is not None else ""
    return int(digits) if digits.isdigit() else None


def preferred(tags: list[str]) -> str:
    """The first language of a browser's preferences ('en-GB', 'sq', 'de-DE;q=0.8') that has a
    catalogue; else the default (Albanian)."""
    for tag in tags:
        code = tag.split(";")[0].strip().lower()[:2]
        if code in LANGUAGES:
            return code
    return LANGUAGES[0]
