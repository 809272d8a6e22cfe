"""store: the DuckDB schema and its migrations, writing, replacing, undoing, history and snapshots."""
from __future__ import annotations

import datetime as dt
import hashlib

import duckdb
import pytest
from conftest import ACTIVITY_HEADERS, PRIORITY_HEADERS, TODAY, write_xlsx

from pop_analytics import reading, store, validate
from pop_analytics.errors import DatabaseTooNew, MigrationFailed, UndoRefused


def batch_of(path):
    return validate.validate(reading.read(path.read_bytes(), path.name), today=TODAY)


def write_file(con, path, who="test"):
    """Validate a real file and write it as the importer does; returns (import id, replaced)."""
    return store.write(con, batch_of(path), path.name, hashlib.sha256(path.read_bytes()).hexdigest(), who=who)


def priorities_xlsx(path, rows):
    return write_xlsx(path, {"Prioritetet": [PRIORITY_HEADERS, *rows]})


def activities_xlsx(path, rows):
    return write_xlsx(path, {"Aktivitetet": [ACTIVITY_HEADERS, *rows]})


def fier(code, year, status, title="Ujë i pijshëm 24 orë", theme="Uji i pijshëm"):
    return ["2019-2023", "Fier", code, title, theme, year, status, None]


def event(day, municipality, kind="Fokus grup", events=1, participants=20):
    return [day, municipality, kind, events, participants, None, None, None, None]


def current(con, sql):
    return con.execute(sql).fetchall()


# ----------------------------------------------------------------------------------- schema and migrations

def test_a_new_database_gets_the_whole_schema_at_the_current_version(con):
    tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    assert tables == {"schema_version", "imports", "priorities", "priority_status", "activities", "figures", "aliases",
                      "users", "sessions", "audit", "targets", "api_tokens", "options", "reporting_schedule",
                      "import_periods", "reported_periods", "preferences", "notices_read", "messages", "deliveries",
                      "current_priorities", "current_priority_status", "current_activities", "current_figures",
                      "approved_priorities", "approved_priority_status", "approved_activities", "approved_figures",
                      "current_targets", "approved_targets", "activity_totals", "current_activity_totals",
                      "approved_activity_totals"}
    assert store.schema_version(con) == store.SCHEMA_VERSION == 12
    versions = con.execute("SELECT version FROM schema_version ORDER BY version").fetchall()
    assert [r[0] for r in versions] == list(range(1, store.SCHEMA_VERSION + 1))
    assert {r[0] for r in con.execute("SELECT sequence_name FROM duckdb_sequences()").fetchall()} == {
        "import_ids", "alias_ids", "audit_ids", "token_ids", "message_ids"}
    # the review columns of an import, and each data table's second (donors') supersede mark
    assert [r[0] for r in con.execute("SELECT column_name FROM information_schema.columns WHERE table_name = 'imports' "
                                      "ORDER BY ordinal_position").fetchall()] == [
        "id", "file_name", "sha256", "kind", "rows", "imported_by", "imported_at", "state", "undone_at", "review",
        "reviewed_by", "reviewed_at", "review_comment", "mode", "warnings", "comment_read_at"]
    for table in store.DATA_TABLES:
        columns = [r[0] for r in con.execute("SELECT column_name FROM information_schema.columns WHERE table_name = ? "
                                             "ORDER BY ordinal_position", [table]).fetchall()]
        assert "approved_superseded_by" in columns
        views = [[r[0] for r in con.execute("SELECT column_name FROM information_schema.columns WHERE table_name = ? "
                                            "ORDER BY ordinal_position", [f"{view}_{table}"]).fetchall()]
                 for view in ("current", "approved")]
        assert views == [[c for c in columns if c not in ("superseded_by", "approved_superseded_by")]] * 2


def test_opening_a_current_database_again_migrates_nothing(db_path):
    store.connect(db_path).close()
    con = store.connect(db_path)
    assert con.execute("SELECT count(*) FROM schema_version").fetchone()[0] == store.SCHEMA_VERSION
    con.close()


def test_a_file_without_the_version_table_is_version_0_and_then_what_the_table_says():
    """DuckDB reads a table that SQL names and the catalogue lacks from a Python object of that name in
    the calling module (store's own `schema_version` function is one): the version comes from the file."""
    empty = duckdb.connect()
    assert store.schema_version(empty) == 0
    empty.execute("CREATE TABLE schema_version (version INTEGER, applied_at TIMESTAMP)")
    assert store.schema_version(empty) == 0
    empty.execute("INSERT INTO schema_version VALUES (3, now())")
    assert store.schema_version(empty) == 3


def test_a_version_1_file_is_migrated_to_the_current_version_with_its_data_kept(db_path, tmp_path):
    old = duckdb.connect(str(db_path))
    assert store.migrate(old, target=1) == 1
    assert store.schema_version(old) == 1
    # rows as a version-1 release wrote them (today's writer needs today's columns)
    old.execute("""INSERT INTO imports VALUES (nextval('import_ids'), 'p.xlsx', 'aa', 'priorities', 1, 'test',
                   TIMESTAMP '2021-05-01 10:00', 'stored', NULL),
                  (nextval('import_ids'), 'a.xlsx', 'bb', 'activities', 2, 'test', TIMESTAMP '2021-05-02 10:00',
                   'stored', NULL)""")
    old.execute("""INSERT INTO priorities VALUES ('2019-2023', 'Fier', 'FIE-01', 'Ujë i pijshëm 24 orë', 'water', 1,
                   'Prioritetet', 2, NULL)""")
    old.execute("""INSERT INTO priority_status VALUES ('2019-2023', 'Fier', 'FIE-01', 2021, 'partially', NULL, NULL, 1,
                   'Prioritetet', 2, NULL)""")
    old.execute("""INSERT INTO activities VALUES
                   (DATE '2021-03-04', 2021, 3, '2019-2023', 'Fier', 'focus_group', 1, 20, NULL, NULL, NULL,
                    ['water', 'roads'], NULL, NULL, NULL, NULL, 2, 'Aktivitetet', 2, NULL),
                   (DATE '2021-03-05', 2021, 3, '2019-2023', 'Fier', 'training', 2, 30, NULL, NULL, NULL,
                    [], NULL, NULL, NULL, NULL, 2, 'Aktivitetet', 3, NULL)""")
    v1_tables = ("priorities", "priority_status", "activities")
    before = {t: sorted(map(repr, old.execute(f"SELECT * EXCLUDE (import_id, superseded_by) FROM {t}").fetchall()))
              for t in v1_tables}
    tables_v1 = {r[0] for r in old.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    old.close()
    assert "figures" not in tables_v1

    con = store.connect(db_path)
    assert store.schema_version(con) == store.SCHEMA_VERSION
    after = store.snapshot(con)
    # every value kept; a priority gains a deadline of its own, which version 1 did not know (none)
    assert after["priority_status"] == before["priority_status"]
    assert after["priorities"] == [row[:-1] + ", None)" for row in before["priorities"]]
    # the activities keep every value and gain their themes as bits (water 1 + roads 8; none)
    assert current(con, "SELECT excel_row, themes, theme_mask FROM current_activities ORDER BY excel_row") == [
        (2, ["water", "roads"], 9), (3, [], 0)]
    assert sorted(map(repr, current(con, "SELECT * EXCLUDE (import_id, superseded_by, approved_superseded_by, "
                                         "theme_mask) FROM activities"))) == before["activities"]
    assert after["figures"] == []
    # imports stored before approval existed were live at once: they stay approved, and donors see every row
    assert current(con, "SELECT id, file_name, state, review, reviewed_by, reviewed_at, review_comment FROM imports "
                        "ORDER BY id") == [(1, "p.xlsx", "stored", "approved", None, None, None),
                                           (2, "a.xlsx", "stored", "approved", None, None, None)]
    for table in store.DATA_TABLES:
        assert sorted(map(repr, current(con, f"SELECT * FROM approved_{table}"))) == sorted(
            map(repr, current(con, f"SELECT * FROM current_{table}")))
    assert current(con, "SELECT count(*) FROM approved_activities") == [(2,)]
    # imports stored before the choice existed replaced their months, and kept no warnings
    assert current(con, "SELECT id, mode, warnings FROM imports ORDER BY id") == [
        (1, "replace", None), (2, "replace", None)]
    # and the new table works: the next import id continues the sequence
    figures = write_xlsx(tmp_path / "f.xlsx", {"Shifrat": [["Viti", "Treguesi", "Vlera"], [2021, "events", 3]]})
    assert write_file(con, figures)[0] == 3
    assert current(con, "SELECT year, indicator, value FROM figures") == [(2021, "events", 3.0)]
    con.close()


def test_a_read_only_connection_leaves_an_old_file_as_it_is(db_path):
    old = duckdb.connect(str(db_path))
    store.migrate(old, target=1)
    old.close()
    con = store.connect(db_path, read_only=True)
    assert store.schema_version(con) == 1
    con.close()


def test_a_failing_migration_step_is_rolled_back_with_its_version_record(db_path):
    con = store.connect(db_path)
    broken = (*store.MIGRATIONS, ("CREATE TABLE extra (a INTEGER)", "CREATE TABLE extra (a INTEGER)"))
    with pytest.raises(MigrationFailed) as caught:
        store.migrate(con, target=len(broken), name="pop.duckdb", migrations=broken)
    assert (caught.value.reason, caught.value.params["version"]) == ("migration_failed", store.SCHEMA_VERSION + 1)
    assert caught.value.message("en").startswith(
        f"Bringing the database pop.duckdb forward to schema version {store.SCHEMA_VERSION + 1} failed, and that "
        "step was undone: the file is as it was. Detail: Catalog Error: Table with name \"extra\" already exists!")
    # the connection is usable (no aborted transaction) and nothing of that step is there
    assert store.schema_version(con) == store.SCHEMA_VERSION
    assert con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = 'extra'").fetchone()[0] == 0
    con.close()


def test_a_file_from_a_newer_release_is_refused_and_not_written(db_path):
    con = store.connect(db_path)
    con.execute("INSERT INTO schema_version VALUES (99, now())")
    con.close()
    before = db_path.read_bytes()
    with pytest.raises(DatabaseTooNew) as caught:
        store.connect(db_path)
    assert caught.value.message("en") == (
        "The database pop.duckdb was written by a newer release of POP Analytics (schema version 99; this release "
        f"reads up to {store.SCHEMA_VERSION}). Nothing was read from or written to it. Update POP Analytics.")
    assert db_path.read_bytes() == before


def test_write_stores_rows_with_their_import_sheet_and_excel_row(con, tmp_path):
    path = priorities_xlsx(tmp_path / "fier.xlsx", [fier("FIE-01", 2020, "Pa adresuar"),
                                                    fier("FIE-01", 2021, "Pjesërisht")])
    import_id, replaced = write_file(con, path, who="arta")
    assert (import_id, replaced) == (1, {})
    assert current(con, "SELECT id, file_name, kind, rows, imported_by, state, undone_at FROM imports") == [
        (1, "fier.xlsx", "priorities", 2, "arta", "stored", None)]
    assert current(con, "SELECT cycle, municipality, code, title, theme, import_id, sheet, excel_row, superseded_by "
                        "FROM priorities") == [
        ("2019-2023", "Fier", "FIE-01", "Ujë i pijshëm 24 orë", "water", 1, "Prioritetet", 3, None)]
    assert current(con, "SELECT year, status, import_id, sheet, excel_row FROM priority_status ORDER BY year") == [
        (2020, "not_addressed", 1, "Prioritetet", 2), (2021, "partially", 1, "Prioritetet", 3)]
    assert store.find_stored(con, hashlib.sha256(path.read_bytes()).hexdigest()) == 1
    assert store.find_stored(con, "0" * 64) is None


def test_activities_are_stored_with_year_month_and_themes(con, tmp_path):
    path = write_xlsx(tmp_path / "a.xlsx", {"Aktivitetet": [
        ACTIVITY_HEADERS,
        [dt.datetime(2023, 10, 3), "Tirana", "10 fokus grupe - 200 gra dhe burra", None, None, 120, 80, 30,
         "Kopshte; Rrugët"]]})
    write_file(con, path)
    assert current(con, "SELECT date, year, month, cycle, municipality, type, events, participants, women, men, youth, "
                        "themes, partner FROM activities") == [
        (dt.date(2023, 10, 3), 2023, 10, "2023-2027", "Tiranë", "focus_group", 10, 200, 120, 80, 30,
         ["kindergartens", "roads"], 'Qendra "Aleanca Gjinore për Zhvillim"')]


def test_a_write_that_fails_midway_stores_nothing(con, tmp_path):
    batch = batch_of(priorities_xlsx(tmp_path / "p.xlsx", [fier("FIE-01", 2021, "Plotësisht"),
                                                           fier("FIE-02", 2021, "Pjesërisht")]))
    batch.priorities.loc[1, "title"] = None  # a NOT NULL column: the database refuses the second row
    with pytest.raises(duckdb.ConstraintException):
        store.write(con, batch, "p.xlsx", "a" * 64, who="test")
    assert current(con, "SELECT count(*) FROM imports") == [(0,)]
    assert store.snapshot(con) == {t: [] for t in store.DATA_TABLES}
    # the sequence may have moved on, but the database still takes the next file
    batch.priorities.loc[1, "title"] = "Rrugë"
    import_id, _ = store.write(con, batch, "p.xlsx", "a" * 64, who="test")
    assert current(con, "SELECT id, state FROM imports") == [(import_id, "stored")]


# ----------------------------------------------------------------------------------- replacing

def test_a_newer_status_replaces_the_same_priority_and_year_only(con, tmp_path):
    first = priorities_xlsx(tmp_path / "v1.xlsx", [fier("FIE-01", 2020, "Pa adresuar"),
                                                    fier("FIE-01", 2021, "Pa adresuar"),
                                                    fier("FIE-02", 2021, "Pjesërisht")])
    second = priorities_xlsx(tmp_path / "v2.xlsx", [fier("FIE-01", 2021, "Plotësisht", title="Ujë 24 orë")])
    write_file(con, first)
    import_id, replaced = write_file(con, second)
    assert replaced == {"priorities": [(1, "v1.xlsx", 1)], "priority_status": [(1, "v1.xlsx", 1)]}
    assert current(con, "SELECT code, year, status, import_id FROM priority_status WHERE superseded_by IS NULL "
                        "ORDER BY code, year") == [
        ("FIE-01", 2020, "not_addressed", 1), ("FIE-01", 2021, "fully", 2), ("FIE-02", 2021, "partially", 1)]
    assert current(con, "SELECT code, title FROM priorities WHERE superseded_by IS NULL ORDER BY code") == [
        ("FIE-01", "Ujë 24 orë"), ("FIE-02", "Ujë i pijshëm 24 orë")]
    # the replaced rows are kept, marked
    assert current(con, "SELECT year, status, superseded_by FROM priority_status WHERE superseded_by IS NOT NULL") == [
        (2021, "not_addressed", import_id)]


def test_an_activities_file_replaces_the_same_municipality_and_calendar_month(con, tmp_path):
    assert store.SUPERSEDE_KEYS["activities"] == ("municipality", "year", "month")
    write_file(con, activities_xlsx(tmp_path / "shtator.xlsx", [
        event(dt.datetime(2023, 9, 5), "Tiranë", participants=10),
        event(dt.datetime(2023, 9, 25), "Tiranë", participants=11),
        event(dt.datetime(2023, 10, 2), "Tiranë", participants=12),
        event(dt.datetime(2023, 9, 5), "Durrës", participants=13),
        event(dt.datetime(2022, 9, 5), "Tiranë", participants=14),
    ]))
    _id, replaced = write_file(con, activities_xlsx(tmp_path / "tirane_shtator.xlsx", [
        event(dt.datetime(2023, 9, 30), "Tirana", participants=50)]))
    assert replaced == {"activities": [(1, "shtator.xlsx", 2)]}
    assert current(con, "SELECT municipality, date, participants, import_id FROM activities "
                        "WHERE superseded_by IS NULL ORDER BY municipality, date") == [
        ("Durrës", dt.date(2023, 9, 5), 13, 1),
        ("Tiranë", dt.date(2022, 9, 5), 14, 1),
        ("Tiranë", dt.date(2023, 9, 30), 50, 2),
        ("Tiranë", dt.date(2023, 10, 2), 12, 1),
    ]


def test_a_reported_figure_replaces_the_same_indicator_year_period_and_place(con, tmp_path):
    headers = ["Viti", "Bashkia", "Treguesi", "Vlera"]
    write_file(con, write_xlsx(tmp_path / "f1.xlsx", {"Shifrat": [
        headers, [2025, None, "persons_reached", 100], [2025, "Fier", "persons_reached", 10],
        [2025, None, "events", 5]]}))
    _id, replaced = write_file(con, write_xlsx(tmp_path / "f2.xlsx", {"Shifrat": [
        headers, [2025, None, "Persona të arritur", 129466]]}))
    assert replaced == {"figures": [(1, "f1.xlsx", 1)]}
    assert current(con, "SELECT municipality, indicator, value FROM figures WHERE superseded_by IS NULL "
                        "ORDER BY indicator, municipality NULLS FIRST") == [
        (None, "events", 5.0), (None, "persons_reached", 129466.0), ("Fier", "persons_reached", 10.0)]


# ----------------------------------------------------------------------------------- undo

def test_undo_restores_exactly_the_state_before_the_import(con, tmp_path):
    write_file(con, priorities_xlsx(tmp_path / "v1.xlsx", [fier("FIE-01", 2021, "Pa adresuar"),
                                                            fier("FIE-02", 2021, "Pjesërisht")]))
    write_file(con, activities_xlsx(tmp_path / "a1.xlsx", [event(dt.datetime(2021, 5, 1), "Fier")]))
    before = store.snapshot(con)
    import_id, _ = write_file(con, priorities_xlsx(tmp_path / "v2.xlsx", [fier("FIE-01", 2021, "Plotësisht"),
                                                                           fier("FIE-03", 2021, "Plotësisht")]))
    assert store.snapshot(con) != before
    removed = store.undo(con, import_id)
    assert removed == {"priorities": 2, "priority_status": 2, "activities": 0, "figures": 0, "targets": 0}
    assert store.snapshot(con) == before
    assert current(con, f"SELECT state, undone_at IS NOT NULL FROM imports WHERE id = {import_id}") == [
        ("undone", True)]
    assert current(con, "SELECT count(*) FROM priority_status WHERE superseded_by IS NOT NULL") == [(0,)]


def test_undo_of_an_unknown_import_is_refused(con):
    with pytest.raises(UndoRefused) as caught:
        store.undo(con, 42)
    assert str(caught.value) == "There is no import #42. See 'history' for the imports stored."
    assert caught.value.message("sq") == "Nuk ka import #42. Shihni historikun për importet e ruajtura."


def test_undo_twice_is_refused(con, tmp_path):
    import_id, _ = write_file(con, activities_xlsx(tmp_path / "a.xlsx", [event(dt.datetime(2021, 5, 1), "Fier")]))
    store.undo(con, import_id)
    with pytest.raises(UndoRefused) as caught:
        store.undo(con, import_id)
    assert str(caught.value) == f"Import #{import_id} was already undone."


def test_undo_of_an_import_whose_rows_were_later_replaced_is_refused_naming_the_later_imports(con, tmp_path):
    first, _ = write_file(con, priorities_xlsx(tmp_path / "v1.xlsx", [fier("FIE-01", 2021, "Pa adresuar"),
                                                                       fier("FIE-02", 2021, "Pa adresuar")]))
    second, _ = write_file(con, priorities_xlsx(tmp_path / "v2.xlsx", [fier("FIE-01", 2021, "Pjesërisht")]))
    third, _ = write_file(con, priorities_xlsx(tmp_path / "v3.xlsx", [fier("FIE-02", 2022, "Plotësisht")]))
    before = store.snapshot(con)
    with pytest.raises(UndoRefused) as caught:
        store.undo(con, first)
    assert str(caught.value) == (f"Import #{first} cannot be undone while later imports replace some of its rows: "
                                 f"undo #{second}, #{third} first.")
    assert caught.value.message("sq") == (
        f"Importi #{first} nuk mund të zhbëhet sa kohë që importe të mëvonshme zëvendësojnë disa nga rreshtat e "
        f"tij: zhbëni më parë #{second}, #{third}.")
    assert store.snapshot(con) == before
    store.undo(con, third)
    store.undo(con, second)
    store.undo(con, first)
    assert store.snapshot(con) == {t: [] for t in store.DATA_TABLES}


def test_find_stored_ignores_undone_imports(con, tmp_path):
    path = activities_xlsx(tmp_path / "a.xlsx", [event(dt.datetime(2021, 5, 1), "Fier")])
    import_id, _ = write_file(con, path)
    store.undo(con, import_id)
    assert store.find_stored(con, hashlib.sha256(path.read_bytes()).hexdigest()) is None


# ----------------------------------------------------------------------------------- history and snapshot

def test_history_lists_imports_newest_first(con, tmp_path):
    write_file(con, activities_xlsx(tmp_path / "a.xlsx", [event(dt.datetime(2021, 5, 1), "Fier")]), who="arta")
    write_file(con, priorities_xlsx(tmp_path / "p.xlsx", [fier("FIE-01", 2021, "Plotësisht")]), who="blerim")
    store.undo(con, 2)
    frame = store.history(con)
    assert list(frame.columns) == ["id", "imported_at", "imported_by", "file_name", "kind", "rows", "state",
                                   "undone_at", "sha256", "status", "reviewed_by", "reviewed_at", "review_comment"]
    assert frame[["id", "imported_by", "file_name", "kind", "rows", "state", "status", "reviewed_by",
                  "review_comment"]].values.tolist() == [
        [2, "blerim", "p.xlsx", "priorities", 1, "undone", "undone", "blerim", None],
        [1, "arta", "a.xlsx", "activities", 1, "stored", "approved", "arta", None]]
    assert frame["undone_at"].notna().tolist() == [True, False]
    # an import approved as it is stored is reviewed by whoever stored it, at that moment
    assert (frame["reviewed_at"] == frame["imported_at"]).tolist() == [True, True]


def test_snapshot_holds_current_rows_only_without_import_ids(con, tmp_path):
    assert store.snapshot(con) == {"priorities": [], "priority_status": [], "activities": [], "figures": [],
                                   "targets": []}
    write_file(con, priorities_xlsx(tmp_path / "v1.xlsx", [fier("FIE-01", 2021, "Pa adresuar")]))
    write_file(con, priorities_xlsx(tmp_path / "v2.xlsx", [fier("FIE-01", 2021, "Plotësisht")]))
    snapshot = store.snapshot(con)
    assert snapshot["priority_status"] == [
        repr(("2019-2023", "Fier", "FIE-01", 2021, "fully", None, None, "Prioritetet", 2))]
    assert len(snapshot["priorities"]) == 1
