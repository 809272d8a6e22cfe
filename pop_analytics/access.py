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
from .scope import DONOR_SIGHT, EVERYTHING, Sight

ROLES = ("coordinator", "partner", "donor")

# What each role may do. Reading approved aggregates is everyone's.
ALLOWED: dict[str, frozenset[str]] = {
    "coordinator": frozenset({"read", "see_submitted", "see_notes", "upload", "history", "undo", "review",
                              "save_mapping", "manage_users", "read_audit", "all_municipalities"}),
    "partner": frozenset({"read", "see_submitted", "see_notes", "upload", "history", "save_mapping"}),
    "donor": frozenset({"read"}),
}

# The action a page needs: the router offers a page only to roles that may do it.
PAGE_NEEDS = {"overview": "read", "tracker": "read", "priority": "read", "participation": "read", "municipality": "read",
              "targets": "read", "reports": "read", "quality": "read", "upload": "upload", "history": "history", "users": "manage_users",
              "audit": "read_audit"}


@dataclass(frozen=True)
class Viewer:
    """name and role; municipalities is None for every municipality (a coordinator or a donor)."""

    name: str
    role: str
    municipalities: tuple[str, ...] | None = None
    address: str | None = None
    how: str = "signed_in"  # signed_in, local, public or cli

    def may(self, action: str) -> bool:
        return action in ALLOWED.get(self.role, frozenset())

    def may_open(self, page: str) -> bool:
        return self.may(PAGE_NEEDS.get(page, "manage_users"))

    def covers(self, municipality: str) -> bool:
        """Whether this viewer may store rows for a municipality."""
        return self.municipalities is None or municipality in self.municipalities

    def sight(self, include_submitted: bool = True) -> Sight:
        """The rows this viewer's pages, downloads and commands count."""
        if not self.may("see_submitted"):
            return DONOR_SIGHT
        approved_only = not include_submitted and self.role == "coordinator"
        if self.municipalities is None and not approved_only:
            return EVERYTHING
        return Sight(approved_only=approved_only, municipalities=self.municipalities)

    @property
    def review(self) -> str:
        """How this viewer's import arrives: a coordinator's is approved at once, a partner's waits."""
        return "approved" if self.role == "coordinator" else "submitted"


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
    municipalities = tuple(user["municipalities"]) if user["role"] == "partner" else None
    return Viewer(name=user["name"], role=user["role"], municipalities=municipalities, address=f"cli:{_os_user()}",
                  how="cli")


def public_viewer(address: str | None = None) -> Viewer:
    return Viewer(name="public", role="donor", address=address, how="public")


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # a container user with no passwd entry
        return "local"
