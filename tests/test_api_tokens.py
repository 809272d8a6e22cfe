"""API tokens (pop_analytics.api_tokens) on a real database, in process: a token acts as its user
until it is revoked, its user removed (a user added again under the name inherits nothing), or a
backup restored; names are checked; only a coordinator touches another user's tokens."""
from __future__ import annotations

import pytest

from pop_analytics import access, accounts, api_tokens, store
from pop_analytics.access import Viewer
from pop_analytics.database import Database
from pop_analytics.errors import AccessDenied, TokenRefused

PASSWORD = "a long enough passphrase"
MACHINE = access.cli_viewer()


@pytest.fixture
def db(demo_copy, quick_hashes) -> Database:
    database = Database(demo_copy)
    for name, role in (("koord", "coordinator"), ("dora", "donor"), ("arta", "partner")):
        accounts.add(database, name, role, ["Tiranë"] if role == "partner" else [], PASSWORD, MACHINE)
    return database


def reads_as(db: Database, token: str) -> tuple[str, str, tuple[str, ...] | None] | None:
    found = api_tokens.viewer_of(db, token, "127.0.0.1")
    return None if found is None else (found[1].name, found[1].role, found[1].municipalities)


def test_a_token_acts_as_its_user_with_the_users_role_and_municipalities(db):
    token = api_tokens.create(db, "arta", "partner's sheet", MACHINE)
    assert token.startswith("pop_") and len(token) == 47
    assert reads_as(db, token) == ("arta", "partner", ("Tiranë",))
    assert reads_as(db, token + "x") is None
    assert reads_as(db, "not a token") is None


def test_removing_a_user_revokes_their_tokens_and_a_new_user_of_that_name_inherits_none(db):
    token = api_tokens.create(db, "dora", "donor's website", MACHINE)
    assert reads_as(db, token) == ("dora", "donor", None)
    accounts.remove(db, "dora", MACHINE)
    assert reads_as(db, token) is None
    accounts.add(db, "dora", "coordinator", [], PASSWORD, MACHINE)  # the same name, more rights
    assert reads_as(db, token) is None
    with db.reading() as con:
        [revoked_by] = store.tokens(con, "dora")["revoked_by"].tolist()
    assert revoked_by == MACHINE.name


def test_a_restored_backup_brings_no_revoked_token_back(db, tmp_path):
    token = api_tokens.create(db, "dora", "donor's website", MACHINE)
    db.backup(tmp_path / "backup.duckdb")
    with db.reading() as con:
        [token_id] = store.tokens(con, "dora")["id"].tolist()
    api_tokens.revoke(db, int(token_id), MACHINE)
    db.restore(tmp_path / "backup.duckdb", who=MACHINE.name)
    assert reads_as(db, token) is None  # every token of the backup's time is revoked with the restore


@pytest.mark.parametrize(("label", "reason"), [("", "label"), ("   ", "label"), ("x" * 81, "label"),
                                               ("tab\there", "label")])
def test_a_token_needs_a_printable_name_of_up_to_80_characters(db, label, reason):
    with pytest.raises(TokenRefused) as refused:
        api_tokens.create(db, "dora", label, MACHINE)
    assert refused.value.message("en") == ("Give the token a name of up to 80 characters that says where it is used "
                                           "(e.g. the network's website).")
    with db.reading() as con:
        assert store.tokens(con).empty


def test_only_a_coordinator_makes_or_revokes_another_users_tokens(db):
    dora = Viewer(name="dora", role="donor")
    with pytest.raises(AccessDenied):
        api_tokens.create(db, "arta", "not mine", dora)
    api_tokens.create(db, "arta", "partner's sheet", MACHINE)
    with db.reading() as con:
        [token_id] = store.tokens(con, "arta")["id"].tolist()
    with pytest.raises(AccessDenied):
        api_tokens.revoke(db, int(token_id), dora)
    api_tokens.revoke(db, int(token_id), Viewer(name="arta", role="partner", municipalities=("Tiranë",)))
    with pytest.raises(TokenRefused) as refused:
        api_tokens.revoke(db, int(token_id), MACHINE)
    assert refused.value.message("en") == f"Token #{token_id} was revoked already."
    with pytest.raises(TokenRefused) as refused:
        api_tokens.create(db, "nobody", "a name", MACHINE)
    assert refused.value.message("en") == "There is no user 'nobody'."
