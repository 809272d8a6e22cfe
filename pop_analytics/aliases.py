"""Saved mappings: a spelling the rule cannot read (or reads wrongly), mapped once by a person to a
term or a column, and read so by every later import. Checked here, stored by store, applied by
matching (a saved mapping is read before the rule)."""
from __future__ import annotations

import getpass

import duckdb
import pandas as pd

from . import matching, store
from .database import Database
from .errors import PopError
from .i18n import t
from .settings import MAX_ALIAS_CHARS
from .text import fold


class AliasRefused(PopError):
    """A mapping that cannot be saved or removed; message() says why in the reader's language."""

    def __init__(self, reason: str, **params: object):
        self.reason, self.params = reason, params
        super().__init__(reason)

    def message(self, lang: str) -> str:
        return t(f"aliases.{self.reason}", lang, **self.params)


def resolve_key(vocabulary: str, key: str) -> str:
    """The term (or field) a mapping points to, given as its key or any exact spelling of it."""
    if vocabulary not in matching.vocabulary_names():
        raise AliasRefused("unknown_vocabulary", vocabulary=vocabulary,
                           allowed=", ".join(matching.vocabulary_names()))
    terms = matching.reference_vocabulary(vocabulary)
    if key in terms.term_keys():
        return key
    found = terms.exact.get(fold(key))
    if found is None:
        raise AliasRefused("unknown_key", term=key, vocabulary=vocabulary, allowed=", ".join(terms.term_keys()))
    return found


def add(con: duckdb.DuckDBPyConnection, vocabulary: str, value: str, key: str, who: str | None = None,
        why: str | None = None, address: str | None = None) -> matching.SavedMapping:
    """Save value → key in vocabulary, for every later import."""
    key = resolve_key(vocabulary, key)
    value = " ".join(str(value).split())
    if not fold(value) or len(value) > MAX_ALIAS_CHARS:
        raise AliasRefused("bad_value", limit=MAX_ALIAS_CHARS)
    alias_id = store.add_alias(con, vocabulary, value, fold(value), key, who or getpass.getuser(), why, address)
    return matching.SavedMapping(alias_id, vocabulary, value, key)


def remove(con: duckdb.DuckDBPyConnection, alias_id: int, who: str | None = None, address: str | None = None) -> None:
    if not store.remove_alias(con, alias_id, who or getpass.getuser(), address):
        raise AliasRefused("not_found", id=alias_id)


def listed(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The mappings in use; a reason not given is None (not NaN, which JSON has no word for)."""
    frame = store.aliases(con)
    return frame.astype(object).where(frame.notna(), None)


def mappings(con: duckdb.DuckDBPyConnection) -> matching.Mappings:
    """The mappings in use, as an import reads with them."""
    return matching.Mappings(matching.SavedMapping(*row) for row in store.alias_rows(con))


def current(db: Database) -> matching.Mappings:
    """The mappings in use in a database; none for a database not made yet."""
    if not db.exists():
        return matching.NO_MAPPINGS
    with db.reading() as con:
        return mappings(con)
