"""Text catalogues: every string a person sees comes from data/i18n/<lang>.json.

A sentence about a number of things has a key per CLDR plural category beside its usual one:
'count.rows.one' and 'count.rows.other', or 'tracker.count' with 'tracker.count.one' for one."""
from __future__ import annotations

import json
import numbers
from functools import cache

from babel import Locale

from . import formats
from .settings import CATALOGUE_DIR, LANGUAGES


@cache
def catalogue(lang: str) -> dict[str, str]:
    with open(CATALOGUE_DIR / f"{lang}.json", encoding="utf-8") as handle:
        return json.load(handle)


@cache
def _locale(lang: str) -> Locale:
    return Locale.parse(lang)


def t(key: str, lang: str = "sq", **params: object) -> str:
    """The text for key in lang, with {params} filled in. A missing key shows itself, loudly.

    A count (count=1157, a whole number) chooses the sentence for its plural category (key.one,
    key.other, falling back to key) and is written as the language groups digits ('1 157'). A count
    already written out as text is refused: its category would have to be guessed back from digits."""
    lang = lang if lang in LANGUAGES else LANGUAGES[0]
    texts = catalogue(lang)
    template = texts.get(key)
    if "count" in params:
        count = _whole(params["count"])
        template = texts.get(f"{key}.{_locale(lang).plural_form(abs(count))}", template)
        params["count"] = formats.number(count, lang)
    if template is None:
        return f"⟦{key}⟧"
    return template.format(**params) if params else template


def _whole(count: object) -> int:
    if isinstance(count, numbers.Integral) and not isinstance(count, bool):
        return int(count)
    raise TypeError(f"count must be a whole number, not {count!r}: pass the number, t writes it")


def requested(asked: str, accept_language: str, otherwise: str | None = None) -> str:
    """The language an HTTP request asks for: its ?lang= when there is a catalogue for it, else the
    first language of its Accept-Language that has one, else otherwise (Albanian by default)."""
    if asked in LANGUAGES:
        return asked
    found = preferred(accept_language.split(","))
    spoken = {tag.split(";")[0].strip().lower()[:2] for tag in accept_language.split(",")}
    return found if found in spoken else (otherwise or LANGUAGES[0])


def preferred(tags: list[str]) -> str:
    """The first language of a browser's preferences ('en-GB', 'sq', 'de-DE;q=0.8') that has a
    catalogue; else the default (Albanian)."""
    for tag in tags:
        code = tag.split(";")[0].strip().lower()[:2]
        if code in LANGUAGES:
            return code
    return LANGUAGES[0]
