"""targets: the fourth sheet kind (import, validation, who may import it), progress beside what was achieved
(hand-worked cases), the demo's target set, and the Targets page in both languages."""
from __future__ import annotations

import math

import pandas as pd
import pyarrow as pa
import pytest
from conftest import TODAY, import_file, located, write_csv, write_xlsx
from dashboard_support import assert_clean, open_app

from pop_analytics import importing, reading, store, targets, upload_view, validate
from pop_analytics.access import Viewer
from pop_analytics.errors import FileRefused
from pop_analytics.filters import Filters
from pop_analytics.i18n import t

HEADERS = ["Objektivi", "Treguesi", "Viti", "Bashkia", "Synimi", "Njësia", "Burimi", "Shënime"]


def sheet_rows(*rows: list) -> list[list]:
    return [["Synimet e projektit 2024–2025"], HEADERS, *rows]


def validated(tmp_path, *rows: list):
    path = write_csv(tmp_path / "synimet.csv", sheet_rows(*rows))
    return validate.validate(reading.read(path.read_bytes(), path.name), today=TODAY)


def refusal(tmp_path, *rows: list) -> FileRefused:
    with pytest.raises(FileRefused) as caught:
        validated(tmp_path, *rows)
    return caught.value


# ----------------------------------------------------------------------------------- import

STORED = [
    ("SO1", "council_meetings", 2025, None, 110.0, "events", "invented", None, 3),
    ("SO2", "women_pct", 2025, "Tiranë", 55.0, "percent", None, "pjesa e grave", 4),
    ("SO3", "public_forums", 2024, None, 0.0, "events", None, None, 5),
    ("SO4", "monitoring_reports", 2025, "Durrës", 12.0, "reports", None, None, 6),
]
ROWS = [
    ["SO1", "Mbledhje të Këshillit Bashkiak të monitoruara", 2025, None, 110, "aktivitete", "invented", None],
    ["so 2", "Pjesa e grave", 2025, "Tirana", "55%", "%", None, "pjesa e grave"],
    ["Objektivi 3", "Forume publike", 2024, "i gjithë rrjeti", 0, None, None, None],
    ["SO4", "monitoring_reports", "2025", "Durrësi", "12", "raporte", None, None],
]


@pytest.mark.parametrize("suffix", ["csv", "xlsx"])
def test_a_targets_sheet_imports_as_its_own_kind(con, tmp_path, suffix):
    if suffix == "csv":
        path = write_csv(tmp_path / "synimet.csv", sheet_rows(*ROWS))
    else:
        path = write_xlsx(tmp_path / "synimet.xlsx", {"Synimet": sheet_rows(*ROWS)})
    report = import_file(con, path)
    assert (report.status, report.kind, report.rows, report.errors, report.warnings) == (
        "imported", "targets", 4, [], [])
    assert con.execute("""SELECT objective, indicator, year, municipality, target, unit, source, note, excel_row
                          FROM current_targets ORDER BY excel_row""").fetchall() == STORED
    assert store.history(con)[["kind", "rows"]].values.tolist() == [["targets", 4]]


def test_a_newer_targets_file_replaces_the_same_target_and_undo_brings_it_back(con, tmp_path):
    first = import_file(con, write_csv(tmp_path / "a.csv", sheet_rows(ROWS[0], ROWS[2])))
    newer = import_file(con, write_csv(tmp_path / "b.csv", sheet_rows(
        ["SO1", "council meeting", 2025, None, 130, None, None, None])))
    assert [(w.code, w.message_en) for w in newer.warnings] == [
        ("read_as", "'council meeting' read as 'council meetings monitored' (Treguesi, row 3)."),
        ("replaces", "This file replaces 1 target stored earlier by import #1 (a.csv).")]
    current = "SELECT indicator, year, target, import_id FROM current_targets ORDER BY indicator"
    assert con.execute(current).fetchall() == [("council_meetings", 2025, 130.0, newer.import_id),
                                               ("public_forums", 2024, 0.0, first.import_id)]
    store.undo(con, newer.import_id)
    assert con.execute(current).fetchall() == [("council_meetings", 2025, 110.0, first.import_id),
                                               ("public_forums", 2024, 0.0, first.import_id)]


def test_the_preview_of_a_valid_targets_file_labels_its_indicators(tmp_path):
    batch = validated(tmp_path, *ROWS)
    preview = upload_view.batch_preview(batch, "en")["targets"]
    assert preview.astype(object).where(preview.notna(), None).to_dict("list") == {
        "Objective": ["SO1", "SO2", "SO3", "SO4"],
        "Indicator": ["council meetings monitored", "women's share (%)", "public forums",
                      "monitoring reports published"],
        "Year": [2025, 2025, 2024, 2025],
        "Municipality": ["whole network", "Tiranë", "whole network", "Durrës"],
        "Target": [110, 55, 0, 12],
        "Note": [None, "pjesa e grave", None, None]}


# ----------------------------------------------------------------------------------- validation

def row(objective="SO2", indicator="Pjesëmarrës", year=2025, municipality=None, target=100, unit=None):
    return [objective, indicator, year, municipality, target, unit, None, None]


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        pytest.param([row(objective="SO5")], [
            ("unknown_objective", 3, "Objektivi", "SO5",
             ("'SO5' is not an objective of the project. Write one of: SO1, SO2, SO3, SO4. "
             "Did you mean 'SO1', 'SO2', 'SO3'?"),
             ("'SO5' nuk është objektiv i projektit. Shkruani një nga: SO1, SO2, SO3, SO4. "
             "Mos keni parasysh 'SO1', 'SO2', 'SO3'?"))], id="unknown objective"),
        pytest.param([row(), row(indicator="Kafe")], [
            ("unknown_target_indicator", 4, "Treguesi", "Kafe",
             ("'Kafe' is not an indicator a target is set for. Write one of: events (all types), council meetings "
             "monitored, citizen workshops, public forums, participants, women's share (%), unique participants, "
             "persons reached, candidates engaged, monitoring reports published."),
             ("'Kafe' nuk është tregues për të cilin vendoset synim. Shkruani një nga: Aktivitete gjithsej, Mbledhje "
             "të Këshillit Bashkiak të monitoruara, Workshope qytetare, Forume publike, Pjesëmarrës, Pjesa e grave "
             "(%), Pjesëmarrës unikë, Persona të arritur, Kandidatë të angazhuar, Raporte monitorimi të "
             "publikuara."))], id="unknown indicator"),
        pytest.param([row(indicator="Pjesëmarrës unik"), row(indicator="Raporti vjetor")], [
            ("unknown_target_indicator", 4, "Treguesi", "Raporti vjetor",
             ("'Raporti vjetor' is not an indicator a target is set for. Write one of: events (all types), council "
             "meetings monitored, citizen workshops, public forums, participants, women's share (%), unique "
             "participants, persons reached, candidates engaged, monitoring reports published. Did you mean "
             "'monitoring reports published'?"),
             ("'Raporti vjetor' nuk është tregues për të cilin vendoset synim. Shkruani një nga: Aktivitete "
             "gjithsej, Mbledhje të Këshillit Bashkiak të monitoruara, Workshope qytetare, Forume publike, "
             "Pjesëmarrës, Pjesa e grave (%), Pjesëmarrës unikë, Persona të arritur, Kandidatë të angazhuar, "
             "Raporte monitorimi të publikuara. Mos keni parasysh 'Raporte monitorimi të publikuara'?"))],
            id="refused with the closest suggested"),
        pytest.param([row(indicator="Forum publik qytetar")], [
            ("ambiguous_value", 3, "Treguesi", "Forum publik qytetar",
             ("'Forum publik qytetar' fits more than one indicator: public forums, citizen workshops. "
             "Write the one you mean."),
             ("'Forum publik qytetar' përshtatet me më shumë se një tregues: Forume publike, Workshope qytetare. "
             "Shkruani atë që keni parasysh."))], id="ambiguous indicator"),
        pytest.param([row(target=-5)], [
            ("negative_target", 3, "Synimi", "-5", "'-5' is negative. A target cannot be below zero.",
             "'-5' është negativ. Një synim nuk mund të jetë nën zero.")], id="negative target"),
        pytest.param([row(indicator="Pjesa e grave", target=120)], [
            ("share_over_100", 3, "Synimi", "120",
             "'120' is above 100, but the target for 'women's share (%)' is a share in %. Write a value from 0 to 100.",
             ("'120' është mbi 100, por synimi për 'Pjesa e grave (%)' është përqindje. Shkruani një vlerë nga 0 "
             "deri në 100."))], id="share above 100"),
        pytest.param([row(unit="%")], [
            ("unit_mismatch", 3, "Njësia", "%",
             ("'%' is not the unit of 'participants': its target is counted in 'people'. Write 'people' or leave "
             "the cell empty."),
             ("'%' nuk është njësia e 'Pjesëmarrës': synimi i tij matet në 'persona'. Shkruani 'persona' ose "
             "lëreni qelizën bosh."))], id="another unit"),
        pytest.param([row(unit="metra")], [
            ("unit_mismatch", 3, "Njësia", "metra",
             ("'metra' is not the unit of 'participants': its target is counted in 'people'. Write 'people' or "
             "leave the cell empty."),
             ("'metra' nuk është njësia e 'Pjesëmarrës': synimi i tij matet në 'persona'. Shkruani 'persona' ose "
             "lëreni qelizën bosh."))], id="no unit at all"),
        pytest.param([row(year="vitin tjetër")], [
            ("not_a_year", 3, "Viti", "vitin tjetër",
             "'vitin tjetër' is not a year. Write the year with four digits, e.g. 2023.",
             "'vitin tjetër' nuk është vit. Shkruani vitin me katër shifra, p.sh. 2023.")], id="not a year"),
        pytest.param([row(), row(target=120)], [
            ("conflicting_target", 4, "Synimi", "120",
             "The same objective, indicator, year and municipality appear at row 3 with another target. Keep one row.",
             ("I njëjti objektiv, tregues, vit dhe bashki është edhe në rreshtin 3 me synim tjetër. Mbani një "
             "rresht."))], id="the same target twice, two values"),
        pytest.param([row(target=None)], [
            ("required_value", 3, "Synimi", "", "'Synimi' is empty. Fill it in.",
             "'Synimi' është bosh. Plotësojeni.")], id="no target"),
    ],
)
def test_a_wrong_target_row_is_an_error_naming_its_row_and_column(tmp_path, rows, expected):
    refused = refusal(tmp_path, *rows)
    assert [(p.code, p.row, p.column, p.value, p.message_en, p.message_sq) for p in refused.problems] == expected


def test_every_problem_of_a_targets_file_is_listed_at_once_in_row_order(tmp_path):
    refused = refusal(tmp_path, row(), row(objective="SO9", target=-1), row(indicator="Trajnime"),
                      row(year=2010, municipality="Tyranna"))
    assert located(refused.problems) == [
        ("unknown_objective", "synimet.csv", 4, "Objektivi", "SO9"),
        ("negative_target", "synimet.csv", 4, "Synimi", "-1"),
        ("unknown_target_indicator", "synimet.csv", 5, "Treguesi", "Trajnime"),
        ("year_too_early", "synimet.csv", 6, "Viti", "2010"),
        ("unknown_municipality", "synimet.csv", 6, "Bashkia", "Tyranna"),
    ]


@pytest.mark.parametrize(
    ("column", "written", "stored", "warned"),
    [
        ("objective", "SO2", "SO2", False),
        ("objective", "so 2", "SO2", False),
        ("objective", "SO-2", "SO2", False),
        ("objective", "OS2", "SO2", False),
        ("objective", "Objektivi 2", "SO2", False),
        ("objective", "Objektivi specifik 2", "SO2", False),
        ("objective", "Specific objective 2", "SO2", False),
        ("objective", "Qytetarë të organizuar dhe të zëshëm", "SO2", False),
        ("objective", "citizens organised and vocal", "SO2", False),
        ("objective", "Objektvi 2", "SO2", True),  # one slip
        ("objective", "2", "SO2", True),  # the number alone names one objective
        ("indicator", "Pjesëmarrës", "participants", False),
        ("indicator", "PJESEMARRES", "participants", False),
        ("indicator", "participants", "participants", False),
        ("indicator", "Pjesëmarrës unikë", "unique_participants", False),
        ("indicator", "Pjesëmarrës unik", "unique_participants", True),
        ("indicator", "unique participants", "unique_participants", False),
        ("indicator", "Mbledhje e Këshillit Bashkiak", "council_meetings", True),
        ("indicator", "council meetings", "council_meetings", False),
        ("indicator", "Workshope", "citizen_workshops", True),
        ("indicator", "Forum publik", "public_forums", False),
        ("indicator", "Raporte monitorimi", "monitoring_reports", False),
        ("municipality", "Tirana", "Tiranë", False),
        ("municipality", "Bashkia e Tiranës", "Tiranë", False),
        ("municipality", None, None, False),
        ("municipality", "i gjithë rrjeti", None, False),
        ("municipality", "Network", None, False),
    ],
)
def test_objective_indicator_and_municipality_are_read_by_the_matching_rule(tmp_path, column, written, stored, warned):
    values = {"objective": "SO2", "indicator": "participants", "municipality": None, column: written}
    batch = validated(tmp_path, row(values["objective"], values["indicator"], municipality=values["municipality"]))
    assert batch.targets[column].tolist() == [stored]
    assert [w.code for w in batch.warnings] == (["read_as"] if warned else [])


@pytest.mark.parametrize(("written", "key"), [("5", "unknown_objective"), ("SO", "unknown_objective"),
                                              ("Objektivi", "unknown_objective"), ("S0 2", "unknown_objective"),
                                              ("Trajnime", "unknown_target_indicator"),
                                              ("Kontrata sociale të firmosura", "unknown_target_indicator")])
def test_values_no_term_fits_are_refused_never_guessed(tmp_path, written, key):
    column = "objective" if key == "unknown_objective" else "indicator"
    values = {"objective": "SO2", "indicator": "participants", column: written}
    refused = refusal(tmp_path, row(values["objective"], values["indicator"]))
    assert [(p.code, p.value) for p in refused.problems] == [(key, written)]


@pytest.mark.parametrize(
    ("indicator", "unit", "refused_as"),
    [
        ("council_meetings", None, None),
        ("council_meetings", "aktivitete", None),
        ("council_meetings", "Aktivitetet", None),  # another form of the same word
        ("council_meetings", "events", None),
        ("council_meetings", "Persona", ("'Persona' is not the unit of 'council meetings monitored': its target is "
                                        "counted in 'events'. Write 'events' or leave the cell empty.")),
        ("women_pct", "%", None),
        ("women_pct", "percent", None),
        ("women_pct", "persona", ("'persona' is not the unit of 'women's share (%)': its target is counted in '%'. "
                                 "Write '%' or leave the cell empty.")),
        ("monitoring_reports", "raporte", None),
        ("candidates_engaged", "persona", None),
    ],
)
def test_a_unit_may_be_left_out_or_name_the_indicators_own(tmp_path, indicator, unit, refused_as):
    rows = [row(indicator=indicator, target=40, unit=unit)]
    if refused_as is None:
        assert validated(tmp_path, *rows).targets["unit"].tolist() == [
            {"council_meetings": "events", "women_pct": "percent", "monitoring_reports": "reports",
             "candidates_engaged": "people"}[indicator]]
    else:
        assert [(p.code, p.row, p.message_en) for p in refusal(tmp_path, *rows).problems] == [
            ("unit_mismatch", 3, refused_as)]


def test_the_same_target_twice_with_the_same_value_is_stored_once_with_a_warning(tmp_path):
    batch = validated(tmp_path, row(), row(objective="so 2"))
    assert len(batch.targets) == 1
    assert [(w.code, w.message_en) for w in batch.warnings] == [
        ("repeated_target", ("Row 4 repeats row 3 (same objective, indicator, year, municipality and target); "
                            "it was stored once."))]


def test_a_percentage_target_may_be_written_with_its_sign_and_a_decimal_comma(tmp_path):
    batch = validated(tmp_path, row(indicator="Pjesa e grave (%)", target="52,5%", unit="%"))
    assert batch.targets[["indicator", "target", "unit"]].values.tolist() == [["women_pct", 52.5, "percent"]]


@pytest.mark.parametrize(
    ("by", "municipality", "expected"),
    [
        (Viewer("arta", "partner", ("Tiranë",)), "Tiranë", []),
        (Viewer("arta", "partner", ("Tiranë",)), None, [
            ("network_target_not_yours", 3,
             ("This row is a target for the whole network, but you upload for Tiranë only. Give the municipality, or "
             "ask a coordinator to import it."))]),
        (Viewer("arta", "partner", ("Tiranë",)), "Fier", [
            ("not_your_municipality", 3,
             ("This row is for Fier, but you upload for Tiranë only. Remove the row, or ask a coordinator to import "
             "it."))]),
        (Viewer("koordinatorja", "coordinator"), None, []),
    ],
)
def test_network_targets_are_a_coordinators_a_partner_sets_only_its_own(tmp_path, by, municipality, expected):
    path = write_csv(tmp_path / "synimet.csv", sheet_rows(row(municipality=municipality)))
    report = importing.check(path.read_bytes(), path.name, today=TODAY, by=by)
    assert [(p.code, p.row, p.message_en) for p in report.errors] == expected
    assert report.status == ("refused" if expected else "valid")


# ----------------------------------------------------------------------------------- progress, hand-worked

ACTIVITIES = [
    ["Data", "Bashkia", "Lloji i aktivitetit", "Numri i aktiviteteve", "Pjesëmarrës gjithsej", "Gra", "Burra"],
    ["10.03.2025", "Tiranë", "Mbledhje e Këshillit Bashkiak", 3, 30, 10, 20],
    ["12.04.2025", "Tiranë", "Workshop qytetar", 2, 40, 25, 15],
    ["15.05.2025", "Durrës", "Mbledhje e Këshillit Bashkiak", 2, 20, None, None],
    ["20.06.2025", "Durrës", "Forum publik", 1, 50, 30, 20],
    ["20.06.2023", "Fier", "Forum publik", 4, 80, 40, 40],  # another year: never counted for 2024 or 2025
]
FIGURES = [
    ["Viti", "Nga data", "Deri më", "Bashkia", "Lloji i aktivitetit", "Treguesi", "Vlera"],
    [2025, None, None, None, None, "unique_participants", 120],
    [2025, None, None, "Tiranë", None, "unique_participants", 45],
    [2025, None, None, None, "Workshop qytetar", "unique_participants", 999],  # one type only: not the whole
    [2025, "01.01.2025", "30.06.2025", None, None, "persons_reached", 300],
    [2025, "01.07.2025", "31.12.2025", None, None, "persons_reached", 200],
]
TARGETS = [
    ["SO1", "council_meetings", 2025, None, 4],
    ["SO1", "council_meetings", 2025, "Tiranë", 6],
    ["SO1", "council_meetings", 2025, "Durrës", 0],
    ["SO2", "participants", 2025, None, 160],
    ["SO2", "women_pct", 2025, None, 50],
    ["SO2", "women_pct", 2025, "Tiranë", 60],
    ["SO2", "events", 2025, "Durrës", 4],
    ["SO3", "public_forums", 2024, None, 2],
    ["SO3", "public_forums", 2025, None, 1],
    ["SO2", "unique_participants", 2025, None, 100],
    ["SO2", "unique_participants", 2025, "Tiranë", 50],
    ["SO2", "persons_reached", 2025, None, 400],
    ["SO4", "monitoring_reports", 2025, "Durrës", 2],
]

# (objective, indicator, year, municipality, target, unit, achieved, reached_pct, source), worked by hand:
PROGRESS = [
    ("SO1", "council_meetings", 2025, None, 4.0, "events", 5.0, 125.0, "itemised"),  # 3 + 2 meetings
    ("SO1", "council_meetings", 2025, "Durrës", 0.0, "events", 2.0, None, "itemised"),  # a target of 0
    ("SO1", "council_meetings", 2025, "Tiranë", 6.0, "events", 3.0, 50.0, "itemised"),
    ("SO2", "events", 2025, "Durrës", 4.0, "events", 3.0, 75.0, "itemised"),  # 2 meetings + 1 forum
    ("SO2", "participants", 2025, None, 160.0, "people", 140.0, 87.5, "itemised"),  # 30 + 40 + 20 + 50
    ("SO2", "persons_reached", 2025, None, 400.0, "people", 500.0, 125.0, "reported"),  # two periods: 300 + 200
    ("SO2", "unique_participants", 2025, None, 100.0, "people", 120.0, 120.0, "reported"),  # the network's row
    ("SO2", "unique_participants", 2025, "Tiranë", 50.0, "people", 45.0, 90.0, "reported"),
    # women 10 + 25 + 30 = 65, men 20 + 15 + 20 = 55 over rows that split: 54.1666…%, / 50 → 108.33…
    ("SO2", "women_pct", 2025, None, 50.0, "percent", 54.2, 108.3, "itemised"),
    ("SO2", "women_pct", 2025, "Tiranë", 60.0, "percent", 50.0, 83.3, "itemised"),  # 35 of 70; 50 / 60
    ("SO3", "public_forums", 2024, None, 2.0, "events", None, None, "itemised"),  # no activity in 2024 at all
    ("SO3", "public_forums", 2025, None, 1.0, "events", 1.0, 100.0, "itemised"),
    ("SO4", "monitoring_reports", 2025, "Durrës", 2.0, "reports", None, None, "reported"),  # nothing reported
]


@pytest.fixture
def worked(con, tmp_path):
    for name, rows in (("aktivitetet.csv", ACTIVITIES), ("shifrat.csv", FIGURES),
                       ("synimet.csv", [HEADERS[:5], *TARGETS])):
        report = import_file(con, write_csv(tmp_path / name, rows))
        assert (report.status, report.errors) == ("imported", []), report.errors
    return con


def as_tuples(frame: pd.DataFrame) -> list[tuple]:
    return [tuple(None if isinstance(v, float) and math.isnan(v) else v for v in r)
            for r in frame.itertuples(index=False)]


def test_progress_sets_each_target_beside_what_was_achieved_worked_by_hand(worked):
    progress = targets.progress(worked, Filters())
    assert list(progress.columns) == ["objective", "indicator", "year", "municipality", "target", "unit", "achieved",
                                      "reached_pct", "source"]
    assert [str(d) for d in progress.dtypes] == ["object", "object", "int64", "object", "float64", "object", "float64",
                                                 "float64", "object"]
    assert as_tuples(progress) == PROGRESS
    assert progress["municipality"].iloc[0] is None  # the whole network is None, not NaN


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (Filters(year=(2024,)), [PROGRESS[10]]),
        (Filters(municipality=("Tiranë",)), [PROGRESS[2], PROGRESS[7], PROGRESS[9]]),
        (Filters(municipality=("Durrës", "Tiranë"), year=(2025,)),
         [PROGRESS[1], PROGRESS[2], PROGRESS[3], PROGRESS[7], PROGRESS[9], PROGRESS[12]]),
        (Filters(theme=("water",), cycle="2019-2023"), PROGRESS),  # neither applies to targets
        (Filters(municipality=("Fier",)), []),
    ],
)
def test_progress_follows_the_year_and_municipality_filters_only(worked, filters, expected):
    assert as_tuples(targets.progress(worked, filters)) == expected


def test_a_donor_sees_progress_on_approved_rows_only(worked, tmp_path, db_path):
    from pop_analytics.database import Database
    from pop_analytics.scope import DONOR_SIGHT
    partner = Viewer("arta", "partner", ("Tiranë",))
    report = importing.import_bytes(worked, write_csv(tmp_path / "more.csv", [
        ACTIVITIES[0], ["10.09.2025", "Tiranë", "Mbledhje e Këshillit Bashkiak", 7, None, None, None]]).read_bytes(),
        "more.csv", today=TODAY, by=partner)
    assert (report.status, report.review) == ("imported", "submitted")
    worked.close()
    database = Database(db_path)
    with database.reading(sight=DONOR_SIGHT) as con:
        donor = targets.progress(con, Filters(municipality=("Tiranë",), year=(2025,)))
    with database.reading() as con:
        everyone = targets.progress(con, Filters(municipality=("Tiranë",), year=(2025,)))
    assert donor.loc[donor["indicator"] == "council_meetings", ["achieved", "reached_pct"]].values.tolist() == [
        [3.0, 50.0]]
    assert everyone.loc[everyone["indicator"] == "council_meetings", ["achieved", "reached_pct"]].values.tolist() == [
        [10.0, 166.7]]


def test_no_targets_give_an_empty_frame_with_the_columns(con):
    progress = targets.progress(con, Filters())
    assert progress.empty and list(progress.columns) == list(targets.COLUMNS)


# ----------------------------------------------------------------------------------- the demo's targets

def test_the_demo_targets_are_the_networks_for_2024_and_2025(demo_reader):
    progress = targets.progress(demo_reader, Filters(year=(2025,)))
    assert as_tuples(progress) == [
        ("SO1", "council_meetings", 2025, None, 110.0, "events", 120.0, 109.1, "itemised"),
        ("SO2", "citizen_workshops", 2025, None, 30.0, "events", 32.0, 106.7, "itemised"),
        ("SO2", "participants", 2025, None, 3500.0, "people", 3384.0, 96.7, "itemised"),
        ("SO2", "persons_reached", 2025, None, 120000.0, "people", 129466.0, 107.9, "reported"),
        ("SO2", "unique_participants", 2025, None, 3000.0, "people", 2984.0, 99.5, "reported"),
        ("SO2", "women_pct", 2025, None, 50.0, "percent", 51.9, 103.8, "itemised"),
        ("SO3", "public_forums", 2025, None, 8.0, "events", 7.0, 87.5, "itemised"),
        ("SO4", "candidates_engaged", 2025, None, 40.0, "people", 42.0, 105.0, "reported"),
        ("SO4", "monitoring_reports", 2025, None, 12.0, "reports", 10.0, 83.3, "reported"),
    ]
    assert len(targets.progress(demo_reader, Filters())) == 17
    assert demo_reader.execute("SELECT DISTINCT source FROM current_targets").fetchall() == [("invented for the demo",)]


# ----------------------------------------------------------------------------------- the Targets page

def display_values(table) -> pd.DataFrame:
    """A table's cells as the page writes them (the Styler's display values)."""
    return pa.ipc.open_stream(table.proto.arrow_data.styler.display_values).read_all().to_pandas()


NBSP = "\u00a0"
# The needed columns first (indicator, target, achieved, reached), so a phone shows them without scrolling.
PAGE = {
    "sq": {"title": "Synimet", "second": "SO2 · Qytetarë të organizuar dhe të zëshëm",
           "headings": ["Treguesi", "Synimi", "Arritur", "Arritur (%)", "Viti", "Bashkia", "Burimi i së arriturës"],
           "participants": ["Pjesëmarrës", f"3{NBSP}500", f"3{NBSP}384", "96,7", "2025", "i gjithë rrjeti",
                            "rreshtat e aktiviteteve"],
           "women": ["Pjesa e grave (%)", "50", "51,9", "103,8", "2025", "i gjithë rrjeti", "rreshtat e aktiviteteve"],
           "unknown": ["Persona të arritur", f"100{NBSP}000", "–", "–", "2024", "i gjithë rrjeti",
                       "shifrat e raportuara"]},
    "en": {"title": "Targets", "second": "SO2 · citizens organised and vocal",
           "headings": ["Indicator", "Target", "Achieved", "Reached (%)", "Year", "Municipality", "Achieved from"],
           "participants": ["participants", "3,500", "3,384", "96.7", "2025", "whole network", "itemised rows"],
           "women": ["women's share (%)", "50", "51.9", "103.8", "2025", "whole network", "itemised rows"],
           "unknown": ["persons reached", "100,000", "–", "–", "2024", "whole network", "reported figures"]},
}


@pytest.mark.parametrize("lang", ["sq", "en"])
def test_the_targets_page_shows_each_objective_in_the_readers_language(app_db, lang):
    at = open_app("targets", {"lang": lang})
    at.run()
    assert_clean(at)
    expected = PAGE[lang]
    assert at.title[0].value == expected["title"]
    subheaders = [s.value for s in at.subheader]
    assert [text.split(" · ")[0] for text in subheaders[:4]] == ["SO1", "SO2", "SO3", "SO4"]
    assert subheaders[1] == expected["second"]
    assert t("targets.note", lang) in [c.value for c in at.caption]
    assert len(at.get("vega_lite_chart")) == 4 and len(at.dataframe) == 4
    so2 = display_values(at.dataframe[1])
    assert list(so2.columns) == expected["headings"]
    shown = [list(map(str, r)) for r in so2.itertuples(index=False)]
    assert expected["participants"] in shown
    assert expected["women"] in shown
    assert expected["unknown"] in shown
    assert not [text for text in subheaders + list(so2.columns) if "⟦" in text]


def test_the_targets_page_follows_the_filters_and_says_when_there_are_none(app_db):
    at = open_app("targets", {"lang": "en", "year": "2024", "municipality": "Tirana"})
    assert_clean(at)
    assert t("targets.none", "en") in [info.value for info in at.info]
    assert not at.get("vega_lite_chart") and not at.dataframe


def test_a_year_with_nothing_achieved_yet_has_no_chart_but_its_table(app_db):
    at = open_app("targets", {"lang": "en", "year": "2024"})
    assert_clean(at)
    subheaders = [s.value for s in at.subheader]
    assert subheaders[:4] == ["SO1 · organisations' competence to monitor and influence",
                              "SO2 · citizens organised and vocal",
                              "SO3 · municipalities involve civil society in decisions and budgeting",
                              "SO4 · monitoring of the 2023–2027 contracts and advocacy"]
    # SO3's public forums: a target of 0; SO4's monitoring reports: nothing reported for 2024
    assert [info.value for info in at.info].count(t("targets.no_progress", "en")) == 2
    assert len(at.get("vega_lite_chart")) == 2 and len(at.dataframe) == 4


@pytest.fixture
def empty_db(tmp_path, monkeypatch):
    path = tmp_path / "empty.duckdb"
    monkeypatch.setenv("POP_DB", str(path))
    return path


@pytest.mark.parametrize("lang", ["sq", "en"])
def test_the_targets_page_on_an_empty_database_says_so(empty_db, lang):
    at = open_app("targets", {"lang": lang})
    assert_clean(at)
    assert at.title[0].value == PAGE[lang]["title"]
    assert t("empty.database", lang) in [info.value for info in at.info]
    assert not at.get("vega_lite_chart") and not at.dataframe
