"""State and URL: the reader's language, the shared filters as the session and the link hold
them, and text from outside the catalogue made safe to show (escape)."""
from __future__ import annotations

import re

import streamlit as st

from .. import filters as filtering
from .. import reference, settings
from ..filters import Filters
from ..i18n import requested, t

LANG_KEY = "lang"


WIDGET_KEYS = {"municipality": "filter_municipality", "year": "filter_year", "theme": "filter_theme",
               "cycle": "filter_cycle"}


# A coordinator's choice to count only approved imports (what donors see) is in the link too, as
# submitted=0: a view without it counts submitted imports, as the toggle does by default.
INCLUDE_SUBMITTED_KEY = "include_submitted"
SUBMITTED_PARAM = "submitted"


URL_KEYS = (*WIDGET_KEYS, "lang", SUBMITTED_PARAM)


def embedded() -> bool:
    """Whether the page is shown in another site's frame (`?embed=true`): the page alone, without
    the sidebar, the navigation or the banners (README › Embedding)."""
    try:
        return bool(st.context.is_embedded)
    except (AttributeError, RuntimeError):
        return False


def lang() -> str:
    value = st.session_state.get(LANG_KEY)
    return value if value in settings.LANGUAGES else settings.LANGUAGES[0]


def tr(key: str, **params: object) -> str:
    """The catalogue text for key in the reader's language, for an element that renders Markdown
    (every st.* text element, alert, caption, label and help does): the catalogue's own Markdown
    stays, every parameter is escaped, so a value from a sheet, a file name or a link shows as typed.
    Where nothing renders Markdown (an option of a select box, a table cell) use i18n.t."""
    # A count stays a number: t picks its plural from it and writes it (digits and a separator: no Markdown).
    return t(key, lang(), **{name: value if name == "count" else escape(value) for name, value in params.items()})


def term(vocabulary: str, key: str) -> str:
    return reference.term_label(vocabulary, key, lang())


# What Markdown would read as syntax: links, images, HTML, formatting, lists, tables, math, entities.
_MARKDOWN_SYNTAX = frozenset("\\`*_{}[]<>()#+-.!|~:$&")


# Streamlit turns http://..., www...., a@b.c, :material/...: icons and :emoji: into links and icons
# after it has read the escapes; an invisible word joiner after ':' and '@' and before the '.' of
# 'www.' stops that (checked in Chromium: no link, image, icon or colour; the text reads as typed).
_WORD_JOINER = "\u2060"


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def escape(text: object) -> str:
    """Text from outside the catalogue (a sheet, a file name, a link, the database) for an element
    that renders Markdown, shown as typed: never a link, an image, an HTML tag, an icon, a colour or
    formatting. Line breaks and other control characters become spaces."""
    plain = _CONTROL.sub(" ", str(text))
    out = []
    for position, ch in enumerate(plain):
        if ch == "." and plain[max(0, position - 3):position].casefold() == "www":
            out.append(_WORD_JOINER)
        out.append("\\" + ch if ch in _MARKDOWN_SYNTAX else ch)
        if ch in ":@":
            out.append(_WORD_JOINER)
    return "".join(out)


def language_choice() -> None:
    st.radio(t("app.language", lang()), settings.LANGUAGES, key=LANG_KEY, horizontal=True, persist_state="session",
             format_func=lambda code: t(f"lang.{code}", code))


def start() -> None:
    """Once per session: take language and filters from the URL; a bad value becomes a note."""
    if st.session_state.get("_started"):
        return
    st.session_state["_started"] = True
    params = st.query_params
    chosen, rejected = filtering.resolve_lenient(**{k: params.get_all(k) for k in WIDGET_KEYS})
    notes = [(u.kind, u.value, u.suggestion) for u in rejected]
    asked = [v.strip().lower() for v in params.get_all("lang") for v in v.split(",") if v.strip()]
    if asked and asked[-1] in settings.LANGUAGES:
        st.session_state[LANG_KEY] = asked[-1]
    else:  # a link that names no language (or one we do not have) opens in the one the browser prefers
        st.session_state[LANG_KEY] = requested("", _browser_locale())
        notes += [("lang", value, None) for value in asked[-1:]]
    set_filters(chosen)
    st.session_state[INCLUDE_SUBMITTED_KEY] = params.get(SUBMITTED_PARAM) != "0"
    st.session_state["_url_filters"] = chosen
    st.session_state["_url_notes"] = notes


def _browser_locale() -> str:
    """The language the browser tells the page it shows ('en-GB', navigator.language)."""
    try:
        locale = st.context.locale
    except (AttributeError, RuntimeError):
        return ""
    return locale if isinstance(locale, str) else ""


def set_filters(chosen: Filters) -> None:
    """The shared filters' widgets hold chosen (before they are drawn: at a session's start, in a callback)."""
    st.session_state[WIDGET_KEYS["municipality"]] = list(chosen.municipality)
    st.session_state[WIDGET_KEYS["year"]] = list(chosen.year)
    st.session_state[WIDGET_KEYS["theme"]] = list(chosen.theme)
    st.session_state[WIDGET_KEYS["cycle"]] = chosen.cycle or ""


def reset_filters() -> None:
    """The filter button's callback: every filter back to all."""
    set_filters(Filters())


def current_filters() -> Filters:
    state = st.session_state
    return Filters(municipality=tuple(state.get(WIDGET_KEYS["municipality"]) or ()),
                   year=tuple(sorted(state.get(WIDGET_KEYS["year"]) or ())),
                   theme=tuple(state.get(WIDGET_KEYS["theme"]) or ()),
                   cycle=state.get(WIDGET_KEYS["cycle"]) or None)


def sync_link() -> Filters:
    """The URL says the filters; what the link named that could not be read is said once on the page."""
    chosen = current_filters()
    _write_url(chosen)
    if st.session_state.get("_url_notes"):
        if chosen != st.session_state.get("_url_filters"):
            st.session_state["_url_notes"] = []
        for note in st.session_state["_url_notes"]:
            st.warning(_url_note(*note), icon=":material/link_off:")
    return chosen


def _url_note(kind: str, value: str, suggestion: str | None) -> str:
    text = tr(f"url.ignored.{kind}", value=value)
    if suggestion and kind in ("municipality", "theme"):
        text += " " + tr("url.did_you_mean", suggestion=filtering.suggestion_label(kind, suggestion, lang()))
    return text


def _write_url(chosen: Filters) -> None:
    wanted = {**filtering.to_query(chosen), "lang": lang()}
    if st.session_state.get(INCLUDE_SUBMITTED_KEY) is False:
        wanted[SUBMITTED_PARAM] = "0"
    for key in URL_KEYS:
        if key in wanted:
            if st.query_params.get_all(key) != [wanted[key]]:
                st.query_params[key] = wanted[key]
        elif key in st.query_params:
            del st.query_params[key]
