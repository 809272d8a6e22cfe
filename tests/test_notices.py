"""What each person is told, worked out from the reporting story of test_reporting (files sent,
approved, rejected, undone, each on its own day) with today pinned: each capability's notices,
within the reader's sight (a partner never about another municipality or another's import, a donor
never about a submitted import), keys that stay the same from day to day, the exact sentences in
both languages, and notices marked read."""
from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest
from test_reporting import ARTA, BESA, DONIKA, DRITAN, ERION, FATJON, REJECTION, story_db, tell_story  # noqa: F401 (a fixture)

from pop_analytics import notices, reporting
from pop_analytics.access import Viewer
from pop_analytics.database import Database
from pop_analytics.notices import Notice
from pop_analytics.scope import DONOR_SIGHT
from pop_analytics.stores import open_database

# Two days before March's deadline (10 April); NOTICE_DAYS (45) reach back to 23 February.
TODAY = dt.date(2024, 4, 8)
# The story's imports are numbered in the order they were stored.
IDS = {"tirane_q1": 2, "berat_jan": 4, "berat_feb": 5, "berat_mar": 6}
STILL_MISSING_FEBRUARY = ("Durrës, Elbasan, Fier, Kamëz, Korçë, Kukës, Pogradec, Pukë, Shkodër, Vau i Dejës, "
                          "Vlorë")  # the network's members but Tiranë, which reported February


def _late(kind_of_notice: str, prefix: str, municipalities: str, count: int) -> Notice:
    return Notice(f"{prefix}:activities:2024-02", kind_of_notice, dt.datetime(2024, 3, 11),
                  {"kind": "activities", "period": "2024-02", "frequency": "monthly", "due": "2024-03-10",
                   "municipalities": municipalities, "count": count},
                  "reporting", {"kind": "activities", "year": "2024"})


def _reviewed(status: str, label: str, at: dt.datetime, **more: object) -> Notice:
    return Notice(f"{status}:{IDS[label]}", status, at,
                  {"import_id": IDS[label], "file": f"{label}.xlsx", "who": "besa", **more}, "history", {})


REVIEW_WAITING = Notice(f"review:{IDS['berat_feb']}", "review_waiting", dt.datetime(2024, 3, 1, 12),
                        {"import_id": IDS["berat_feb"], "file": "berat_feb.xlsx", "who": "dritan"}, "history",
                        {"review": str(IDS["berat_feb"])})
PARTNERS_LATE = _late("partners_late", "late", STILL_MISSING_FEBRUARY, 11)
OVERDUE = _late("overdue", "overdue", "Durrës", 1)
DEADLINE_SOON = Notice("deadline:activities:2024-03", "deadline_soon", dt.datetime(2024, 4, 5),
                       {"kind": "activities", "period": "2024-03", "frequency": "monthly", "due": "2024-04-10",
                        "days": 2, "municipalities": "Durrës", "count": 1}, "upload", {})
APPROVED_TIRANE = _reviewed("approved", "tirane_q1", dt.datetime(2024, 3, 9, 9))
APPROVED_BERAT = _reviewed("approved", "berat_jan", dt.datetime(2024, 3, 1, 9))
REJECTED_BERAT = _reviewed("rejected", "berat_mar", dt.datetime(2024, 4, 3, 9), comment=REJECTION)
SUMMARY = Notice("summary:2024-02", "summary_ready", dt.datetime(2024, 3, 11),
                 {"period": "2024-02", "frequency": "monthly", "year": 2024}, "overview", {"year": "2024"})

# Each person's notices on TODAY, newest first.
TOLD = {
    "besa": (BESA, [PARTNERS_LATE, REVIEW_WAITING]),
    "erion": (ERION, [DEADLINE_SOON, OVERDUE]),             # Durrës: February undone, March not sent yet
    "arta": (ARTA, [APPROVED_TIRANE]),                      # her January file was approved before 23 February
    "fatjon": (FATJON, []),                                 # Tiranë too, but he sent nothing
    "dritan": (DRITAN, [REJECTED_BERAT, APPROVED_BERAT]),   # Berat's February waits, its March was rejected
    "donika": (DONIKA, [SUMMARY]),
    # A partner of two municipalities (no user row needed to work out what to tell): one notice names both.
    "gent": (Viewer("gent", "partner", ("Durrës", "Fier"), "10.0.0.3"),
             [replace(DEADLINE_SOON, params={**DEADLINE_SOON.params, "municipalities": "Durrës, Fier", "count": 2}),
              _late("overdue", "overdue", "Durrës, Fier", 2)]),
}


def facts(path, today: dt.date = TODAY, sight=None) -> notices.Facts:
    with Database(path).reading(**({"sight": sight} if sight else {})) as con:
        return notices.gather(con, today)


@pytest.mark.parametrize("who", TOLD)
def test_each_person_is_told_what_their_role_hears_about(story_db, who):  # noqa: F811
    viewer, expected = TOLD[who]
    assert notices.for_viewer(facts(story_db[0]), viewer) == expected


@pytest.mark.parametrize("who", TOLD)
def test_the_bell_read_within_the_readers_sight_tells_the_same(story_db, who):  # noqa: F811
    viewer, expected = TOLD[who]
    assert notices.for_viewer(facts(story_db[0], sight=viewer.sight()), viewer) == expected


@pytest.mark.parametrize("who", ["arta", "fatjon", "dritan", "erion", "gent"])
def test_a_partner_is_never_told_about_another_municipality_or_anothers_import(story_db, who):  # noqa: F811
    viewer, _ = TOLD[who]
    found = notices.for_viewer(facts(story_db[0]), viewer)
    with Database(story_db[0]).reading() as con:
        theirs = {i for (i,) in con.execute("SELECT id FROM imports WHERE imported_by = ?", [who]).fetchall()}
    for notice in found:
        assert set(str(notice.params.get("municipalities", viewer.municipalities[0])).split(", ")) <= set(
            viewer.municipalities or ())
        assert "import_id" not in notice.params or notice.params["import_id"] in theirs


@pytest.mark.parametrize("sight", [None, DONOR_SIGHT])
def test_a_donor_is_never_told_about_a_submitted_import(story_db, sight):  # noqa: F811
    found = notices.for_viewer(facts(story_db[0], sight=sight), DONIKA)
    assert [n.kind for n in found] == ["summary_ready"]
    assert all("import_id" not in n.params for n in found)


def test_a_notice_keeps_its_key_from_one_day_to_the_next(story_db):  # noqa: F811
    today = notices.for_viewer(facts(story_db[0]), ERION)
    tomorrow = notices.for_viewer(facts(story_db[0], TODAY + dt.timedelta(days=1)), ERION)
    assert [n.key for n in tomorrow] == [n.key for n in today] == ["deadline:activities:2024-03",
                                                                    "overdue:activities:2024-02"]
    assert [n.params.get("days") for n in tomorrow] == [1, None]


def test_a_deadline_is_told_from_five_days_before_it_to_its_day(story_db):  # noqa: F811
    def deadline_keys(today: dt.date) -> list[str]:
        return [n.key for n in notices.for_viewer(facts(story_db[0], today), ERION) if n.kind == "deadline_soon"]
    assert deadline_keys(dt.date(2024, 4, 4)) == []
    assert deadline_keys(dt.date(2024, 4, 5)) == ["deadline:activities:2024-03"]
    assert deadline_keys(dt.date(2024, 4, 10)) == ["deadline:activities:2024-03"]
    assert deadline_keys(dt.date(2024, 4, 11)) == []


# Durrës reported neither December 2023's activities (due 10 January 2024) nor 2023's priority
# monitoring (due 31 January 2024): each is overdue from the day after its deadline for NOTICE_DAYS.
DECEMBER, PRIORITIES_2023 = "overdue:activities:2023-12", "overdue:priorities:2023"
LAST_YEARS = [
    (DECEMBER, dt.date(2024, 1, 11), True), (DECEMBER, dt.date(2024, 2, 14), True),
    (DECEMBER, dt.date(2024, 2, 15), True), (DECEMBER, dt.date(2024, 2, 24), True),
    (DECEMBER, dt.date(2024, 2, 25), False),
    (PRIORITIES_2023, dt.date(2024, 2, 1), True), (PRIORITIES_2023, dt.date(2024, 2, 15), True),
    (PRIORITIES_2023, dt.date(2024, 3, 16), True), (PRIORITIES_2023, dt.date(2024, 3, 17), False),
]


@pytest.mark.parametrize(("key", "today", "told"), LAST_YEARS)
def test_a_report_of_last_year_is_overdue_for_notice_days_after_its_deadline(story_db, key, today, told):  # noqa: F811
    assert (key in [n.key for n in notices.for_viewer(facts(story_db[0], today), ERION)]) is told


def test_a_deadline_two_months_after_the_year_is_reminded_before_it(story_db, tmp_path):  # noqa: F811
    db = Database(tmp_path / "pop.duckdb")
    db.path.write_bytes(story_db[0].read_bytes())
    reporting.set_schedule(db, BESA, "priorities", "yearly", 60)  # 2023's monitoring is due on 29 February 2024
    with db.reading() as con:
        found = notices.for_viewer(notices.gather(con, dt.date(2024, 2, 25)), ERION)
    assert [(n.key, n.params["days"]) for n in found if n.kind == "deadline_soon"] == [("deadline:priorities:2023", 4)]


def test_a_notice_links_to_its_view_in_the_readers_language():
    assert PARTNERS_LATE.link("sq") == "/reporting?kind=activities&year=2024&lang=sq"
    assert REVIEW_WAITING.link("en") == f"/history?review={IDS['berat_feb']}&lang=en"
    assert SUMMARY.link("en") == "/overview?year=2024&lang=en"


def test_each_person_is_told_the_same_from_postgresql(tmp_path, new_postgres):
    db = open_database(new_postgres(demo=False))
    tell_story(db, tmp_path)
    for viewer, expected in TOLD.values():
        for sight in (None, viewer.sight()):
            with db.reading(**({"sight": sight} if sight else {})) as con:
                assert notices.for_viewer(notices.gather(con, TODAY), viewer) == expected, (viewer.name, sight)


# ── the sentences ────────────────────────────────────────────────────────────────────────────

SENTENCES = [
    (REVIEW_WAITING, "Import #5 (berat_feb.xlsx) from dritan awaits your review.",
     "Importi #5 (berat_feb.xlsx) nga dritan pret shqyrtimin tuaj."),
    (PARTNERS_LATE, f"11 municipalities have not sent the report on activities for Feb 2024 (due 10 Mar 2024): "
                    f"{STILL_MISSING_FEBRUARY}.",
     f"11 bashki nuk kanë dërguar raportin (aktivitetet) për 02.2024 (afati 10.03.2024): {STILL_MISSING_FEBRUARY}."),
    (_late("partners_late", "late", "Durrës", 1),
     "Durrës has not sent the report on activities for Feb 2024 (due 10 Mar 2024).",
     "Durrës nuk ka dërguar raportin (aktivitetet) për 02.2024 (afati 10.03.2024)."),
    (TOLD["gent"][1][1], "Durrës, Fier: the report on activities for Feb 2024 was due on 10 Mar 2024 and has not "
                         "arrived. Upload it now.",
     "Durrës, Fier: raporti (aktivitetet) për 02.2024 duhej dorëzuar më 10.03.2024 dhe nuk ka ardhur. "
     "Ngarkojeni tani."),
    (OVERDUE, "Durrës: the report on activities for Feb 2024 was due on 10 Mar 2024 and has not arrived. "
              "Upload it now.",
     "Durrës: raporti (aktivitetet) për 02.2024 duhej dorëzuar më 10.03.2024 dhe nuk ka ardhur. Ngarkojeni tani."),
    (DEADLINE_SOON, "Durrës: the report on activities for Mar 2024 is due on 10 Apr 2024.",
     "Durrës: raporti (aktivitetet) për 03.2024 duhet dorëzuar më 10.04.2024."),
    (APPROVED_TIRANE, "Your import #2 (tirane_q1.xlsx) was approved by besa: donors see it now.",
     "Importi juaj #2 (tirane_q1.xlsx) u miratua nga besa: tani e shohin edhe donatorët."),
    (REJECTED_BERAT, "Your import #6 (berat_mar.xlsx) was rejected by besa, who wrote: “Mungojnë pjesëmarrësit e "
                     "marsit.” Fix it and upload it again.",
     "Importi juaj #6 (berat_mar.xlsx) u refuzua nga besa, që shkroi: “Mungojnë pjesëmarrësit e marsit.” "
     "Korrigjojeni dhe ngarkojeni përsëri."),
    (SUMMARY, "The summary for Feb 2024 is ready: the reports of that period were due.",
     "Përmbledhja për 02.2024 është gati: raportet e asaj periudhe kishin afat."),
]


@pytest.mark.parametrize(("notice", "en", "sq"), SENTENCES, ids=lambda v: v.key if isinstance(v, Notice) else "")
def test_a_notice_reads_as_a_sentence_in_each_language(notice, en, sq):
    assert (notices.render(notice, "en"), notices.render(notice, "sq")) == (en, sq)


SHORT = [
    (REVIEW_WAITING, "import #5 awaits review", "importi #5 pret shqyrtim"),
    (PARTNERS_LATE, "report on activities for Feb 2024 not sent", "raporti (aktivitetet) për 02.2024 i padërguar"),
    (OVERDUE, "report on activities for Feb 2024 overdue", "raporti (aktivitetet) për 02.2024 me afat të kaluar"),
    (DEADLINE_SOON, "report on activities for Mar 2024 due on 10 Apr 2024",
     "raporti (aktivitetet) për 03.2024, afati 10.04.2024"),
    (REJECTED_BERAT, "import #6 rejected", "importi #6 u refuzua"),
    (SUMMARY, "the summary for Feb 2024 is ready", "përmbledhja për 02.2024 është gati"),
]


@pytest.mark.parametrize(("notice", "en", "sq"), SHORT, ids=lambda v: v.key if isinstance(v, Notice) else "")
def test_a_notice_has_a_short_line_for_a_subject(notice, en, sq):
    assert (notices.render(notice, "en", short=True), notices.render(notice, "sq", short=True)) == (en, sq)


# ── read and unread ──────────────────────────────────────────────────────────────────────────

def test_marked_read_notices_are_read_by_that_person_only_in_both_stores(demo_store):
    db = open_database(demo_store)
    with db.writing(data=False) as con:
        notices.mark_read(con, "erion", ["overdue:activities:2024-02", "deadline:activities:2024-03"])
    with db.writing(data=False) as con:  # marking again, or a key twice, changes nothing
        notices.mark_read(con, "erion", ["overdue:activities:2024-02", "overdue:activities:2024-02"])
        notices.mark_read(con, "besa", ["late:activities:2024-02"])
    with db.reading() as con:
        assert notices.read_keys(con, "erion") == {"overdue:activities:2024-02", "deadline:activities:2024-03"}
        assert notices.read_keys(con, "besa") == {"late:activities:2024-02"}
        assert notices.read_keys(con, "arta") == frozenset()


def test_the_bells_count_is_the_notices_not_marked_read(story_db, tmp_path):  # noqa: F811
    db = Database(tmp_path / "pop.duckdb")
    db.path.write_bytes(story_db[0].read_bytes())
    with db.writing(data=False) as con:
        notices.mark_read(con, "erion", [OVERDUE.key])
    with db.reading() as con:
        unread = [n for n in notices.for_viewer(notices.gather(con, TODAY), ERION)
                  if n.key not in notices.read_keys(con, "erion")]
    assert unread == [DEADLINE_SOON]

