"""filters: municipality / year / theme / cycle filters resolved from any spelling, repeatable and comma-separated."""
from __future__ import annotations

import pytest

from pop_analytics import filters
from pop_analytics.errors import UnknownFilterValue
from pop_analytics.filters import Filters


@pytest.mark.parametrize(
    ("values", "split"),
    [(None, []), ("Tiranë", ["Tiranë"]), (2023, ["2023"]), (["Tiranë,Durrës", "Fier"], ["Tiranë", "Durrës", "Fier"]),
     (" Tiranë , ,Durrës ", ["Tiranë", "Durrës"]), ([], []), ([2020, "2021,2022"], ["2020", "2021", "2022"])],
)
def test_split_values_takes_repeated_and_comma_separated_values(values, split):
    assert filters.split_values(values) == split


def test_resolve_reads_any_spelling_and_drops_repeats():
    chosen = filters.resolve(municipality=["Tirana,Durresi", "TIRANË"], year=["2023", "2020,2023"],
                             theme=["Uji i pijshëm", "roads", "water"], cycle="2019 – 2023")
    assert chosen == Filters(municipality=("Tiranë", "Durrës"), year=(2020, 2023), theme=("water", "roads"),
                             cycle="2019-2023")


def test_no_filters_means_everything():
    chosen = filters.resolve()
    assert chosen == Filters()
    assert chosen.as_dict() == {"municipality": [], "year": [], "theme": [], "cycle": None}


@pytest.mark.parametrize(
    ("raw", "municipality"),
    [("Tirana", "Tiranë"), ("VAU-DEJES", "Vau i Dejës"), ("Bashkia Korçë", "Korçë"), ("shkodra", "Shkodër"),
     ("Kamza", "Kamëz"), ("Dibra", "Dibër")],
)
def test_municipality_filter_in_any_spelling(raw, municipality):
    assert filters.resolve_municipality(raw) == municipality


@pytest.mark.parametrize(
    ("raw", "theme"),
    [("water", "water"), ("Uji i pijshëm", "water"), ("drinking water", "water"), ("Rrugët", "roads"),
     ("social_justice", "social_justice"), ("Angazhim qytetar", "civic_engagement")],
)
def test_theme_filter_by_key_or_label(raw, theme):
    assert filters.resolve_theme(raw) == theme


@pytest.mark.parametrize(("raw", "cycle"), [("2019-2023", "2019-2023"), ("2023 – 2027", "2023-2027"), (None, None),
                                            ("", None), ("  ", None)])
def test_cycle_filter(raw, cycle):
    assert filters.resolve_cycle(raw) == cycle


@pytest.mark.parametrize(
    ("kind", "raw", "suggestion", "message"),
    [
        ("municipality", "Tirna", "Tiranë", "Unknown municipality 'Tirna'. Did you mean 'Tiranë'?"),
        ("municipality", "Prishtinë", None, "Unknown municipality 'Prishtinë'."),
        ("theme", "Ujii", "water", "Unknown theme 'Ujii'. Did you mean 'water'?"),
        ("theme", "Sporti", "transport", "Unknown theme 'Sporti'. Did you mean 'transport'?"),
        ("year", "20x", None, "Unknown year '20x'."),
        ("year", "1899", None, "Unknown year '1899'."),
    ],
)
def test_an_unknown_filter_value_names_the_closest_match(kind, raw, suggestion, message):
    with pytest.raises(UnknownFilterValue) as caught:
        filters.resolve(**{kind: raw})
    assert (caught.value.kind, caught.value.value, caught.value.suggestion, str(caught.value)) == (
        kind, raw, suggestion, message)


@pytest.mark.parametrize(("kind", "key", "lang", "label"), [
    ("theme", "water", "en", "drinking water"), ("theme", "water", "sq", "Uji i pijshëm"),
    ("theme", "transport", "en", "public transport"), ("municipality", "Tiranë", "en", "Tiranë"),
    ("year", "2023", "en", "2023"),
])
def test_a_suggestion_is_named_in_the_readers_language(kind, key, lang, label):
    assert filters.suggestion_label(kind, key, lang) == label


def test_an_unknown_cycle_is_refused_without_a_guess():
    with pytest.raises(UnknownFilterValue) as caught:
        filters.resolve(cycle="2020-2024")
    assert (caught.value.kind, caught.value.value, caught.value.suggestion) == ("cycle", "2020-2024", None)
    assert str(caught.value) == "Unknown cycle '2020-2024'."


def test_resolved_filters_are_written_as_sorted_keys_for_kpis_json():
    chosen = filters.resolve(municipality="Fier", year=[2021, 2020], theme="Rrugët", cycle="2019-2023")
    assert chosen.as_dict() == {"municipality": ["Fier"], "year": [2020, 2021], "theme": ["roads"],
                                "cycle": "2019-2023"}


def test_but_changes_one_filter_and_keeps_the_others():
    chosen = filters.resolve(municipality="Fier", year=2021)
    assert chosen.but(year=(2022,)) == Filters(municipality=("Fier",), year=(2022,))
    assert chosen == Filters(municipality=("Fier",), year=(2021,))


def test_a_span_of_years_names_every_year_in_it():
    assert filters.resolve(year="2020-2023").year == (2020, 2021, 2022, 2023)
    assert filters.resolve(year=["2023–2021", "2025"]).year == (2021, 2022, 2023, 2025)
