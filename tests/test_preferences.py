"""How a user is written to, on real databases: an e-mail address checked before it is kept, a
language, how often each kind of message comes (only kinds the role hears), who may change whose,
the audit log (never the address itself), and the unsubscribe link's work."""
from __future__ import annotations

import json

import pytest
from test_reporting import ARTA, BESA, DONIKA, DRITAN, add_users

from pop_analytics import preferences, store
from pop_analytics.access import Viewer, cli_viewer
from pop_analytics.database import Database
from pop_analytics.errors import AccessDenied, PreferenceRefused
from pop_analytics.stores import open_database

PARTNER_KINDS = {"approved": "immediately", "rejected": "immediately", "deadline_soon": "immediately",
                 "overdue": "immediately"}


@pytest.fixture
def db(tmp_path) -> Database:
    made = Database(tmp_path / "pop.duckdb")
    made.ensure()
    add_users(made)
    return made


def contact(db: Database, name: str) -> preferences.Contact | None:
    with db.reading() as con:
        return preferences.contact(con, name)


def audit(db: Database, action: str) -> list[tuple]:
    with db.reading() as con:
        return [(r.who, r.address, r.target, json.loads(r.detail)) for r in store.audit_rows(con).itertuples()
                if r.action == action]


# ── the address ──────────────────────────────────────────────────────────────────────────────

@pytest.mark.parametrize(("raw", "kept"), [("arta@example.org", "arta@example.org"),
                                           ("  Arta.Hoxha+pop@mail.example.org \n", "Arta.Hoxha+pop@mail.example.org"),
                                           ("ëlira@shembull.al", "ëlira@shembull.al"),
                                           ("", None), ("   ", None), (None, None)])
def test_an_address_is_kept_trimmed_and_an_empty_one_is_no_email(raw, kept):
    assert preferences.check_email(raw) == kept


@pytest.mark.parametrize("raw", ["arta", "arta@localhost", "arta@@example.org", "arta hoxha@example.org",
                                 "arta@example.org, besa@example.org", "<arta@example.org>", "arta@exa_mple.org",
                                 "arta@example.org\nBcc: x@example.org", "arta@.org"])
def test_what_is_not_one_address_is_refused_with_a_sentence(raw):
    with pytest.raises(PreferenceRefused) as refused:
        preferences.check_email(raw)
    shown = raw.strip()
    assert refused.value.message("en") == f"'{shown}' is not an e-mail address. Write it as name@example.org."
    assert refused.value.message("sq") == f"'{shown}' nuk është adresë e-maili. Shkruajeni si emri@shembull.org."


def test_an_address_longer_than_254_characters_is_refused_and_shown_cut():
    raw = "a" * 243 + "@example.org"  # 255 characters
    with pytest.raises(PreferenceRefused) as refused:
        preferences.check_email(raw)
    assert refused.value.params["value"] == raw[:254]
    assert preferences.check_email(raw[1:]) == raw[1:]  # 254 characters


# ── who sets what ────────────────────────────────────────────────────────────────────────────

def test_a_new_user_has_no_address_the_first_language_and_the_default_cadences_of_their_role(db):
    assert contact(db, "arta") == preferences.Contact("arta", "partner", None, "sq", PARTNER_KINDS)
    assert contact(db, "besa").cadences == {"review_waiting": "daily", "partners_late": "weekly"}
    assert contact(db, "donika").cadences == {"summary_ready": "immediately"}
    assert contact(db, "nobody") is None


def test_a_user_sets_their_own_address_language_and_cadences_and_the_log_keeps_no_address(db):
    found = preferences.set_contact(db, "arta", ARTA, email=" arta@example.org ", language="en",
                                    cadences={"rejected": "daily", "deadline_soon": "never"})
    assert found == preferences.Contact("arta", "partner", "arta@example.org", "en",
                                        {**PARTNER_KINDS, "rejected": "daily", "deadline_soon": "never"})
    assert contact(db, "arta") == found
    assert audit(db, "preferences") == [("arta", "10.0.0.7", "arta", {"deadline_soon": "never", "email": "set",
                                                                       "language": "en", "rejected": "daily"})]
    with db.reading() as con:
        assert "arta@example.org" not in " ".join(str(d) for d in store.audit_rows(con)["detail"])


def test_a_coordinator_sets_anyones_and_clears_an_address(db):
    preferences.set_contact(db, "dritan", BESA, email="dritan@example.org")
    found = preferences.set_contact(db, "dritan", BESA, clear_email=True, cadences={"overdue": "weekly"})
    assert (found.email, found.cadences["overdue"]) == (None, "weekly")
    assert audit(db, "preferences") == [("besa", "10.0.0.9", "dritan", {"email": "removed", "overdue": "weekly"}),
                                        ("besa", "10.0.0.9", "dritan", {"email": "set"})]


def test_the_command_line_acting_as_a_user_sets_their_own(db):
    with db.reading() as con:
        user = store.user(con, "arta")
    found = preferences.set_contact(db, "arta", cli_viewer(user), language="en")
    assert found.language == "en"


@pytest.mark.parametrize("by", [DRITAN, DONIKA, Viewer("arta", "partner", ("Tiranë",), how="token")],
                         ids=["another partner", "a donor", "her own API token"])
def test_nobody_else_changes_a_users_preferences(db, by):
    with pytest.raises(AccessDenied) as refused:
        preferences.set_contact(db, "arta", by, email="someone@example.org")
    assert refused.value.message("en") == f"{by.name} ({by.role}) may not manage users: only a coordinator may."
    assert contact(db, "arta").email is None
    assert audit(db, "preferences") == []


REFUSED = {  # (user, what is asked, en sentence)
    "a kind a partner does not hear": ("arta", {"cadences": {"review_waiting": "daily"}},
                                       "'review_waiting' is not a kind of message this user gets. "
                                       "Choose one of: approved, rejected, deadline_soon, overdue."),
    "a kind a donor does not hear": ("donika", {"cadences": {"approved": "daily"}},
                                     "'approved' is not a kind of message this user gets. "
                                     "Choose one of: summary_ready."),
    "a kind a coordinator does not hear": ("besa", {"cadences": {"overdue": "daily"}},
                                           "'overdue' is not a kind of message this user gets. "
                                           "Choose one of: review_waiting, partners_late."),
    "no such kind": ("besa", {"cadences": {"everything": "daily"}},
                     "'everything' is not a kind of message this user gets. "
                     "Choose one of: review_waiting, partners_late."),
    "no such cadence": ("arta", {"cadences": {"rejected": "hourly"}},
                        "'hourly' is not how often a message can come. "
                        "Choose one of: immediately, daily, weekly, never."),
    "no such language": ("arta", {"language": "fr"},
                         "'fr' is not a language of the app. Choose one of: sq, en."),
    "no such user": ("nobody", {"language": "en"}, "There is no user 'nobody'."),
    "no address": ("arta", {"email": "arta"}, "'arta' is not an e-mail address. Write it as name@example.org."),
}


@pytest.mark.parametrize("case", REFUSED)
def test_a_preference_that_cannot_be_is_refused_and_nothing_of_the_request_is_kept(db, case):
    name, asked, sentence = REFUSED[case]
    before = contact(db, name)
    with pytest.raises(PreferenceRefused) as refused:  # the address with it is not kept either
        preferences.set_contact(db, name, BESA, **{"email": f"{name}@example.org", **asked})
    assert refused.value.message("en") == sentence
    assert contact(db, name) == before
    assert audit(db, "preferences") == []


# ── unsubscribing ────────────────────────────────────────────────────────────────────────────

def test_unsubscribing_from_one_kind_sets_it_to_never_and_the_rest_stays(db):
    preferences.set_contact(db, "arta", BESA, email="arta@example.org", cadences={"approved": "daily"})
    assert preferences.unsubscribe(db, "arta", "rejected", "203.0.113.5") is True
    assert contact(db, "arta").cadences == {**PARTNER_KINDS, "approved": "daily", "rejected": "never"}
    assert [(who, address, target, detail["kinds"]) for who, address, target, detail in audit(db, "unsubscribe")] == [
        ("arta", "203.0.113.5", "arta", ["rejected"])]
    assert contact(db, "arta").email == "arta@example.org"


def test_unsubscribing_from_all_sets_every_kind_the_user_hears_to_never(db):
    assert preferences.unsubscribe(db, "besa", "all", None) is True
    assert contact(db, "besa").cadences == {"review_waiting": "never", "partners_late": "never"}


def test_unsubscribing_from_a_kind_the_user_does_not_hear_changes_nothing(db):
    assert preferences.unsubscribe(db, "arta", "review_waiting", None) is True
    assert contact(db, "arta").cadences == PARTNER_KINDS
    assert [detail["kinds"] for *_, detail in audit(db, "unsubscribe")] == [[]]


def test_unsubscribing_a_user_who_is_gone_is_false(db):
    assert preferences.unsubscribe(db, "nobody", "all", None) is False
    assert audit(db, "unsubscribe") == []


def test_preferences_and_unsubscribing_in_postgresql(new_postgres):
    db = open_database(new_postgres(demo=False))
    db.ensure()
    add_users(db)
    preferences.set_contact(db, "arta", ARTA, email="arta@example.org", language="en", cadences={"rejected": "daily"})
    preferences.set_contact(db, "arta", ARTA, cadences={"rejected": "weekly"})
    preferences.unsubscribe(db, "arta", "approved", None)
    assert contact(db, "arta") == preferences.Contact(
        "arta", "partner", "arta@example.org", "en", {**PARTNER_KINDS, "rejected": "weekly", "approved": "never"})


def test_a_refused_preference_changes_nothing_in_postgresql_either(new_postgres):
    db = open_database(new_postgres(demo=False))
    db.ensure()
    add_users(db)
    with pytest.raises(PreferenceRefused):
        preferences.set_contact(db, "arta", BESA, email="arta@example.org", language="fr")
    assert contact(db, "arta").email is None
