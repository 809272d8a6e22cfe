"""accounts: users with argon2 password hashes, sign-in slowed after repeated failures, sessions that
end when idle, after a working day, on sign-out, or when the user is removed or their password
changes; each step in the audit log. Real DuckDB files through pop_analytics.database.Database;
time is simulated with the functions' now= parameter, never slept."""
from __future__ import annotations

import datetime as dt

import argon2
import pandas as pd
import pytest
from conftest import QUICK

from pop_analytics import access, accounts, settings, store
from pop_analytics.access import Viewer
from pop_analytics.database import Database
from pop_analytics.errors import AccessDenied, SignInRefused, UserRefused
from pop_analytics.i18n import t

PASSWORD = "correct horse battery"
OTHER_PASSWORD = "staple in the stable"
ADMIN = Viewer(name="ana", role="coordinator", address="10.0.0.1", how="signed_in")
PARTNER = Viewer(name="alba", role="partner", municipalities=("Tiranë",), address="10.0.0.2")
DONOR = Viewer(name="dona", role="donor", address="10.0.0.3")
HERE, THERE = "192.0.2.10", "192.0.2.20"
# Every database here starts with its first user, the coordinator ana (ADMIN), added by herself.
FIRST = ("ana", "10.0.0.1", "user_add", "ana")
ANA_HASH = QUICK.hash(PASSWORD)


@pytest.fixture
def empty_db(db_path) -> Database:
    database = Database(db_path)
    database.ensure()
    return database


@pytest.fixture
def db(empty_db) -> Database:
    """A database whose first user, the coordinator ana, is in place (the first user must be one)."""
    with empty_db.writing() as con:
        store.put_user(con, "ana", "coordinator", [], ANA_HASH, "ana", "10.0.0.1")
    return empty_db


def audit_log(db: Database) -> list[tuple]:
    """(who, address, action, target) of every audit row, oldest first."""
    with db.reading() as con:
        frame = store.audit_rows(con)
    return [(r.who, None if pd.isna(r.address) else r.address, r.action, r.target)
            for r in frame.iloc[::-1].itertuples()]


def stored_user(db: Database, name: str) -> dict | None:
    with db.reading() as con:
        return store.user(con, name)


def open_session(db: Database, token: str) -> dict | None:
    """The session's row as the app's pages and downloads learn it: once per version of the file."""
    with db.snapshot() as snapshot:
        return accounts.sessions_seen(snapshot, accounts.token_hash(token))[1]


def last_failure(db: Database, name: str, address: str | None) -> tuple[int, dt.datetime]:
    with db.reading() as con:
        count, last = store.failures_since(con, dt.datetime.now() - dt.timedelta(hours=1), name, address)
    assert last is not None
    return count, last


def refusal(call) -> str:
    with pytest.raises(UserRefused) as refused:
        call()
    return str(refused.value)


# ── adding users ────────────────────────────────────────────────────────────────────────────

@pytest.mark.parametrize(("name", "role", "municipalities", "stored_role", "stored_municipalities"), [
    ("ben", "coordinator", [], "coordinator", []),
    ("alba", "partner", ["Tiranë"], "partner", ["Tiranë"]),
    ("dona", "donor", [], "donor", []),
    ("  Brikena  ", " Partner ", ["Korçë", "Durrës"], "partner", ["Durrës", "Korçë"]),
])
def test_valid_users_are_added_with_their_role_and_municipalities(db, name, role, municipalities, stored_role,
                                                                  stored_municipalities):
    returned = accounts.add(db, name, role, municipalities, PASSWORD, by=ADMIN)
    assert returned == name.strip()
    listed = accounts.listed(db)
    assert list(listed.columns) == ["name", "role", "municipalities", "email", "language", "created_by", "created_at",
                                    "password_changed_at"]
    assert [(r.name, r.role, list(r.municipalities), r.created_by) for r in listed.itertuples()
            if r.name != "ana"] == [(name.strip(), stored_role, stored_municipalities, "ana")]
    assert audit_log(db) == [FIRST, ("ana", "10.0.0.1", "user_add", name.strip())]


def user_count(db: Database) -> int:
    with db.reading() as con:
        return store.user_count(con)


def test_the_first_user_is_a_coordinator(empty_db):
    assert user_count(empty_db) == 0
    for role, municipalities in (("partner", ["Tiranë"]), ("donor", [])):
        with pytest.raises(UserRefused) as refused:
            accounts.add(empty_db, "alba", role, municipalities, PASSWORD, by=ADMIN)
        assert str(refused.value) == ("The first user must be a coordinator, so that someone can manage the others "
                                      "from the dashboard.")
        assert refused.value.message("sq") == t("user.first_is_coordinator", "sq")
    assert user_count(empty_db) == 0
    accounts.add(empty_db, "ana", "coordinator", [], PASSWORD, by=ADMIN)
    assert user_count(empty_db) == 1
    assert audit_log(empty_db) == [FIRST]


@pytest.mark.parametrize(("given", "stored"), [
    (["tirana"], ["Tiranë"]),
    (["TIRANA"], ["Tiranë"]),
    (["Tirane", "tirana", "Tiranë"], ["Tiranë"]),
    (["Korca", "durres"], ["Durrës", "Korçë"]),
    (["Shkoder"], ["Shkodër"]),
])
def test_a_partners_municipality_spellings_resolve_to_the_reference_names(db, given, stored):
    accounts.add(db, "alba", "partner", given, PASSWORD, by=ADMIN)
    assert stored_user(db, "alba")["municipalities"] == stored


LONG_NAME = "x" * (settings.MAX_USER_NAME_CHARS + 1)


@pytest.mark.parametrize(("name", "role", "municipalities", "password", "message"), [
    ("", "donor", [], PASSWORD, "'' cannot be a user name: give 1 to 64 printable characters."),
    ("   ", "donor", [], PASSWORD, "'' cannot be a user name: give 1 to 64 printable characters."),
    (LONG_NAME, "donor", [], PASSWORD, f"'{'x' * 64}' cannot be a user name: give 1 to 64 printable characters."),
    ("al\tba", "donor", [], PASSWORD, "'al\tba' cannot be a user name: give 1 to 64 printable characters."),
    ("alba", "donor", [], "123456789",
     "The password is too short: use at least 10 characters (a short sentence is easy to remember)."),
    ("alba", "donor", [], "",
     "The password is too short: use at least 10 characters (a short sentence is easy to remember)."),
    ("alba", "admin", [], PASSWORD, "'admin' is not a role. Choose one of: coordinator, partner, donor."),
    ("alba", "partner", [], PASSWORD,
     "A partner uploads for its own municipalities: name at least one (--municipality Tiranë)."),
    ("alba", "donor", ["Tiranë"], PASSWORD,
     "Only a partner is bound to municipalities: a donor sees all of them. Leave out --municipality."),
    ("alba", "coordinator", ["Tiranë"], PASSWORD,
     "Only a partner is bound to municipalities: a coordinator sees all of them. Leave out --municipality."),
    ("alba", "partner", ["Tirna"], PASSWORD, "'Tirna' is not a municipality this tool knows (did you mean 'Tiranë'?)."),
    ("alba", "partner", ["Tiranë", "Tiranaa"], PASSWORD,
     "'Tiranaa' is not a municipality this tool knows (did you mean 'Tiranë'?)."),
])
def test_a_user_that_cannot_be_added_is_refused_with_what_to_fix(db, name, role, municipalities, password, message):
    assert refusal(lambda: accounts.add(db, name, role, municipalities, password, by=ADMIN)) == message
    assert list(accounts.listed(db)["name"]) == ["ana"]
    assert audit_log(db) == [FIRST]


def test_a_refusal_speaks_albanian_too(db):
    with pytest.raises(UserRefused) as refused:
        accounts.add(db, "alba", "partner", ["Tirna"], PASSWORD, by=ADMIN)
    assert refused.value.message("sq") == t("user.bad_municipality", "sq", value="Tirna", suggestion="Tiranë") == (
        "'Tirna' nuk është bashki që ky program e njeh (mos keni parasysh 'Tiranë'?).")


def test_an_unknown_municipality_with_nothing_close_suggests_nothing(db):
    message = refusal(lambda: accounts.add(db, "alba", "partner", ["Xyzzy"], PASSWORD, by=ADMIN))
    assert message.startswith("'Xyzzy' is not a municipality this tool knows")
    assert "did you mean" not in message


def test_a_second_user_of_the_same_name_is_refused(db):
    accounts.add(db, "alba", "partner", ["Tiranë"], PASSWORD, by=ADMIN)
    before = stored_user(db, "alba")
    assert refusal(lambda: accounts.add(db, " alba ", "donor", [], OTHER_PASSWORD, by=ADMIN)) == (
        "There is a user 'alba' already. Choose another name, or change that user's password.")
    assert stored_user(db, "alba") == before
    assert refusal(lambda: accounts.add(db, "ana", "coordinator", [], OTHER_PASSWORD, by=ADMIN)) == (
        "There is a user 'ana' already. Choose another name, or change that user's password.")
    assert audit_log(db) == [FIRST, ("ana", "10.0.0.1", "user_add", "alba")]


# ── who may manage users ────────────────────────────────────────────────────────────────────

@pytest.mark.parametrize("viewer", [PARTNER, DONOR], ids=["partner", "donor"])
def test_a_partner_or_donor_may_not_add_or_remove_users(db, viewer):
    accounts.add(db, "ben", "donor", [], PASSWORD, by=ADMIN)
    expected = f"{viewer.name} ({viewer.role}) may not manage users: only a coordinator may."
    with pytest.raises(AccessDenied) as denied:
        accounts.add(db, "eve", "coordinator", [], PASSWORD, by=viewer)
    assert str(denied.value) == expected
    with pytest.raises(AccessDenied) as denied:
        accounts.remove(db, "ben", by=viewer)
    assert str(denied.value) == expected
    assert denied.value.message("sq") == t("access.manage_users", "sq", name=viewer.name, role=viewer.role)
    with pytest.raises(AccessDenied):
        accounts.change_password(db, "ben", OTHER_PASSWORD, by=viewer)
    assert sorted(accounts.listed(db)["name"]) == ["ana", "ben"]
    assert audit_log(db) == [FIRST, ("ana", "10.0.0.1", "user_add", "ben")]


def test_a_signed_in_partner_changes_only_their_own_password(db):
    accounts.add(db, "alba", "partner", ["Tiranë"], PASSWORD, by=ADMIN)
    accounts.add(db, "ben", "partner", ["Tiranë"], PASSWORD, by=ADMIN)
    accounts.change_password(db, "alba", OTHER_PASSWORD, by=PARTNER)
    with pytest.raises(AccessDenied):
        accounts.change_password(db, "ben", OTHER_PASSWORD, by=PARTNER)
    assert audit_log(db)[-1] == ("alba", "10.0.0.2", "user_password", "alba")


def test_the_last_coordinator_cannot_be_removed(db):
    accounts.add(db, "alba", "partner", ["Tiranë"], PASSWORD, by=ADMIN)
    assert refusal(lambda: accounts.remove(db, "ana", by=ADMIN)) == (
        "'ana' is the last coordinator: add another coordinator before removing this one, so that someone can "
        "still manage users.")
    assert sorted(accounts.listed(db)["name"]) == ["alba", "ana"]
    accounts.add(db, "ben", "coordinator", [], PASSWORD, by=ADMIN)
    accounts.remove(db, "ana", by=ADMIN)
    assert refusal(lambda: accounts.remove(db, "ben", by=ADMIN)) == (
        "'ben' is the last coordinator: add another coordinator before removing this one, so that someone can "
        "still manage users.")
    accounts.remove(db, "alba", by=ADMIN)
    assert list(accounts.listed(db)["name"]) == ["ben"]


@pytest.mark.parametrize("call", [
    lambda db: accounts.remove(db, "zed", by=ADMIN),
    lambda db: accounts.change_password(db, "zed", OTHER_PASSWORD, by=ADMIN),
], ids=["remove", "change_password"])
def test_an_unknown_user_cannot_be_removed_or_given_a_password(db, call):
    assert refusal(lambda: call(db)) == "There is no user 'zed'. See 'users list'."
    assert audit_log(db) == [FIRST]


# ── password hashes ─────────────────────────────────────────────────────────────────────────

def test_passwords_are_stored_as_argon2id_hashes_never_as_themselves(db):
    accounts.add(db, "alba", "partner", ["Tiranë"], PASSWORD, by=ADMIN)
    accounts.add(db, "ben", "donor", [], PASSWORD, by=ADMIN)
    first, second = stored_user(db, "alba")["password_hash"], stored_user(db, "ben")["password_hash"]
    for hashed in (first, second):
        assert hashed.startswith("$argon2id$")
        assert PASSWORD not in hashed
        assert argon2.PasswordHasher().verify(hashed, PASSWORD)
    assert first != second  # salted: the same password gives another hash
    assert "password_hash" not in accounts.listed(db).columns
    accounts.change_password(db, "alba", OTHER_PASSWORD, by=ADMIN)
    changed = stored_user(db, "alba")["password_hash"]
    assert changed.startswith("$argon2id$") and changed != first and OTHER_PASSWORD not in changed
    with db.reading() as con:
        everything = repr(con.execute("SELECT * FROM users").fetchall()) + repr(
            con.execute("SELECT * FROM audit").fetchall())
    assert PASSWORD not in everything and OTHER_PASSWORD not in everything


# ── signing in ──────────────────────────────────────────────────────────────────────────────

WRONG = "The name or the password is not right. Try again."


def slowed(seconds: int) -> str:
    return f"Too many failed sign-ins for this name or from this computer. Wait {seconds} seconds, then try again."


def refused_sign_in(db, name, password, address, now=None) -> SignInRefused:
    with pytest.raises(SignInRefused) as refused:
        accounts.sign_in(db, name, password, address, now=now)
    return refused.value


def test_the_right_password_signs_in_and_a_wrong_one_or_an_unknown_name_says_the_same(db, quick_hashes):
    accounts.add(db, "alba", "partner", ["Tiranë"], PASSWORD, by=ADMIN)
    token = accounts.sign_in(db, " alba ", PASSWORD, HERE)
    assert isinstance(token, str) and len(token) >= 40
    assert open_session(db, token)["name"] == "alba"
    assert accounts.sign_in(db, "alba", PASSWORD, HERE) != token
    wrong_password = refused_sign_in(db, "alba", OTHER_PASSWORD, HERE)
    unknown_name = refused_sign_in(db, "nobody", PASSWORD, HERE)
    for refused in (wrong_password, unknown_name):
        assert refused.reason == "wrong"
        assert str(refused) == WRONG
        assert refused.message("sq") == "Emri ose fjalëkalimi nuk është i saktë. Provoni përsëri."
    assert refused_sign_in(db, "Alba", PASSWORD, HERE).reason == "wrong"  # names are exact
    assert [row for row in audit_log(db) if row[2] == "signin_failed"] == [
        ("alba", HERE, "signin_failed", "alba"), ("nobody", HERE, "signin_failed", "nobody"),
        ("Alba", HERE, "signin_failed", "Alba")]


def fail(db, times: int, names: list[str], addresses: list[str], now: dt.datetime | None = None) -> None:
    for i in range(times):
        refused = refused_sign_in(db, names[i % len(names)], "not the password", addresses[i % len(addresses)], now)
        assert refused.reason == "wrong"


def test_after_the_free_tries_the_next_try_for_that_name_is_slowed_even_with_the_right_password(db, quick_hashes):
    accounts.add(db, "alba", "partner", ["Tiranë"], PASSWORD, by=ADMIN)
    # Failures for the name from ever-changing addresses: the name itself is slowed.
    fail(db, settings.SIGNIN_FREE_TRIES, ["alba"], [f"198.51.100.{i}" for i in range(settings.SIGNIN_FREE_TRIES)])
    count, last = last_failure(db, "alba", "203.0.113.99")
    assert count == settings.SIGNIN_FREE_TRIES
    refused = refused_sign_in(db, "alba", PASSWORD, "203.0.113.99", now=last + dt.timedelta(seconds=0.5))
    assert (refused.reason, str(refused)) == ("slowed", slowed(2))
    assert refused.message("sq") == ("Shumë hyrje të dështuara për këtë emër ose nga ky kompjuter. "
                                     "Prisni 2 sekonda, pastaj provoni përsëri.")
    # A slowed try is not checked, and not counted as another failure.
    assert last_failure(db, "alba", "203.0.113.99") == (count, last)
    # Once the wait is over, the right password works.
    token = accounts.sign_in(db, "alba", PASSWORD, "203.0.113.99", now=last + dt.timedelta(seconds=2.1))
    assert open_session(db, token)["name"] == "alba"
    # Another failure (once the wait is over) doubles the wait.
    fail(db, 1, ["alba"], ["198.51.100.50"], now=last + dt.timedelta(seconds=2.1))
    _, last = last_failure(db, "alba", None)
    refused = refused_sign_in(db, "alba", PASSWORD, THERE, now=last + dt.timedelta(seconds=0.5))
    assert str(refused) == slowed(4)
    # Failures older than the window no longer count.
    later = last + dt.timedelta(minutes=settings.SIGNIN_WINDOW_MINUTES, seconds=1)
    assert accounts.sign_in(db, "alba", PASSWORD, THERE, now=later)


def test_after_the_free_tries_the_next_try_from_that_address_is_slowed_for_another_name(db, quick_hashes):
    accounts.add(db, "alba", "partner", ["Tiranë"], PASSWORD, by=ADMIN)
    fail(db, settings.SIGNIN_FREE_TRIES, ["guess1", "guess2", "guess3"], [HERE])
    _, last = last_failure(db, "alba", HERE)
    soon = last + dt.timedelta(seconds=0.5)
    assert str(refused_sign_in(db, "alba", PASSWORD, HERE, now=soon)) == slowed(2)
    # The same name from another address is not slowed: neither had failures.
    assert accounts.sign_in(db, "alba", PASSWORD, THERE, now=soon)


def test_fewer_failures_than_the_free_tries_are_not_slowed(db, quick_hashes):
    accounts.add(db, "alba", "partner", ["Tiranë"], PASSWORD, by=ADMIN)
    fail(db, settings.SIGNIN_FREE_TRIES - 1, ["alba"], [HERE])
    _, last = last_failure(db, "alba", HERE)
    assert accounts.sign_in(db, "alba", PASSWORD, HERE, now=last)


NOW = dt.datetime(2026, 3, 2, 9, 0, 0)


@pytest.mark.parametrize(("failures", "seconds_ago", "wait"), [
    (0, 0, 0.0),
    (1, 0, 0.0),
    (4, 0, 0.0),
    (5, 0, 2.0),
    (6, 0, 4.0),
    (7, 0, 8.0),
    (8, 0, 16.0),
    (9, 0, 32.0),
    (12, 0, 256.0),
    (13, 0, 300.0),  # 512 s is past the longest wait
    (40, 0, 300.0),
    (6, 1, 3.0),  # the time since the last failure counts towards the wait
    (6, 4, 0.0),
    (6, 10, 0.0),
    (13, 299.5, 0.5),
])
def test_the_wait_before_the_next_try_doubles_after_the_free_tries(failures, seconds_ago, wait):
    last = NOW - dt.timedelta(seconds=seconds_ago)
    assert accounts.wait_before_next_try(failures, last, NOW) == wait


def test_no_last_failure_means_no_wait():
    assert accounts.wait_before_next_try(10, None, NOW) == 0.0


# ── sessions ────────────────────────────────────────────────────────────────────────────────

def signed_in(db, name: str, address: str = HERE) -> tuple[str, str, dt.datetime]:
    """(token, its hash, the simulated moment of sign-in)."""
    at = dt.datetime.now()
    token = accounts.sign_in(db, name, PASSWORD, address, now=at)
    return token, accounts.token_hash(token), at


def viewer_of(db, token: str, address: str = HERE, now: dt.datetime | None = None) -> Viewer | None:
    return accounts.session_viewer(open_session(db, token), accounts.token_hash(token), address, now=now)


@pytest.mark.parametrize(("role", "municipalities", "seen"), [
    ("partner", ["Korçë", "Tiranë"], ("Korçë", "Tiranë")),
    ("coordinator", [], None),
    ("donor", [], None),
])
def test_a_fresh_session_is_its_users_viewer(db, quick_hashes, role, municipalities, seen):
    accounts.add(db, "alba", role, municipalities, PASSWORD, by=ADMIN)
    token, hashed, at = signed_in(db, "alba")
    found = open_session(db, token)
    assert (found["name"], found["role"], list(found["municipalities"])) == ("alba", role, municipalities)
    assert accounts.session_viewer(found, hashed, HERE, now=at) == Viewer(
        name="alba", role=role, municipalities=seen, address=HERE, how="signed_in")
    assert accounts.session_viewer(None, hashed, HERE, now=at) is None
    assert viewer_of(db, "not a token", now=at) is None


def test_a_session_ends_after_idle_minutes_without_use(db, quick_hashes):
    accounts.add(db, "alba", "partner", ["Tiranë"], PASSWORD, by=ADMIN)
    token, _, at = signed_in(db, "alba")
    idle = dt.timedelta(minutes=settings.IDLE_MINUTES)
    second = dt.timedelta(seconds=1)
    assert viewer_of(db, token, now=at + idle - second) is not None  # used just in time: counts as activity
    assert viewer_of(db, token, now=at + 2 * idle - 2 * second) is not None
    assert viewer_of(db, token, now=at + 3 * idle - second) is None  # idle one second too long


def test_a_session_idle_since_sign_in_ends(db, quick_hashes):
    accounts.add(db, "alba", "partner", ["Tiranë"], PASSWORD, by=ADMIN)
    token, _, at = signed_in(db, "alba")
    assert viewer_of(db, token, now=at + dt.timedelta(minutes=settings.IDLE_MINUTES, seconds=1)) is None


def test_a_session_ends_after_the_longest_working_day_however_active(db, quick_hashes):
    accounts.add(db, "alba", "partner", ["Tiranë"], PASSWORD, by=ADMIN)
    token, _, at = signed_in(db, "alba")
    step = dt.timedelta(minutes=settings.IDLE_MINUTES) / 2
    longest = dt.timedelta(hours=settings.SESSION_MAX_HOURS)
    found, hashed = open_session(db, token), accounts.token_hash(token)
    moment = at
    while moment < at + longest - step:
        assert accounts.session_viewer(found, hashed, HERE, now=moment) is not None, moment - at
        moment += step
    assert accounts.session_viewer(found, hashed, HERE, now=at + longest - step / 2) is not None
    assert accounts.session_viewer(found, hashed, HERE, now=at + longest + step / 2) is None


@pytest.mark.parametrize(("end", "only_this_session"), [
    (lambda db, token: accounts.remove(db, "alba", by=ADMIN), False),
    (lambda db, token: accounts.change_password(db, "alba", OTHER_PASSWORD, by=ADMIN), False),
    (lambda db, token: accounts.sign_out(db, token, HERE), True),
    (lambda db, token: accounts.expired(db, token, HERE), True),
], ids=["user removed", "password changed", "signed out", "expired"])
def test_a_session_ends_when_its_user_goes_their_password_changes_or_they_sign_out(db, quick_hashes, end,
                                                                                   only_this_session):
    accounts.add(db, "alba", "partner", ["Tiranë"], PASSWORD, by=ADMIN)
    token, _, at = signed_in(db, "alba")
    second, _, _ = signed_in(db, "alba", THERE)
    other, _, _ = signed_in(db, "ana")
    assert viewer_of(db, token, now=at) is not None
    end(db, token)
    assert open_session(db, token) is None
    assert viewer_of(db, token, now=at) is None
    assert (open_session(db, second) is not None) == only_this_session  # the user's other sessions
    assert open_session(db, other) is not None  # another user's session is untouched


def test_the_first_user_ends_local_mode_at_once_and_a_session_is_known_from_its_sign_in(empty_db, quick_hashes):
    def seen(token: str = "") -> tuple[bool, dict | None]:
        with empty_db.snapshot() as snapshot:
            return accounts.sessions_seen(snapshot, accounts.token_hash(token) if token else "")

    assert seen() == (False, None)
    assert seen() == (False, None)  # asked again with nothing written: the same answer
    accounts.add(empty_db, "ana", "coordinator", [], PASSWORD, by=access.cli_viewer())
    assert seen() == (True, None)
    token, hashed, _ = signed_in(empty_db, "ana")
    users_exist, found = seen(token)
    assert users_exist and found is not None and found["name"] == "ana"
    accounts.sign_out(empty_db, token, HERE)
    assert seen(token) == (True, None)


def test_a_changed_password_replaces_the_old_one(db, quick_hashes):
    accounts.add(db, "alba", "partner", ["Tiranë"], PASSWORD, by=ADMIN)
    accounts.change_password(db, "alba", OTHER_PASSWORD, by=ADMIN)
    assert refused_sign_in(db, "alba", PASSWORD, HERE).reason == "wrong"
    assert accounts.sign_in(db, "alba", OTHER_PASSWORD, HERE)


def test_signing_out_twice_ends_the_session_once(db, quick_hashes):
    accounts.add(db, "alba", "partner", ["Tiranë"], PASSWORD, by=ADMIN)
    token, _, _ = signed_in(db, "alba")
    accounts.sign_out(db, token, HERE)
    accounts.sign_out(db, token, HERE)
    assert [action for _, _, action, _ in audit_log(db)] == ["user_add", "user_add", "signin", "signout"]


# ── the audit log ───────────────────────────────────────────────────────────────────────────

def test_each_account_action_is_in_the_audit_log_once_with_who_address_and_target(db, quick_hashes):
    accounts.add(db, "alba", "partner", ["tirana"], PASSWORD, by=ADMIN)
    refused_sign_in(db, "alba", OTHER_PASSWORD, HERE)
    token = accounts.sign_in(db, "alba", PASSWORD, HERE)
    accounts.sign_out(db, token, THERE)
    token = accounts.sign_in(db, "alba", PASSWORD, THERE)
    accounts.expired(db, token, THERE)
    accounts.change_password(db, "alba", OTHER_PASSWORD, by=ADMIN)
    accounts.remove(db, "alba", by=ADMIN)
    assert audit_log(db) == [
        FIRST,
        ("ana", "10.0.0.1", "user_add", "alba"),
        ("alba", HERE, "signin_failed", "alba"),
        ("alba", HERE, "signin", "alba"),
        ("alba", THERE, "signout", "alba"),
        ("alba", THERE, "signin", "alba"),
        ("alba", THERE, "session_expired", "alba"),
        ("ana", "10.0.0.1", "user_password", "alba"),
        ("ana", "10.0.0.1", "user_remove", "alba"),
    ]
    with db.reading() as con:
        details = con.execute("SELECT target, detail FROM audit WHERE detail IS NOT NULL ORDER BY id").fetchall()
    assert details == [("ana", '{"municipalities": [], "role": "coordinator"}'),
                       ("alba", '{"municipalities": ["Tiranë"], "role": "partner"}')]
