"""The Streamlit side of the dashboard (the only part of the package that imports streamlit), in
these concerns: state and URL (state.py), the page run under way (run.py: its snapshot, viewer and
sight), data and cache (data.py), who is here and what they may see and do (roles.py, the one place
for role checks), widgets (widgets.py) and actions (actions.py).

Pages stay short: they ask here for data, passing the query itself (`app.data(queries.overview,
chosen)`), and for the ways to show it, as `app.<name>`.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from .. import settings
from ..i18n import t
from . import data as _data
from . import reporting_view as reporting
from . import roles as _roles
from .actions import (
    add_user,
    ask_remove_user,
    ask_undo,
    change_password,
    check_upload,
    choice_key,
    confirm_remove_dialog,
    confirm_undo_dialog,
    confirm_upload,
    create_token,
    recheck_upload,
    remove_user,
    review,
    revoke_token,
    save_my_messages,
    save_user_messages,
    undo,
    uploading_as,
)
from .bell import bell, messages_form
from .data import data, database, db, network, read
from .decisions import awaiting_review, chosen_from_link, leaving_view
from .decisions import details as review_details
from .roles import PAGES, SECTIONS, TOKEN_KEY, banner, may, pages, permit, require_page, viewer
from .state import WIDGET_KEYS, current_filters, embedded, escape, lang, start, term, tr
from .widgets import (
    audit_view,
    badge,
    chart,
    download_key,
    empty,
    header,
    import_labels,
    long_table,
    nothing_to_show,
    on_demand,
    open_data_download,
    overdue_tile,
    priority_choice,
    priority_detail,
    priority_link,
    profile_choice,
    rejection_notes,
    report_downloads,
    showing,
    sidebar,
    table,
    template_bytes,
    tile,
    tiles,
)


@contextmanager
def page_run() -> Iterator[None]:
    """One snapshot of the data for everything a page run shows, as the person here may see it."""
    with _data.page_run(_roles.admit):
        yield


__all__ = ["PAGES", "SECTIONS", "TOKEN_KEY", "WIDGET_KEYS", "add_user", "bell", "reporting", "messages_form",
           "save_my_messages", "save_user_messages", "ask_remove_user", "ask_undo", "audit_view",
           "awaiting_review", "badge", "banner", "change_password", "chart", "check_upload", "choice_key",
           "chosen_from_link", "confirm_remove_dialog", "confirm_undo_dialog", "confirm_upload", "create_token",
           "current_filters", "data", "database", "db", "download_key", "embedded", "empty", "escape", "header",
           "import_labels", "lang", "leaving_view", "long_table", "may", "network", "nothing_to_show",
           "on_demand", "open_data_download", "overdue_tile", "page_run", "pages", "permit", "priority_choice",
           "priority_detail",
           "priority_link", "profile_choice", "read", "recheck_upload", "rejection_notes", "remove_user",
           "report_downloads", "require_page", "review", "review_details", "revoke_token", "settings", "showing",
           "sidebar", "start", "t", "table", "template_bytes", "term", "tile", "tiles", "tr", "undo", "uploading_as",
           "viewer"]
