"""Who may do what: the three roles, what each may see and do, and the one check every write
makes on the server, whatever a page showed.

A Viewer is the person a page run, a download or a command acts for: signed in, the single user
of a database with no users yet (local mode), an anonymous reader of the public donor view, or the
machine owner at the command line.
"""
from __future__ import annotations

import getpass
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .errors import AccessDenied
from .scope import Sight

ROLES = ("coordinator", "partner", "donor")

# What each role may do; every rule about roles is asked here, by capability, never by role name.
# all_municipalities: sees and stores every municipality's rows (a partner has municipalities of their own);
# see_submitted: sees imports awaiting review (else approved ones only); see_notes: sees free-text notes;
# review: approves or rejects imports (their own arrive approved) and may look at approved rows only, as
# donors do; manage_users: the first user has it, and the last one who has it stays.
ALLOWED: dict[str, frozenset[str]] = {
    "coordinator": frozenset({"read", "see_submitted", "see_notes", "upload", "history", "undo", "review",
                              "save_mapping", "manage_users", "read_audit", "all_municipalities", "read_rows",
                              "set_schedule", "see_reporting", "hear_reviews"}),
    "partner": frozenset({"read", "see_submitted", "see_notes", "upload", "history", "save_mapping", "read_rows",
                          "report", "see_reporting", "hear_own_imports"}),
    "donor": frozenset({"read", "all_municipalities", "follow_summaries"}),
}
# report: is expected to report their municipalities' periods (and reminded of deadlines);
# see_reporting: sees who reported which period (a donor sees the rates only when a coordinator allows it);
# hear_reviews: told of imports awaiting review and partners late; hear_own_imports: told when their import is
# approved or rejected; follow_summaries: told when a period's summary is ready.

# The action a page needs: the router offers a page only to roles that may do it.
PAGE_NEEDS = {"overview": "read", "tracker": "read", "priority": "read", "participation": "read",
              "municipality": "read", "targets": "read", "reports": "read", "quality": "read", "upload": "upload",
              "history": "history", "users": "manage_users", "audit": "read_audit", "account": "read",
              "reporting": "read"}
# Pages about the reader's own account (their API tokens): not for the public view, where nobody is
# signed in (local mode is offered it, to say that tokens come with users).
OWN_ACCOUNT_PAGES = frozenset({"account"})


def may(role: str, action: str) -> bool:
    """Whether a role may do an action: for a role not yet a Viewer (a user being added or removed)."""
    return action in ALLOWED.get(role, frozenset())


@dataclass(frozen=True)
class Viewer:
    """name and role; municipalities is None for every municipality (a coordinator or a donor)."""

    name: str
    role: str
    municipalities: tuple[str, ...] | None = None
    address: str | None = None
    how: str = "signed_in"  # signed_in, local, public, cli or token

    def may(self, action: str) -> bool:
        return may(self.role, action)

    def may_open(self, page: str) -> bool:
        if page in OWN_ACCOUNT_PAGES and self.how == "public":
            return False
        return self.may(PAGE_NEEDS.get(page, "manage_users"))

    def covers(self, municipality: str) -> bool:
        """Whether this viewer may store rows for a municipality."""
        return self.municipalities is None or municipality in self.municipalities

    def sight(self, include_submitted: bool = True) -> Sight:
        """The rows this viewer's pages, downloads and commands count: a reviewer may choose to see
        approved imports only, as donors do."""
        approved_only = not self.may("see_submitted") or (not include_submitted and self.may("review"))
        return Sight(approved_only=approved_only, municipalities=self.municipalities, notes=self.may("see_notes"))

    @property
    def review(self) -> str:
        """How this viewer's import arrives: a reviewer's is approved at once, anyone else's waits."""
        return "approved" if self.may("review") else "submitted"


def user_viewer(user: Mapping[str, Any], address: str | None = None, how: str = "signed_in") -> Viewer:
    """The viewer acting as a stored user (a row of store.user or store.session): their name, their
    role, and their municipalities unless the role covers all of them."""
    role = user["role"]
    municipalities = None if may(role, "all_municipalities") else tuple(user["municipalities"])
    return Viewer(name=user["name"], role=role, municipalities=municipalities, address=address, how=how)


def require(viewer: Viewer, action: str) -> None:
    """The server-side check before every write: refused unless the role allows it."""
    if not viewer.may(action):
        raise AccessDenied(action, name=viewer.name, role=viewer.role)


def local_viewer(address: str | None = None) -> Viewer:
    """The one person using a database with no users yet: everything, as before sign-in existed."""
    return Viewer(name=_os_user(), role="coordinator", address=address, how="local")


def cli_viewer(user: Mapping[str, Any] | None = None) -> Viewer:
    """The machine owner at the command line acts as a coordinator, under their system name. Acting
    for a user (a stored user row, from --as), the user's name, role and municipalities apply, and
    the system user stays on record as where the action came from (the audit log's address)."""
    if user is None:
        return Viewer(name=_os_user(), role="coordinator", how="cli")
    return user_viewer(user, address=f"cli:{_os_user()}", how="cli")


def public_viewer(address: str | None = None) -> Viewer:
    return Viewer(name="public", role="donor", address=address, how="public")


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # a container user with no passwd entry
        return "local"
