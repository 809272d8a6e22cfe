"""The bell at the top of every page: what the signed-in person should be told now (notices), each
with a link to its exact view and a way to mark it read; the count is of the unread ones. And where
and how often those messages reach them by e-mail (messages_form)."""
from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable

import streamlit as st

from .. import filters as filtering
from .. import formats, notices, preferences, settings
from ..errors import DatabaseProblem, Refusal
from ..i18n import t
from .data import data, db
from .roles import permit, viewer
from .state import WIDGET_KEYS, embedded, escape, lang, set_filters, tr

# The bell lists at most this many notices: the rest are older, and the pages they link to show them.
SHOWN = 15


def bell() -> None:
    person = viewer()
    if person is None or person.how == "public" or embedded():
        return
    target = st.session_state.pop(FOLLOW_KEY, None)
    if target is not None:
        st.switch_page(f"app_pages/{target[0]}.py", query_params={**target[1], "lang": lang()})
    problem = st.session_state.pop("bell_outcome", None)
    if problem:
        st.toast(problem, icon=":material/block:")
    found = data(notices.bell, person, dt.date.today())
    unread = [n for n, read in found if not read]  # all of them count; the newest are listed
    label = tr("bell.label", count=len(unread))
    with st.container(horizontal=True, horizontal_alignment="right", key="bell"):
        # what it lists is drawn only while it is open: a page run without it costs one label
        shelf = st.popover(label if unread else tr("bell.none_label"), type="primary" if unread else "tertiary",
                           icon=":material/notifications_active:" if unread else ":material/notifications:",
                           key=SHELF_KEY, on_change="rerun")
    if shelf.open:
        with shelf:
            _listed(found[:SHOWN], unread)  # "mark all read" marks every unread one


def _listed(found: list[tuple[notices.Notice, bool]], unread: list[notices.Notice]) -> None:
    language = lang()
    if not found:
        st.caption(tr("bell.empty"))
        return
    if unread:
        st.button(tr("bell.mark_all"), key="bell_all", icon=":material/done_all:", type="tertiary",
                  on_click=mark_read, args=(tuple(n.key for n in unread),))
    for notice, read in found:
        with st.container(border=True, key=f"notice_{notice.key.replace(':', '_')}"):
            sentence = escape(notices.render(notice, language))
            st.markdown(f":gray[{sentence}]" if read else f"**{sentence}**")
            # a deadline's day, or the moment an import came or was reviewed
            when = "" if notice.at.year <= 1 else formats.date(notice.at.date(), language) \
                if notice.at.time() == dt.time() else formats.moment(notice.at, language)
            if when:
                st.caption(when)
            row = st.container(horizontal=True)
            with row:
                st.button(tr("bell.open"), key=f"bell_open_{notice.key}", icon=":material/open_in_new:",
                          type="tertiary", on_click=follow, args=(notice.page, tuple(notice.query.items())),
                          help=tr(f"page.{notice.page}.title"))
                if not read:
                    st.button(tr("bell.mark_read"), key=f"bell_read_{notice.key}", type="tertiary",
                              icon=":material/check:", on_click=mark_read, args=((notice.key,),))


FOLLOW_KEY, SHELF_KEY = "_bell_follow", "bell_open"


def follow(page: str, query: tuple[tuple[str, str], ...]) -> None:
    """A notification's Open button: the view its link names, its filters made the session's (a link
    followed inside the app would otherwise keep the filters the reader had)."""
    asked = dict(query)
    chosen, _ = filtering.resolve_lenient(**{key: [asked[key]] if key in asked else [] for key in WIDGET_KEYS})
    set_filters(chosen)
    st.session_state[FOLLOW_KEY] = (page, {k: v for k, v in asked.items() if k not in WIDGET_KEYS})
    st.session_state[SHELF_KEY] = False  # the view opens with the bell closed


def mark_read(keys: tuple[str, ...]) -> None:
    """The signed-in person read these notices (a write checked on the server like any other)."""
    try:
        person = permit("read")
        with db().writing(data=False) as con:
            notices.mark_read(con, person.name, keys)
    except (DatabaseProblem, Refusal) as problem:
        st.session_state["bell_outcome"] = escape(problem.message(lang()))


def messages_form(name: str, prefix: str, on_save: Callable[[str, str, tuple[str, ...]], None]) -> None:
    """Where name's messages go, in which language, and how often each kind comes: on the account
    page for oneself, on the Users page for anyone. Says when the installation sends no e-mail."""
    if not settings.mail_settings()["smtp_url"]:
        st.caption(f":material/mail_lock: {tr('messages.mail_off')}")
    found = data(preferences.contact, name)
    if found is None:
        return
    kinds, language = tuple(found.cadences), lang()  # the options are worded when AppTest reads them, too
    keyed = f"{prefix}_{hashlib.sha256(name.encode()).hexdigest()[:12]}"  # each user's form keeps its own values
    with st.form(key=f"{keyed}_messages", border=False):
        st.text_input(tr("messages.email"), value=found.email or "", key=f"{keyed}_email",
                      max_chars=settings.MAX_EMAIL_CHARS, placeholder="name@example.org")
        st.selectbox(tr("messages.language"), settings.LANGUAGES, key=f"{keyed}_language",
                     index=settings.LANGUAGES.index(found.language),
                     format_func=lambda code: t(f"lang.{code}", language))
        for kind, cadence in found.cadences.items():
            st.selectbox(tr(f"notice_kind.{kind}").capitalize(), settings.CADENCES, key=f"{keyed}_cadence_{kind}",
                         index=settings.CADENCES.index(cadence), format_func=lambda c: t(f"cadence.{c}", language))
        st.form_submit_button(tr("messages.save"), type="primary", icon=":material/save:", on_click=on_save,
                              args=(name, keyed, kinds))
