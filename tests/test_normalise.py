"""normalise: every cell partners type → one canonical value, or a coded error that never guesses."""
from __future__ import annotations

import datetime as dt

import pytest
from test_reference import COUNTIES

from pop_analytics import normalise, reference
from pop_analytics.errors import worded
from pop_analytics.messages import problem
from pop_analytics.normalise import InvalidValue

ALL_MUNICIPALITIES = sorted(name for names in COUNTIES.values() for name in names)
THEMES_ALLOWED = ("Uji i pijshëm, Transporti publik, Shkolla dhe kopshte, Infrastruktura rrugore, Drejtësia sociale, "
                  "Angazhimi qytetar dhe transparenca vendore, Zhvillimi i qëndrueshëm vendor")
STATUSES_ALLOWED = "Plotësisht, Pjesërisht, Nuk është adresuar"
TYPES_ALLOWED = ("Fokus grup, Forum publik, Takim për buxhetimin me pjesëmarrje, Mbledhje e Këshillit Bashkiak, "
                 "Workshop qytetar, Konferencë, Trajnim, Tjetër")


def invalid(parse, raw) -> tuple[str, dict]:
    """The refusal's code and the parameters its message uses (choices are the terms offered), those
    written in the reader's language (a catalogue word, a number) as each language writes them."""
    with pytest.raises(InvalidValue) as caught:
        parse(raw)
    params = {k: v for k, v in caught.value.params.items() if k != "allowed" or parse is not normalise.municipality}
    if params.pop("unread", None) is not None:  # the part of the value not read: the whole of it here
        last = raw.split(";")[-1] if isinstance(raw, str) else raw
        assert caught.value.params["unread"] == (normalise.text(last) or "")
    return caught.value.code, {k: {lang: worded(v, lang) for lang in ("sq", "en")} if _per_language(v) else v
                               for k, v in params.items()}


def _per_language(value: object) -> bool:
    return isinstance(value, dict) and ("key" in value or "number" in value)


# ----------------------------------------------------------------------------------- municipality

@pytest.mark.parametrize("name", ALL_MUNICIPALITIES)
def test_every_municipality_name_is_its_own_canonical_form(name):
    assert normalise.municipality(name) == name
    assert normalise.municipality(name.upper()) == name
    assert normalise.municipality(f"  Bashkia {name} ") == name


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("Tiranë", "Tiranë"), ("Tirana", "Tiranë"), ("Tirane", "Tiranë"), ("TIRANA ", "Tiranë"),
        ("  tiranë-", "Tiranë"),
        ("Durrës", "Durrës"), ("Durrësi", "Durrës"), ("Durres", "Durrës"), ("DURRESI", "Durrës"),
        ("Shkodër", "Shkodër"), ("Shkodra", "Shkodër"), ("Shkoder", "Shkodër"),
        ("Kukës", "Kukës"), ("Kukësi", "Kukës"), ("Kukes", "Kukës"),
        ("Pukë", "Pukë"), ("Puka", "Pukë"), ("Puke", "Pukë"),
        ("Vlorë", "Vlorë"), ("Vlora", "Vlorë"), ("Vlore", "Vlorë"),
        ("Fier", "Fier"), ("Fieri", "Fier"),
        ("Kamëz", "Kamëz"), ("Kamza", "Kamëz"), ("Kamez", "Kamëz"),
        ("Pogradec", "Pogradec"), ("Pogradeci", "Pogradec"),
        ("Elbasan", "Elbasan"), ("Elbasani", "Elbasan"),
        ("Korçë", "Korçë"), ("Korça", "Korçë"), ("Korce", "Korçë"), ("KORÇA", "Korçë"),
        ("Vau i Dejës", "Vau i Dejës"), ("Vau-Dejës", "Vau i Dejës"), ("Vau i Dejes", "Vau i Dejës"),
        ("VAU-DEJES", "Vau i Dejës"), ("vau  i  dejës", "Vau i Dejës"),
        ("Bashkia Tiranë", "Tiranë"), ("BASHKIA DURRËS", "Durrës"), ("Bashkia e Vlorës", "Vlorë"),
        ("Bashkisë së Tiranës", "Tiranë"), ("Shkodrës", "Shkodër"), ("Fierit", "Fier"), ("Shijakut", "Shijak"),
        ("Municipality of Tirana", "Tiranë"), ("Bashki Fier", "Fier"),
        ("Lushnja", "Lushnjë"), ("Dibra", "Dibër"), ("Gjirokastra", "Gjirokastër"), ("Berati", "Berat"),
    ],
)
def test_municipality_spellings_from_the_domain(raw, canonical):
    if canonical is None:  # the genitive ("of Vlorë") is not a spelling the reference data knows
        assert invalid(normalise.municipality, raw) == ("unknown_municipality", {"suggestion": "Vlorë"})
    else:
        assert normalise.municipality(raw) == canonical


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [("Tiranna", "Tiranë"), ("Tirna", "Tiranë"), ("Shkodraa", "Shkodër"), ("Elbsan", "Elbasan"),
     ("Vau Dejs", "Vau i Dejës"), ("Bashkia Tirnaa", "Tiranë")],
)
def test_one_typing_slip_in_a_municipality_name_is_read_and_noted(raw, canonical):
    noted: normalise.Noted = []
    assert normalise.municipality(raw, noted=noted) == canonical
    assert [(vocabulary, value, reading.how) for vocabulary, value, reading in noted] == [
        ("municipality", raw, "close")]


@pytest.mark.parametrize(
    ("raw", "choices"),
    [("Tyranna", ("Tiranë",)), ("Prishtinë", ()), ("xyz", ())],
)
def test_unknown_municipality_is_an_error_with_the_closest_known_names(raw, choices):
    suggestion = "', '".join(choices)
    assert invalid(normalise.municipality, raw) == (
        "unknown_municipality", {"suggestion": suggestion, "choices": choices})


def test_a_value_that_fits_two_municipalities_is_an_error_naming_both():
    assert invalid(normalise.municipality, "Tiranë Durrës") == ("ambiguous_value", {
        "what": {"sq": "bashki", "en": "municipality"}, "choices": ("Durrës", "Tiranë"),
        "candidates": {"sq": "Durrës, Tiranë", "en": "Durrës, Tiranë"}})


# ----------------------------------------------------------------------------------- themes

@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("Uji i pijshëm", "water"), ("Ujë i pijshëm", "water"), ("furnizimi me ujë", "water"),
        ("UJI I PIJSHEM", "water"),
        ("Transporti publik", "transport"), ("Transport publik", "transport"),
        ("Shkolla dhe kopshte", "kindergartens"), ("Shkolla dhe kopështe", "kindergartens"),
        ("Kopshte", "kindergartens"),
        ("Çerdhe dhe kopshte", "kindergartens"), ("cerdhe dhe kopshte", "kindergartens"),
        ("Infrastruktura rrugore", "roads"), ("Rrugët", "roads"), ("rruget", "roads"),
        ("Drejtësia sociale", "social_justice"), ("Drejtësi sociale", "social_justice"),
        ("Angazhimi qytetar dhe transparenca vendore", "civic_engagement"), ("Angazhim qytetar", "civic_engagement"),
        ("Zhvillimi i qëndrueshëm vendor", "local_development"), ("Zhvillim i qëndrueshëm vendor", "local_development"),
        ("drinking water", "water"), ("public transport", "transport"), ("social justice", "social_justice"),
        ("water", "water"), ("local_development", "local_development"),
    ],
)
def test_theme_spellings_from_the_domain(raw, key):
    assert normalise.themes(raw) == (key,)
    assert normalise.theme(raw) == key


@pytest.mark.parametrize(
    ("raw", "keys"),
    [
        ("Uji i pijshëm; Rrugët", ("water", "roads")),
        ("Kopshte, Transport publik", ("kindergartens", "transport")),
        ("Uji i pijshëm;Infrastruktura rrugore;Drejtësia sociale", ("water", "roads", "social_justice")),
        ("Rrugët\nUji i pijshëm", ("roads", "water")),
        ("Uji i pijshëm; Ujë i pijshëm; uji", ("water",)),
        ("Rrugët; ", ("roads",)),
        ("", ()),
        (None, ()),
    ],
)
def test_several_themes_in_one_cell_keep_their_order_without_repeats(raw, keys):
    assert normalise.themes(raw) == keys


@pytest.mark.parametrize(
    ("raw", "choices", "suggestion"),
    [("Sporti", ("transport",), "Transporti publik"), ("Uji i pijshëm; Kultura", (), "")],
)
def test_unknown_theme_lists_the_themes_and_suggests_an_albanian_label(raw, choices, suggestion):
    assert invalid(normalise.themes, raw) == ("unknown_theme", {"choices": choices, "suggestion": suggestion,
                                                                "allowed": THEMES_ALLOWED})


@pytest.mark.parametrize("raw", ["Uji i pijshëm; Rrugët", "", "  "])
def test_a_priority_has_exactly_one_theme(raw):
    assert invalid(normalise.theme, raw) == ("one_theme_only", {})


# ----------------------------------------------------------------------------------- statuses

@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("Plotësisht", "fully"), ("Realizuar plotësisht", "fully"), ("Adresuar plotësisht", "fully"),
        ("PLOTËSISHT", "fully"), ("plotesisht", "fully"), ("  Realizuar   plotësisht ", "fully"),
        ("Pjesërisht", "partially"), ("Realizuar pjesërisht", "partially"), ("Adresuar pjesërisht", "partially"),
        ("pjeserisht", "partially"), ("REALIZUAR PJESERISHT", "partially"),
        ("Nuk është adresuar", "not_addressed"), ("Pa adresuar", "not_addressed"),
        ("Nuk është realizuar", "not_addressed"), ("nuk eshte adresuar", "not_addressed"),
        ("NUK ËSHTË REALIZUAR", "not_addressed"), ("Nuk  është\nadresuar", "not_addressed"),
        ("fully addressed", "fully"), ("partially addressed", "partially"), ("not addressed", "not_addressed"),
    ],
)
def test_status_spellings_from_the_domain(raw, key):
    assert normalise.status(raw) == key


@pytest.mark.parametrize(
    ("raw", "choices", "suggestion"),
    [("Gati", (), ""), ("Në proces", (), ""), ("Jo plotësisht", ("fully", "partially"), "Plotësisht', 'Pjesërisht")],
)
def test_a_status_it_cannot_place_is_an_error_never_a_guess(raw, choices, suggestion):
    assert invalid(normalise.status, raw) == ("unknown_status", {"choices": choices, "suggestion": suggestion,
                                                                 "allowed": STATUSES_ALLOWED})


@pytest.mark.parametrize(
    ("raw", "choices"),
    # two statuses in one cell, or a word both share, are not a status: the partner chooses, the software does not
    [("Realizuar", ("fully", "partially")), ("Pjesërisht plotësisht", ("fully", "partially")),
     ("Nuk është realizuar plotësisht", ("not_addressed", "fully"))],
)
def test_a_status_that_fits_two_statuses_is_an_error_naming_both(raw, choices):
    labels = {"fully": ("Plotësisht", "fully addressed"), "partially": ("Pjesërisht", "partially addressed"),
              "not_addressed": ("Nuk është adresuar", "not addressed")}
    assert invalid(normalise.status, raw) == ("ambiguous_value", {
        "what": {"sq": "status", "en": "status"}, "choices": choices,
        "candidates": {"sq": ", ".join(labels[c][0] for c in choices), "en": ", ".join(labels[c][1] for c in choices)}})


@pytest.mark.parametrize(("raw", "key"), [("plotesish", "fully"), ("Pjeserishtt", "partially"),
                                          ("Plotësisht e realizuar", "fully"), ("Nuk adresuar", "not_addressed")])
def test_a_status_that_fits_exactly_one_status_is_read(raw, key):
    assert normalise.status(raw) == key


# ----------------------------------------------------------------------------------- activity types

@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("Fokus grup", "focus_group"), ("Fokus grupe", "focus_group"), ("fokus-grup", "focus_group"),
        ("Forum publik", "public_forum"),
        ("Takim për buxhetimin me pjesëmarrje", "participatory_budgeting"),
        ("Buxhetim me pjesëmarrje", "participatory_budgeting"),
        ("Dëgjesë publike për buxhetin", "participatory_budgeting"),
        ("Mbledhje e Këshillit Bashkiak (e monitoruar)", "council_meeting"),
        ("Mbledhje e Këshillit Bashkiak", "council_meeting"),
        ("Workshop qytetar", "workshop"), ("Punëtori", "workshop"),
        ("Konferencë", "conference"), ("konference", "conference"),
        ("Trajnim", "training"), ("Tjetër", "other"),
        ("focus group", "focus_group"), ("public forum", "public_forum"), ("budget hearing", "participatory_budgeting"),
    ],
)
def test_activity_type_spellings_from_the_domain(raw, key):
    assert normalise.activity_type(raw) == (key, None, None)


@pytest.mark.parametrize(
    ("raw", "parsed"),
    [
        ("10 fokus grupe - 200 gra dhe burra", ("focus_group", 10, 200)),
        ("7 takime për buxhetimin me pjesëmarrje – 276 pjesëmarrës", ("participatory_budgeting", 7, 276)),
        ("5 Fokus grupe — 1,157 pjesëmarrës", ("focus_group", 5, 1157)),
        ("2 forume publike", ("public_forum", 2, None)),
        ("3 trajnime", ("training", 3, None)),
        ("1 Konferencë kombëtare - 140", ("conference", 1, 140)),
    ],
)
def test_several_events_and_their_participants_written_in_the_type_cell(raw, parsed):
    assert normalise.activity_type(raw) == parsed


@pytest.mark.parametrize(("raw", "refusal"), [
    ("10 fokus grupe - 2O0 gra dhe burra", ("letter_in_number", {"letter": "O", "meant": "200"})),
    ("10 fokus grupe - 12a", ("not_a_number", {})),
    ("10 fokus grupe - 200 gra, 150 burra", ("not_a_number", {}))])
def test_participants_in_the_type_cell_are_read_as_a_count_cell_is(raw, refusal):
    """'- 2O0' after the type was read as 2 participants; '200 gra, 150 burra' as 200."""
    assert invalid(normalise.activity_type, raw) == refusal


@pytest.mark.parametrize(("raw", "choices"), [("Piknik", ()), ("10 piknike", ()), ("Takim", ("training",))])
def test_unknown_activity_type(raw, choices):
    assert invalid(normalise.activity_type, raw) == (
        "unknown_type", {"choices": choices, "suggestion": "', '".join(
            normalise.matching.term_label("activity_type", c, "sq") for c in choices), "allowed": TYPES_ALLOWED})


# ----------------------------------------------------------------------------------- indicators, cycles

@pytest.mark.parametrize(
    ("raw", "key"),
    [("persons_reached", "persons_reached"), ("Persona të arritur", "persons_reached"),
     ("persona te arritur", "persons_reached"), ("unique participants", "unique_participants"),
     ("Kontrata sociale të firmosura", "contracts_signed"), ("events", "events")],
)
def test_indicator_spellings(raw, key):
    assert normalise.indicator(raw) == key


def test_an_indicator_with_one_slip_is_read_and_an_unknown_one_suggests_the_albanian_label():
    assert normalise.indicator("persons reachd") == "persons_reached"
    code, params = invalid(normalise.indicator, "persona të arritura nga fushata")
    assert (code, params["choices"], params["suggestion"]) == ("unknown_indicator", ("persons_reached",),
                                                               "Persona të arritur")
    assert params["allowed"].startswith("Aktivitete të raportuara, Pjesëmarrës të raportuar, Pjesëmarrës unikë")


@pytest.mark.parametrize(
    ("raw", "key"),
    [("2019-2023", "2019-2023"), ("2019 – 2023", "2019-2023"), ("Kontrata 2019/2023", "2019-2023"),
     ("2023-2027", "2023-2027"), ("Cikli 2023 - 2027", "2023-2027")],
)
def test_cycle_spellings(raw, key):
    assert normalise.cycle(raw) == key


@pytest.mark.parametrize("raw", ["2020-2024", "2019", "abc", ""])
def test_unknown_cycle_lists_the_cycles(raw):
    assert invalid(normalise.cycle, raw) == ("unknown_cycle", {"allowed": "2019-2023, 2023-2027",
                                                               "choices": ("2019-2023", "2023-2027")})


@pytest.mark.parametrize(
    ("day", "cycle"),
    [(dt.date(2019, 6, 30), "2019-2023"), (dt.date(2021, 3, 1), "2019-2023"), (dt.date(2023, 5, 13), "2019-2023"),
     (dt.date(2023, 5, 14), "2023-2027"), (dt.date(2025, 12, 31), "2023-2027"),
     (dt.date(2015, 1, 1), "2019-2023")],  # before any election: the first cycle
)
def test_cycle_of_an_activity_date_turns_at_the_elections(day, cycle):
    assert normalise.cycle_of_date(day) == cycle


@pytest.mark.parametrize(("year", "cycle"), [(2020, "2019-2023"), (2023, "2019-2023"), (2024, "2023-2027"),
                                             (2027, "2023-2027"), (2028, "2023-2027"), (2019, "2019-2023")])
def test_cycle_of_a_monitoring_year(year, cycle):
    assert normalise.cycle_of_year(year) == cycle


# ----------------------------------------------------------------------------------- numbers

@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("1,157", 1157.0), ("1.157", 1157.0), ("1 157", 1157.0), ("1\u00a0157", 1157.0), ("129.466", 129466.0),
        ("1.000.000", 1000000.0), ("74,5%", 74.5), ("74,5 %", 74.5), ("74.5", 74.5), ("100%", 100.0),
        ("1.157,5", 1157.5), ("1,157.5", 1157.5), ("12,5", 12.5), ("0,157", 0.157), ("0.5", 0.5),
        (" 42 ", 42.0), ("-4", -4.0), (42, 42.0), (74.5, 74.5), (None, None), ("", None), ("   ", None),
    ],
)
def test_numbers_as_partners_write_them(raw, value):
    assert normalise.number(raw) == value


@pytest.mark.parametrize("raw", ["mbi 1000", "abc", "12..5", True, "1,2,3,4",
                                 # endless or undefined: a spreadsheet's 'inf', 'NaN' or an overflow
                                 # (a float NaN is an empty cell)
                                 "inf", "-Infinity", "NaN", "nan%", "1e999", float("inf")])
def test_not_a_number(raw):
    assert invalid(normalise.number, raw) == ("not_a_number", {})


@pytest.mark.parametrize(
    ("raw", "value"),
    [("200 gra dhe burra", 200), ("1,157 pjesëmarrës", 1157), ("1 157 pjesëmarrës", 1157), ("10 fokus grupe", 10),
     (" 12 ", 12), (12.0, 12), (12, 12), ("1.157", 1157), ("1 234", 1234), ("1\u00a0234", 1234), ("+5", 5),
     ("12,00", 12), ("1.157,0", 1157), ("007", 7), ("-4", -4), (None, None), ("", None), (float("nan"), None)],
)
def test_counts_are_whole_numbers_even_with_words_after_them(raw, value):
    assert normalise.count(raw) == value


@pytest.mark.parametrize("raw", ["3.5", 3.5, "0,157", "1.157,5"])
def test_a_fractional_count_is_an_error(raw):
    assert invalid(normalise.count, raw) == ("not_a_whole_number", {})


@pytest.mark.parametrize(("raw", "letter", "meant"), [
    ("2O", "O", "20"), ("1O0", "O", "100"), ("1o0", "o", "100"), ("1l", "l", "11"), ("l0", "l", "10"),
    ("1I", "I", "11"), ("1O0 000", "O", "100 000"), ("2O gra dhe burra", "O", "20"), ("2O25", "O", "2025")])
def test_a_letter_o_or_l_among_digits_is_refused_asking_for_the_number_meant(raw, letter, meant):
    """'2O' was stored as 2 events and '1O0' as 1 participant, without a word."""
    assert invalid(normalise.count, raw) == ("letter_in_number", {"letter": letter, "meant": meant})
    assert invalid(normalise.number, raw) == ("letter_in_number", {"letter": letter, "meant": meant})


@pytest.mark.parametrize(("raw", "code"), [
    ("12a", "not_a_number"), ("12 a", "not_a_number"), ("3x gra", "not_a_number"), ("1e3", "not_a_number"),
    ("1_000", "not_a_number"), ("\u0661\u0662", "not_a_number"), ("1 2", "not_a_number"), ("- 3", "not_a_number"),
    ("gra 200", "not_a_number"), ("200 gra, 150 burra", "not_a_number"), ("O", "not_a_number"),
    ("3-4", "two_numbers"), ("3 – 4", "two_numbers"), ("10-12 persona", "two_numbers"),
    ("50%", "count_is_share"), ("74,5%", "count_is_share"), ("40 % gra", "count_is_share"),
    ("2 mijë", "count_in_words"), ("1,5 milion", "count_in_words"), ("3 thousand people", "count_in_words")])
def test_a_count_that_is_not_all_a_number_is_refused_never_read_as_its_first_digits(raw, code):
    """'12a' was stored as 12: only a number followed by words ('200 gra dhe burra') keeps its number."""
    assert invalid(normalise.count, raw) == (code, {})


@pytest.mark.parametrize("raw", [9.223372036854776e+18, "20 000 000", 10_000_001, -10_000_001, float("inf")])
def test_a_count_past_ten_million_is_an_error_not_an_overflow(raw):
    code, params = invalid(normalise.count, raw)
    # the limit as each language groups digits (CLDR: a no-break space in Albanian, as every number shown)
    assert (code, params) == (("count_too_large", {"limit": {"sq": "10\u00a0000\u00a0000", "en": "10,000,000"}})
                              if raw != float("inf") else ("not_a_number", {}))  # endless is no number


def test_ten_million_is_still_a_count():
    assert normalise.count(10_000_000) == 10_000_000


# ----------------------------------------------------------------------------------- dates and years

@pytest.mark.parametrize(
    "raw",
    ["12.09.2023", "12.9.2023", " 12.09.2023 ", "12.09.2023.", "2023-09-12", "12/09/2023", "12-09-2023", "12.09.23",
     "2023/09/12", "2023-09-12 00:00:00", "2023-09-12T10:30:00",
     45181, 45181.0, "45181", "45181.0",  # Excel serials, also as text from a CSV export
     dt.datetime(2023, 9, 12, 15, 0), dt.date(2023, 9, 12)],
)
def test_dates_in_every_format_partners_send(raw):
    assert normalise.date(raw) == dt.date(2023, 9, 12)


def test_excel_serial_dates_match_excel():
    assert normalise.date(1) == dt.date(1899, 12, 31)
    assert normalise.date(44187) == dt.date(2020, 12, 22)
    assert normalise.date(45000) == dt.date(2023, 3, 15)


@pytest.mark.parametrize("raw", ["shtator 2023", "2023-13-01", "32.01.2026", "00.09.2026", "12 09 2023", 0, -5, True,
                                 3e6])
def test_not_a_date(raw):
    assert invalid(normalise.date, raw) == ("not_a_date", {})


@pytest.mark.parametrize(("raw", "last"), [
    ("31.09.2026", "30.09.2026"), ("29.02.2026", "28.02.2026"), ("31.02.2023", "28.02.2023"),
    ("30.02.2024", "29.02.2024"), ("31.04.2023", "30.04.2023"), ("2026-09-31", "30.09.2026"),
    ("31/06/2025", "30.06.2025"), ("31-11-2025", "30.11.2025"), ("31.09.26", "30.09.2026"),
    ("2025/02/29", "28.02.2025")])
def test_a_day_its_month_does_not_have_is_told_so_not_told_the_format(raw, last):
    """'31.09.2026' was told to use dd.mm.yyyy, which it does."""
    assert invalid(normalise.date, raw) == ("day_not_in_month", {"last": last})


def test_a_day_its_month_does_not_have_reads_as_a_sentence_in_both_languages():
    with pytest.raises(InvalidValue) as caught:
        normalise.date("31.09.2026")
    found = problem(caught.value.code, sheet="Aktivitetet", value="31.09.2026", **caught.value.params)
    assert (found.message_en, found.message_sq) == (
        "The date '31.09.2026' does not exist: the last day of that month is 30.09.2026. Check the day and the month.",
        "Data '31.09.2026' nuk ekziston: dita e fundit e atij muaji është 30.09.2026. Kontrolloni ditën dhe muajin.")


@pytest.mark.parametrize(("raw", "value"), [(2023, 2023), ("2023", 2023), (2023.0, 2023), (" 2021 ", 2021)])
def test_years(raw, value):
    assert normalise.year(raw) == value


@pytest.mark.parametrize("raw", ["23", 1899, 2101, "viti 2023", "2023/24", "2023.5", ""])
def test_not_a_year(raw):
    assert invalid(normalise.year, raw) == ("not_a_year", {})


def test_a_year_with_the_letter_o_says_which_year_was_meant():
    assert invalid(normalise.year, "2O23") == ("letter_in_number", {"letter": "O", "meant": "2023"})


# ----------------------------------------------------------------------------------- text

@pytest.mark.parametrize(
    ("raw", "value"),
    [("  Shërbimi   funksionon ", "Shërbimi funksionon"), ("TIR-01", "TIR-01"), (12.0, "12"), (12.5, "12.5"), (7, "7"),
     ("a\nb", "a b"), (None, None), ("", None), ("  ", None), (float("nan"), None)],
)
def test_free_text_is_trimmed_and_blank_is_none(raw, value):
    assert normalise.text(raw) == value


@pytest.mark.parametrize(("raw", "blank"), [(None, True), ("", True), (" \t", True), (float("nan"), True),
                                            (0, False), ("0", False), ("x", False)])
def test_is_blank(raw, blank):
    assert normalise.is_blank(raw) is blank


def test_every_status_theme_and_type_label_parses_to_its_key():
    for vocabulary, parse in (("statuses", normalise.status), ("themes", normalise.theme),
                              ("activity_types", lambda raw: normalise.activity_type(raw)[0]),
                              ("indicators", normalise.indicator)):
        for term in reference.terms(vocabulary):
            for spelling in (term.label_sq, term.label_en, *term.aliases):
                assert parse(spelling) == term.key, (vocabulary, spelling)
