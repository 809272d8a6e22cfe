"""access: every role rule is a capability asked of access, and a stored user becomes a Viewer one way
(signing in and acting for a user at the command line alike). Pure functions: no database."""
from __future__ import annotations

import pytest

from pop_analytics import access
from pop_analytics.access import Viewer
from pop_analytics.scope import DONOR_SIGHT, EVERYTHING, Sight

CAPABILITIES = ("read", "see_submitted", "see_notes", "upload", "history", "undo", "review", "save_mapping",
                "manage_users", "read_audit", "all_municipalities", "read_rows", "set_schedule", "see_reporting",
                "report", "hear_reviews", "hear_own_imports", "follow_summaries")

# role → capabilities, one row per role, one column per capability (in CAPABILITIES' order); admin is no role.
TABLE = {
    #              read sub notes upl hist undo rev map users audit all rows sched seerep report hrev hown follow
    "coordinator": (1,  1,  1,    1,  1,   1,   1,  1,  1,    1,    1,  1,   1,    1,     0,     1,   0,   0),
    "partner":     (1,  1,  1,    1,  1,   0,   0,  1,  0,    0,    0,  1,   0,    1,     1,     0,   1,   0),
    "donor":       (1,  0,  0,    0,  0,   0,   0,  0,  0,    0,    1,  0,   0,    0,     0,     0,   0,   1),
    "admin":       (0,  0,  0,    0,  0,   0,   0,  0,  0,    0,    0,  0,   0,    0,     0,     0,   0,   0),
}


@pytest.mark.parametrize(("role", "capability", "allowed"),
                         [(role, capability, bool(row[i])) for role, row in TABLE.items()
                          for i, capability in enumerate(CAPABILITIES)])
def test_each_role_may_exactly_its_capabilities(role, capability, allowed):
    assert access.may(role, capability) is allowed
    assert Viewer(name="x", role=role).may(capability) is allowed


def test_every_capability_a_role_has_is_in_the_table():
    assert set().union(*access.ALLOWED.values()) == set(CAPABILITIES)
    assert set(access.ALLOWED) == set(access.ROLES)


ROWS = {
    "coordinator": {"name": "ana", "role": "coordinator", "municipalities": []},
    "partner": {"name": "alba", "role": "partner", "municipalities": ["Durrës", "Tiranë"]},
    "donor": {"name": "dona", "role": "donor", "municipalities": []},
}


@pytest.mark.parametrize(("role", "municipalities", "review", "sight", "approved_sight"), [
    ("coordinator", None, "approved", EVERYTHING, Sight(approved_only=True)),
    ("partner", ("Durrës", "Tiranë"), "submitted", Sight(municipalities=("Durrës", "Tiranë")),
     Sight(municipalities=("Durrës", "Tiranë"))),
    ("donor", None, "submitted", DONOR_SIGHT, DONOR_SIGHT),
])
def test_a_stored_user_is_the_same_viewer_signed_in_and_at_the_command_line(role, municipalities, review, sight,
                                                                           approved_sight):
    row = ROWS[role]
    signed_in = access.user_viewer(row, "192.0.2.10")
    assert signed_in == Viewer(name=row["name"], role=role, municipalities=municipalities, address="192.0.2.10")
    assert access.cli_viewer(row) == Viewer(name=row["name"], role=role, municipalities=municipalities,
                                            address=f"cli:{access.cli_viewer().name}", how="cli")
    assert (signed_in.review, signed_in.sight(), signed_in.sight(include_submitted=False)) == (
        review, sight, approved_sight)


@pytest.mark.parametrize(("viewer", "role", "how"), [
    (access.cli_viewer(), "coordinator", "cli"),
    (access.local_viewer(), "coordinator", "local"),
    (access.public_viewer(), "donor", "public"),
])
def test_the_machine_owner_and_the_public_reader_act_in_fixed_roles(viewer, role, how):
    assert (viewer.role, viewer.how, viewer.municipalities) == (role, how, None)
