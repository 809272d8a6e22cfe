"""reference: the reference data in data/reference/ holds what the network works with."""
from __future__ import annotations

import datetime as dt
from collections import defaultdict

import pytest

from pop_analytics import reference
from pop_analytics.text import fold

# Albania's 61 municipalities in 12 counties (qarqe) since 2015.
COUNTIES = {
    "Berat": {"Berat", "Kuçovë", "Poliçan", "Skrapar", "Ura Vajgurore"},
    "Dibër": {"Bulqizë", "Dibër", "Klos", "Mat"},
    "Durrës": {"Durrës", "Krujë", "Shijak"},
    "Elbasan": {"Belsh", "Cërrik", "Elbasan", "Gramsh", "Librazhd", "Peqin", "Prrenjas"},
    "Fier": {"Divjakë", "Fier", "Lushnjë", "Mallakastër", "Patos", "Roskovec"},
    "Gjirokastër": {"Dropull", "Gjirokastër", "Këlcyrë", "Libohovë", "Memaliaj", "Përmet", "Tepelenë"},
    "Korçë": {"Devoll", "Kolonjë", "Korçë", "Maliq", "Pogradec", "Pustec"},
    "Kukës": {"Has", "Kukës", "Tropojë"},
    "Lezhë": {"Kurbin", "Lezhë", "Mirditë"},
    "Shkodër": {"Fushë-Arrëz", "Malësi e Madhe", "Pukë", "Shkodër", "Vau i Dejës"},
    "Tiranë": {"Kamëz", "Kavajë", "Rrogozhinë", "Tiranë", "Vorë"},
    "Vlorë": {"Delvinë", "Finiq", "Himarë", "Konispol", "Sarandë", "Selenicë", "Vlorë"},
}

# The POP network, with the year each municipality joined and its partner organisation.
POP_NETWORK = {
    "Tiranë": (2019, 'Qendra "Aleanca Gjinore për Zhvillim"'),
    "Durrës": (2019, "Qendra për Zhvillimin e Shoqërisë Civile"),
    "Shkodër": (2019, 'Intelektualët e Rinj "Shpresë"'),
    "Kukës": (2019, "Qendra për Progres Rinor"),
    "Pukë": (2019, "Lëvizja Rinore për Demokraci"),
    "Vlorë": (2019, "Qendra Rinore e Vlorës"),
    "Fier": (2019, 'Qendra "Epoka e Re"'),
    "Kamëz": (2019, "Shoqata për Integrimin e Zonave Informale"),
    "Pogradec": (2019, "Rinia për Integrim, Aktivizim dhe Sensibilizim"),
    "Elbasan": (2021, "Tjetër Vizion"),
    "Korçë": (2021, "Gruaja në Zhvillim"),
    "Vau i Dejës": (2021, 'Qendra "Hapa të Lehtë"'),
}


def test_all_61_albanian_municipalities_are_known_with_their_county():
    by_county = defaultdict(set)
    for m in reference.municipalities():
        by_county[m.county].add(m.name)
    assert dict(by_county) == COUNTIES
    assert len(reference.municipalities()) == 61
    assert {m.country for m in reference.municipalities()} == {"AL"}


def test_the_pop_network_is_the_12_municipalities_with_the_year_they_joined():
    assert set(reference.pop_municipalities()) == set(POP_NETWORK)
    assert {m.name: m.pop_member_since for m in reference.municipalities() if m.pop_member_since} == {
        name: year for name, (year, _partner) in POP_NETWORK.items()}
    assert reference.municipality("Berat").pop_member_since is None


@pytest.mark.parametrize(("municipality", "partner"), [(m, p) for m, (_y, p) in POP_NETWORK.items()])
def test_every_pop_municipality_has_its_partner_organisation(municipality, partner):
    assert reference.partners()[municipality]["sq"] == partner


def test_partner_names_are_given_in_english_too():
    assert reference.partners()["Vlorë"] == {"sq": "Qendra Rinore e Vlorës", "en": "Vlora Youth Center"}
    assert reference.partners()["Tiranë"]["en"] == "Gender Alliance for Development Centre"
    assert set(reference.partners()) == set(POP_NETWORK)


@pytest.mark.parametrize(
    ("spelling", "name"),
    [
        # the spellings partners' sheets use: indefinite, definite, without diacritics
        ("Tirana", "Tiranë"), ("Tirane", "Tiranë"), ("Durrësi", "Durrës"), ("Durres", "Durrës"),
        ("Shkodra", "Shkodër"), ("Shkoder", "Shkodër"), ("Kukësi", "Kukës"), ("Kukes", "Kukës"),
        ("Puka", "Pukë"), ("Puke", "Pukë"), ("Vlora", "Vlorë"), ("Vlore", "Vlorë"), ("Fieri", "Fier"),
        ("Kamza", "Kamëz"), ("Kamez", "Kamëz"), ("Pogradeci", "Pogradec"), ("Elbasani", "Elbasan"),
        ("Korça", "Korçë"), ("Korce", "Korçë"), ("Vau-Dejës", "Vau i Dejës"), ("Vau i Dejes", "Vau i Dejës"),
        # definite forms of the other municipalities, derived by rule
        ("Lushnja", "Lushnjë"), ("Berati", "Berat"), ("Saranda", "Sarandë"), ("Kavaja", "Kavajë"),
        ("Dibra", "Dibër"), ("Gjirokastra", "Gjirokastër"), ("Mallakastra", "Mallakastër"),
        ("Shijaku", "Shijak"), ("Cërriku", "Cërrik"), ("Belshi", "Belsh"), ("Gramshi", "Gramsh"),
        ("Përmeti", "Përmet"), ("Mati", "Mat"),
        # town names partners use for their municipality
        ("Peshkopi", "Dibër"), ("Burrel", "Mat"), ("Ballsh", "Mallakastër"), ("Bajram Curri", "Tropojë"),
        ("Koplik", "Malësi e Madhe"), ("Laç", "Kurbin"),
    ],
)
def test_municipality_lookup_knows_every_spelling(spelling, name):
    assert reference.municipality_lookup()[fold(spelling)] == name


def test_every_municipality_name_looks_up_to_itself():
    lookup = reference.municipality_lookup()
    assert all(lookup[fold(m.name)] == m.name for m in reference.municipalities())


def test_no_spelling_points_at_two_municipalities():
    owners = defaultdict(set)
    for m in reference.municipalities():
        for spelling in (m.name, *m.aliases):
            owners[fold(spelling)].add(m.name)
    assert {k: v for k, v in owners.items() if len(v) > 1} == {}


@pytest.mark.parametrize(
    ("vocabulary", "keys"),
    [
        ("themes", ("water", "transport", "kindergartens", "roads", "social_justice", "civic_engagement",
                    "local_development")),
        ("statuses", ("fully", "partially", "not_addressed")),
        ("activity_types", ("focus_group", "public_forum", "participatory_budgeting", "council_meeting", "workshop",
                            "conference", "training", "other")),
        ("indicators", ("events", "participants", "unique_participants", "persons_reached", "candidates_engaged",
                        "monitoring_reports", "contracts_signed")),
    ],
)
def test_vocabularies_have_the_domain_keys_in_order(vocabulary, keys):
    assert reference.term_keys(vocabulary) == keys


@pytest.mark.parametrize("vocabulary", ["themes", "statuses", "activity_types", "indicators"])
def test_no_spelling_points_at_two_terms(vocabulary):
    owners = defaultdict(set)
    for term in reference.terms(vocabulary):
        for spelling in (term.key, term.key.replace("_", " "), term.label_sq, term.label_en, *term.aliases):
            owners[fold(spelling)].add(term.key)
    assert {k: v for k, v in owners.items() if len(v) > 1} == {}


@pytest.mark.parametrize(
    ("vocabulary", "key", "sq", "en"),
    [
        ("statuses", "fully", "Plotësisht", "fully addressed"),
        ("statuses", "not_addressed", "Nuk është adresuar", "not addressed"),
        ("themes", "water", "Uji i pijshëm", "drinking water"),
        ("themes", "civic_engagement", "Angazhimi qytetar dhe transparenca vendore",
         "civic engagement and local transparency"),
        ("activity_types", "participatory_budgeting", "Takim për buxhetimin me pjesëmarrje",
         "participatory budgeting meeting"),
        ("indicators", "persons_reached", "Persona të arritur", "persons reached"),
    ],
)
def test_term_labels_in_both_languages(vocabulary, key, sq, en):
    assert reference.term_label(vocabulary, key, "sq") == sq
    assert reference.term_label(vocabulary, key, "en") == en
    term = next(t for t in reference.terms(vocabulary) if t.key == key)
    assert (term.label("sq"), term.label("en")) == (sq, en)


def test_term_label_of_an_unknown_key_is_the_key_itself():
    assert reference.term_label("themes", "sport", "en") == "sport"


@pytest.mark.parametrize(
    ("kind", "required"),
    [
        ("priorities", ["municipality", "code", "title", "theme", "year", "status"]),
        ("activities", ["date", "municipality", "type"]),
        ("figures", ["year", "indicator", "value"]),
    ],
)
def test_required_columns_per_sheet_kind(kind, required):
    assert [c.field for c in reference.columns(kind) if c.required] == required


def test_column_header_is_bilingual():
    municipality = next(c for c in reference.columns("activities") if c.field == "municipality")
    assert municipality.header == "Bashkia / Municipality"
    participants = next(c for c in reference.columns("activities") if c.field == "participants")
    assert participants.header == "Pjesëmarrës gjithsej / Participants total"
    assert {c.kind for c in reference.columns()} == set(reference.SHEET_KINDS)


def test_contract_cycles_and_their_elections():
    cycles = reference.cycles()
    assert list(cycles) == ["2019-2023", "2023-2027"]
    assert cycles["2019-2023"]["election_date"] == "2019-06-30"
    assert cycles["2023-2027"]["election_date"] == "2023-05-14"
    first = cycles["2019-2023"]
    assert (first["first_monitoring_year"], first["last_monitoring_year"]) == ("2020", "2023")


@pytest.mark.parametrize(("cycle", "end"), [("2019-2023", dt.date(2023, 12, 31)), ("2023-2027", dt.date(2027, 12, 31))])
def test_a_contract_cycle_ends_with_its_last_monitoring_year(cycle, end):
    """A priority without a deadline of its own is due by then (kpis.deadline)."""
    assert reference.cycle_end(cycle) == end
    assert end == dt.date(int(reference.cycles()[cycle]["last_monitoring_year"]), 12, 31)


def test_a_cycle_the_reference_data_does_not_know_has_no_end():
    with pytest.raises(KeyError):
        reference.cycle_end("2027-2031")


def test_the_priorities_sheet_may_give_a_deadline_of_its_own():
    due = next(c for c in reference.columns("priorities") if c.field == "due")
    assert (due.required, due.header) == (False, "Afati / Deadline")
    assert {"Afati i realizimit", "Data e afatit", "Due date", "Deadline"} <= set(due.aliases)


def test_countries_allow_a_regional_network():
    assert list(reference.countries()) == ["AL", "XK", "MK"]
    assert reference.countries()["XK"]["unit_sq"] == "komunë"


def test_only_events_and_participants_have_an_itemised_counterpart():
    assert reference.indicator_itemised_as() == {"events": "events", "participants": "participants"}


@pytest.mark.parametrize(("kind", "words"), [
    ("network", {"rrjeti", "gjithe rrjeti", "i gjithe rrjeti", "rrjeti pop", "network", "whole network",
                 "the whole network", "pop network"}),
    ("total", {"gjithsej", "totali", "total", "totale", "shuma", "totals", "grand total"}),
    ("multiplier", {"mije", "mij", "mijera", "mijra", "qind", "qindra", "mln", "milion", "miliona", "mld", "miliard",
                    "miliarde", "hundred", "hundreds", "thousand", "thousands", "million", "millions", "billion",
                    "billions", "mio"}),
])
def test_partners_spellings_are_read_from_the_reference_data_folded_as_a_cell_is(kind, words):
    """The words for the whole network, a total row's label and a number's multiplier live in
    data/reference/<kind>_words.csv, compared with a cell after fold()."""
    assert reference.spellings(kind) == words
