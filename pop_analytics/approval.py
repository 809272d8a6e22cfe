"""What happens to an import after it is stored: a coordinator approves a partner's submitted
import (donors see it from then on) or rejects it with a comment (its rows go, as with undo); a
coordinator undoes an import. Each checks the role on the server and is recorded in the audit log."""
from __future__ import annotations

from . import store
from .access import Viewer, require
from .database import Database
from .errors import UserRefused


def approve(db: Database, import_id: int, by: Viewer, comment: str | None = None) -> None:
    require(by, "review")
    with db.writing() as con:
        store.approve(con, import_id, by.name, _comment(comment), by.address)


def reject(db: Database, import_id: int, by: Viewer, comment: str) -> dict[str, int]:
    """Reject a submitted import; the comment (what to fix) is required, since the partner reads it."""
    require(by, "review")
    text = _comment(comment)
    if not text:
        raise UserRefused("reject_needs_comment")
    with db.writing() as con:
        return store.reject(con, import_id, by.name, text, by.address)


def undo(db: Database, import_id: int, by: Viewer) -> dict[str, int]:
    require(by, "undo")
    with db.writing() as con:
        return store.undo(con, import_id, who=by.name, address=by.address)


def _comment(comment: str | None) -> str | None:
    """A reviewer's comment as one trimmed line of at most 2,000 characters (it is shown in tables)."""
    if comment is None:
        return None
    return " ".join(str(comment).split())[:2000] or None
