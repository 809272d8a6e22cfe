"""Text catalogues: every string a person sees comes from data/i18n/<lang>.json.

A sentence about a number of things has a key per CLDR plural category beside its usual one:
'count.rows.one' and 'count.rows.other', or 'tracker.in_view' with 'tracker.in_view.one' for one."""
from __future__ import annotations

import json
import numbers
from functools import cache

from babel import Locale

from . import formats, negotiation
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
    language with a catalogue that its Accept-Language weighs highest, else otherwise (Albanian by
    default)."""
    if asked in LANGUAGES:
        return asked
    return _spoken(accept_language) or otherwise or LANGUAGES[0]


def _spoken(accept_language: str) -> str | None:
    """Of the languages with a catalogue, the one a browser's preferences ('en-GB', 'sq, en;q=0.8', or a
    whole Accept-Language header) weigh highest, by its primary tag ('en-GB' is English); None when
    they name none of them, or only with a weight of 0."""
    for tag in negotiation.by_preference(accept_language):
        code = tag.split("-")[0]
        if code in LANGUAGES:
            return code
    return None
