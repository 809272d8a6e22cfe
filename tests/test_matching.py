"""The one rule that reads what partners write into vocabulary terms (pop_analytics.matching): exact
spellings and aliases are read quietly, a value exactly one term fits with confidence is read as
"close", a value two terms fit or none fits is refused; saved mappings come before the rule."""
from __future__ import annotations

import dataclasses
import random
import unicodedata

import pytest

from pop_analytics import reference
from pop_analytics.matching import Mappings, NoMatch, Reading, SavedMapping, reference_vocabulary
from pop_analytics.text import fold

EXACT, CLOSE = "exact", "close"
ACTIVITIES, PRIORITIES, FIGURES = "column.activities", "column.priorities", "column.figures"

# (vocabulary, value as a partner wrote it, term key, how it is read)
ACCEPTED = [
    # Municipalities: case, diacritics, spaces, definite and genitive forms, "Bashkia e …", slips.
    ("municipality", "Tirana", "Tiranë", EXACT), ("municipality", "Tiranës", "Tiranë", EXACT),
    ("municipality", "TIRANE", "Tiranë", EXACT), ("municipality", "  Kukes ", "Kukës", EXACT),
    ("municipality", "Durrësi", "Durrës", EXACT), ("municipality", "Durresit", "Durrës", EXACT),
    ("municipality", "Durrës.", "Durrës", EXACT), ("municipality", "Shkodra", "Shkodër", EXACT),
    ("municipality", "Shkodrës", "Shkodër", EXACT), ("municipality", "Shkoder", "Shkodër", EXACT),
    ("municipality", "Vlora", "Vlorë", EXACT), ("municipality", "Vlorës", "Vlorë", EXACT),
    ("municipality", "Korça", "Korçë", EXACT), ("municipality", "Sarandës", "Sarandë", EXACT),
    ("municipality", "Korçës", "Korçë", EXACT), ("municipality", "korce", "Korçë", EXACT),
    ("municipality", "Elbasani", "Elbasan", EXACT), ("municipality", "Elbasanit", "Elbasan", EXACT),
    ("municipality", "Pogradeci", "Pogradec", EXACT), ("municipality", "Pogradecit", "Pogradec", EXACT),
    ("municipality", "Kukësi", "Kukës", EXACT), ("municipality", "Kukesit", "Kukës", EXACT),
    ("municipality", "Puka", "Pukë", EXACT), ("municipality", "Fierit", "Fier", EXACT),
    ("municipality", "Kamza", "Kamëz", EXACT), ("municipality", "Kamzës", "Kamëz", CLOSE),
    ("municipality", "Lushnjës", "Lushnjë", EXACT), ("municipality", "Gjirokastra", "Gjirokastër", EXACT),
    ("municipality", "Peshkopi", "Dibër", EXACT), ("municipality", "Bajram Curri", "Tropojë", EXACT),
    ("municipality", "Vau-i-Dejës", "Vau i Dejës", EXACT), ("municipality", "Bashkia e Shkodrës", "Shkodër", EXACT),
    ("municipality", "Dejës Vau i", "Vau i Dejës", CLOSE), ("municipality", "Fushe Arrez", "Fushë-Arrëz", EXACT),
    ("municipality", "Malësia e Madhe", "Malësi e Madhe", CLOSE),
    ("municipality", "Bashkia e Tiranës", "Tiranë", EXACT), ("municipality", "Bashkia Durrës", "Durrës", EXACT),
    ("municipality", "Tirna", "Tiranë", CLOSE), ("municipality", "Elbsan", "Elbasan", CLOSE),
    ("municipality", "Pogradc", "Pogradec", CLOSE), ("municipality", "Shkdër", "Shkodër", CLOSE),
    # Themes.
    ("theme", "Transprti publik", "transport", CLOSE), ("theme", "Publik transporti", "transport", CLOSE),
    ("theme", "TRANSPORTI PUBLIK", "transport", EXACT), ("theme", "Transporti publik urban", "transport", CLOSE),
    ("theme", "Transport publik;", "transport", EXACT), ("theme", "Uji i pijshem", "water", EXACT),
    ("theme", "Ujë të pijshëm", "water", CLOSE), ("theme", "Ujit te pijshem", "water", CLOSE),
    ("theme", "Furnizimi me ujë të pijshëm", "water", CLOSE), ("theme", "water supply", "water", CLOSE),
    ("theme", "Kopshtet", "kindergartens", CLOSE), ("theme", "Kopshti", "kindergartens", EXACT),
    ("theme", "Shkollat dhe kopshtet", "kindergartens", CLOSE), ("theme", "Çerdhet", "kindergartens", CLOSE),
    ("theme", "Shkolla & kopshte", "kindergartens", CLOSE), ("theme", "kindergarten", "kindergartens", CLOSE),
    ("theme", "Rrugët", "roads", EXACT), ("theme", "Rrugë", "roads", CLOSE),
    ("theme", "Infrastrukture rrugore", "roads", CLOSE), ("theme", "Rrugore infrastruktura", "roads", CLOSE),
    ("theme", "Infrastruktura e rrugëve", "roads", CLOSE), ("theme", "Roads infrastructure", "roads", CLOSE),
    ("theme", "Drejtesi sociale", "social_justice", EXACT), ("theme", "Sociale drejtesia", "social_justice", CLOSE),
    ("theme", "Drejtësia", "social_justice", CLOSE),
    ("theme", "Angazhimi qytetar dhe transparenca", "civic_engagement", CLOSE),
    ("theme", "Angazhimi qytetar, transparenca vendore", "civic_engagement", CLOSE),
    ("theme", "Transparencë vendore", "civic_engagement", CLOSE),
    ("theme", "civic engagement & local transparency", "civic_engagement", CLOSE),
    ("theme", "Angazhim i qytetarëve", "civic_engagement", CLOSE),
    ("theme", "Zhvillim vendor", "local_development", CLOSE),
    ("theme", "Zhvillim vendor i qëndrueshëm", "local_development", CLOSE),
    ("theme", "sustainable development", "local_development", CLOSE),
    ("theme", "Sustainable local developments", "local_development", CLOSE),
    # Statuses: only when exactly one fits.
    ("status", "Plotsisht", "fully", CLOSE), ("status", "Pjeserishte", "partially", CLOSE),
    ("status", "PLOTESISHT", "fully", EXACT), ("status", "Plotësisht i adresuar", "fully", CLOSE),
    ("status", "plotësisht e realizuar", "fully", CLOSE), ("status", "I realizuar plotësisht", "fully", CLOSE),
    ("status", "E adresuar plotësisht", "fully", CLOSE), ("status", "Realizur plotesisht", "fully", CLOSE),
    ("status", "Plotësisht 100%", "fully", CLOSE), ("status", "Addressed fully", "fully", CLOSE),
    ("status", "fully  addressed", "fully", EXACT), ("status", "Realizuar pjeserisht", "partially", EXACT),
    ("status", "Pjesërisht e adresuar", "partially", CLOSE), ("status", "Realizuar pjesrisht", "partially", CLOSE),
    ("status", "partial", "partially", EXACT), ("status", "addressed partially", "partially", CLOSE),
    ("status", "Nuk eshte realizuar", "not_addressed", EXACT), ("status", "PA ADRESUAR", "not_addressed", EXACT),
    ("status", "Nuk u realizua", "not_addressed", CLOSE),
    ("status", "Nuk është adresuar fare", "not_addressed", CLOSE),
    ("status", "Ende nuk është adresuar", "not_addressed", CLOSE),
    ("status", "not  addressed", "not_addressed", EXACT), ("status", "Pjesrisht adresuar", "partially", CLOSE),
    ("status", "Realizuar plotesish", "fully", CLOSE),
    # Activity types.
    ("activity_type", "Council meeting monitored", "council_meeting", CLOSE),
    ("activity_type", "Mbledhjet e Këshillit Bashkiak", "council_meeting", CLOSE),
    ("activity_type", "Monitorim i mbledhjes se Keshillit Bashkiak", "council_meeting", CLOSE),
    ("activity_type", "Mbledhje keshilli", "council_meeting", CLOSE),
    ("activity_type", "Municipal council meetings", "council_meeting", CLOSE),
    ("activity_type", "Fokus grupet", "focus_group", CLOSE), ("activity_type", "FOKUS GRUP", "focus_group", EXACT),
    ("activity_type", "Grup fokus", "focus_group", CLOSE), ("activity_type", "Fokus grup me gra", "focus_group", CLOSE),
    ("activity_type", "Workshopi", "workshop", CLOSE), ("activity_type", "Workshop-et", "workshop", CLOSE),
    ("activity_type", "Punëtoritë", "workshop", CLOSE), ("activity_type", "Citizen workshops", "workshop", CLOSE),
    ("activity_type", "Trajnimet", "training", CLOSE), ("activity_type", "Trainings", "training", EXACT),
    ("activity_type", "Trajnim per te rinjte", "training", CLOSE),
    ("activity_type", "Konferencat", "conference", CLOSE), ("activity_type", "Conferences", "conference", CLOSE),
    ("activity_type", "Forumi", "public_forum", CLOSE),
    ("activity_type", "Forum publik me kandidatët", "public_forum", CLOSE),
    ("activity_type", "Buxhetimi pjesemarres", "participatory_budgeting", CLOSE),
    ("activity_type", "Degjese publike per buxhetin 2024", "participatory_budgeting", CLOSE),
    ("activity_type", "Budget hearings", "participatory_budgeting", CLOSE),
    ("activity_type", "Tjera", "other", CLOSE), ("activity_type", "Others", "other", CLOSE),
    # Indicators and cycles.
    ("indicator", "Aktivitetet e raportuara", "events", CLOSE), ("indicator", "Reported events", "events", CLOSE),
    ("indicator", "Pjesemarres unike", "unique_participants", EXACT),
    ("indicator", "Personat e arritur", "persons_reached", CLOSE),
    ("indicator", "Kandidatet e angazhuar", "candidates_engaged", CLOSE),
    ("indicator", "Raportet e monitorimit", "monitoring_reports", CLOSE),
    ("indicator", "Kontrata të firmosura", "contracts_signed", CLOSE),
    ("cycle", "2019 - 2023", "2019-2023", EXACT), ("cycle", "2027-2023", "2023-2027", CLOSE),
    ("cycle", "2023 2027", "2023-2027", EXACT), ("cycle", "Cikli 2019-2023", "2019-2023", CLOSE),
    # Column headers → field names.
    (ACTIVITIES, "Nr i aktiviteteve", "events", CLOSE),
    # The ablative plural (issue 19: 'Nr aktivitetesh' was left unread, and each row counted 1 event).
    (ACTIVITIES, "Nr aktivitetesh", "events", CLOSE), (ACTIVITIES, "Nr. takimesh", "events", CLOSE),
    (ACTIVITIES, "Nr grash", "women", CLOSE), (ACTIVITIES, "Nr burrash", "men", CLOSE),
    (ACTIVITIES, "Numri i aktiviteteve të zhvilluara", "events", CLOSE),
    (ACTIVITIES, "NUMRI I AKTIVITETEVE", "events", EXACT), (ACTIVITIES, "Numri aktiviteteve", "events", CLOSE),
    (ACTIVITIES, "Pjesëmarrësit gjithsej", "participants", CLOSE),
    (ACTIVITIES, "Numri total i pjesëmarrësve", "participants", CLOSE),
    (ACTIVITIES, "Pjesëmarrës gra", "women", CLOSE), (ACTIVITIES, "Të rinjtë", "youth", EXACT),
    (ACTIVITIES, "Lloji aktivitetit", "type", CLOSE), (ACTIVITIES, "Type of activity", "type", CLOSE),
    (ACTIVITIES, "Lloji i aktivitetit / Activity type", "type", EXACT),
    (ACTIVITIES, "Temat e aktivitetit", "themes", CLOSE), (ACTIVITIES, "Partner organization", "partner", CLOSE),
    (ACTIVITIES, "Linket", "link", CLOSE), (ACTIVITIES, "Cikli i kontrates", "cycle", EXACT),
    (PRIORITIES, "Kodi prioritetit", "code", CLOSE), (PRIORITIES, "Nr.", "code", EXACT),
    (PRIORITIES, "Prioritetet e qytetarëve", "title", CLOSE), (PRIORITIES, "Citizens priorities", "title", CLOSE),
    (PRIORITIES, "Viti monitorimit", "year", CLOSE), (PRIORITIES, "Year of monitoring", "year", CLOSE),
    (PRIORITIES, "Statusi realizimit", "status", CLOSE), (PRIORITIES, "Niveli adresimit", "status", CLOSE),
    (PRIORITIES, "Tema / Theme", "theme", EXACT), (PRIORITIES, "Përshkrimi i prioritetit", "title", CLOSE),
    (FIGURES, "Treguesit", "indicator", CLOSE), (FIGURES, "Indicators", "indicator", CLOSE),
    (FIGURES, "Vlerat", "value", CLOSE), (FIGURES, "Deri më datë", "date_to", CLOSE),
    (FIGURES, "Data nga", "date_from", CLOSE), (FIGURES, "Periudha deri", "date_to", EXACT),
]

FULLY_OR_PARTIALLY = {"fully", "partially"}
# (vocabulary, value, the terms it fits: two or more, or None when it fits none)
REFUSED = [
    ("status", "Realizuar", FULLY_OR_PARTIALLY), ("status", "Adresuar", FULLY_OR_PARTIALLY),
    ("status", "E realizuar", FULLY_OR_PARTIALLY), ("status", "E adresuar", FULLY_OR_PARTIALLY),
    ("status", "addressed", FULLY_OR_PARTIALLY), ("status", "Plotesisht dhe pjeserisht", FULLY_OR_PARTIALLY),
    ("status", "Pjesërisht / plotësisht", FULLY_OR_PARTIALLY),
    ("status", "Nuk është realizuar plotësisht", {"not_addressed", "fully"}),
    ("status", "Nuk është adresuar plotësisht", {"not_addressed", "fully"}),
    ("status", "not fully addressed", {"not_addressed", "fully"}),
    ("status", "Plotësisht pa adresuar", {"not_addressed", "fully"}),
    ("status", "Nuk është realizuar pjesërisht", {"not_addressed", "partially"}),
    ("status", "Pjesërisht, nuk është adresuar", {"not_addressed", "partially"}),
    ("status", "Në proces", None), ("status", "Në proces realizimi", None), ("status", "Jo plotësisht", None),
    ("status", "Not fully", None), ("status", "not partially", None), ("status", "Pa plotësisht", None),
    ("status", "Pjesërisht jo", None), ("status", "E paplotësuar", None), ("status", "Paplotësuar", None),
    ("status", "Nuk", None), ("status", "Jo", None), ("status", "Po", None), ("status", "?", None),
    ("status", "n/a", None), ("status", "0", None), ("status", "", None), ("status", "Realizuar 2023", None),
    ("theme", "Kultura", None), ("theme", "Xyz", None), ("theme", "2023", None), ("theme", "Mjedisi", None),
    ("theme", "-", None),
    ("theme", "local development and transparency", {"civic_engagement", "local_development"}),
    ("theme", "Zhvillimi vendor dhe transparenca", {"civic_engagement", "local_development"}),
    ("theme", "Vendore", {"civic_engagement", "local_development"}),
    ("theme", "Uji dhe rrugët", {"water", "roads"}), ("theme", "public transport and roads", {"transport", "roads"}),
    ("activity_type", "Trajnim qytetar", {"training", "workshop"}),
    ("activity_type", "Workshop trajnim", {"training", "workshop"}),
    ("activity_type", "Forum dhe konferencë", {"conference", "public_forum"}),
    ("activity_type", "Kopshtet", None), ("activity_type", "Takim", None), ("activity_type", "Mbledhje", None),
    ("activity_type", "Kampanjë", None),
    ("municipality", "Tirane Durres", {"Tiranë", "Durrës"}),
    ("municipality", "Tirana, Durrës", {"Tiranë", "Durrës"}),
    ("municipality", "Prishtinë", None), ("municipality", "Bashkia", None), ("municipality", "2023", None),
    ("municipality", "Xyz", None),
    ("cycle", "2023", None), ("cycle", "2024-2027", None), ("cycle", "2020-2023", None),
    ("indicator", "Pjesëmarrës", {"participants", "unique_participants"}),
    ("indicator", "reported", {"events", "participants"}), ("indicator", "Pjesëmarrës të arritur", None),
    (ACTIVITIES, "Gra dhe burra", {"women", "men"}), (ACTIVITIES, "Nr", {"events", "participants", "women", "men"}),
    (ACTIVITIES, "Xyz", None), (PRIORITIES, "Xyz", None), (FIGURES, "Periudha", {"date_from", "date_to"}),
]


def _id(case: tuple) -> str:
    return f"{case[0]}:{case[1]!r}"


def _strip(text: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))


TERM_FILES = {"theme": "themes", "activity_type": "activity_types", "status": "statuses", "indicator": "indicators"}


def _labels() -> list[tuple[str, str, tuple[str, ...], tuple[str, ...]]]:
    """(vocabulary, key, its labels, its aliases) for every term and column in data/reference/."""
    found = [(v, t.key, (t.label_sq, t.label_en), t.aliases) for v, f in TERM_FILES.items() for t in reference.terms(f)]
    found += [("municipality", m.name, (m.name,), m.aliases) for m in reference.municipalities()]
    found += [("cycle", key, (key,), ()) for key in reference.cycles()]
    found += [(f"column.{kind}", c.field, (c.label_sq, c.label_en), c.aliases)
              for kind in reference.SHEET_KINDS for c in reference.columns(kind)]
    return found


# Every label and alias of data/reference/, and every label of two words or more in reverse order.
SPELLINGS = list(dict.fromkeys((v, s, key) for v, key, labels, aliases in _labels() for s in (*labels, *aliases)))
REVERSED = [(v, " ".join(reversed(s.split())), key) for v, key, labels, _ in _labels() if v != "cycle"
            for s in labels if " " in s]


def _outcome(vocabulary, raw: object) -> Reading | tuple[str, frozenset[str]]:
    try:
        return vocabulary.read(raw)
    except NoMatch as refused:
        return "refused", frozenset(refused.fits)


def test_the_tables_are_as_large_as_the_issue_asks():
    assert len(ACCEPTED) >= 120 and len(REFUSED) >= 45
    assert len({(v, fold(raw)) for v, raw, *_ in ACCEPTED + REFUSED}) == len(ACCEPTED) + len(REFUSED)
    assert sum(1 for *_, fits in REFUSED if fits is None) >= 20 and sum(1 for *_, fits in REFUSED if fits) >= 20


@pytest.mark.parametrize(("vocabulary", "raw", "key", "how"), ACCEPTED, ids=map(_id, ACCEPTED))
def test_a_partner_spelling_reads_to_its_one_term(vocabulary, raw, key, how):
    assert reference_vocabulary(vocabulary).read(raw) == Reading(key, how)


@pytest.mark.parametrize(("vocabulary", "raw", "fits"), REFUSED, ids=map(_id, REFUSED))
def test_a_value_that_fits_two_terms_or_none_is_refused(vocabulary, raw, fits):
    with pytest.raises(NoMatch) as refused:
        reference_vocabulary(vocabulary).read(raw)
    if fits is None:
        assert refused.value.fits == ()
        assert not refused.value.ambiguous
    else:
        assert set(refused.value.fits) == fits and len(refused.value.fits) == len(fits)
        assert refused.value.ambiguous
        assert refused.value.candidates == refused.value.fits


@pytest.mark.parametrize(("vocabulary", "spelling", "key"), SPELLINGS, ids=map(_id, SPELLINGS))
def test_every_reference_spelling_in_capitals_without_diacritics_reads_exact(vocabulary, spelling, key):
    assert reference_vocabulary(vocabulary).read(_strip(spelling).upper()) == Reading(key, EXACT)


@pytest.mark.parametrize(("vocabulary", "raw", "key"), REVERSED, ids=map(_id, REVERSED))
def test_a_label_with_its_words_in_reverse_order_reads_to_its_term(vocabulary, raw, key):
    vocab = reference_vocabulary(vocabulary)
    is_a_spelling = fold(raw) in {fold(s) for s in vocab.spellings[key]}
    assert vocab.read(raw) == Reading(key, EXACT if is_a_spelling else CLOSE)


def test_a_status_with_a_negation_added_or_dropped_is_never_read_as_its_opposite():
    status = reference_vocabulary("status")
    for raw in ("Jo plotësisht", "Not fully", "Pa plotësisht", "not partially", "Pjesërisht jo"):
        with pytest.raises(NoMatch) as refused:
            status.read(raw)
        assert refused.value.fits == ()
    assert status.read("Nuk është adresuar").key == "not_addressed"
    with pytest.raises(NoMatch) as refused:
        status.read("Adresuar")
    assert "not_addressed" not in refused.value.fits


@pytest.mark.parametrize(("vocabulary", "raw", "closest"), [
    ("status", "Paadresuar", "not_addressed"), ("indicator", "people reached", "persons_reached"),
    ("activity_type", "Takime per buxhetin", "participatory_budgeting"), ("cycle", "2024-2027", "2023-2027"),
], ids=lambda v: str(v))
def test_a_value_no_term_fits_offers_the_closest_term_first(vocabulary, raw, closest):
    with pytest.raises(NoMatch) as refused:
        reference_vocabulary(vocabulary).read(raw)
    assert refused.value.fits == () and refused.value.candidates[0] == closest


def test_a_saved_mapping_reads_a_value_the_rule_refuses():
    status = Mappings([SavedMapping(7, "status", "Realizuar", "fully")]).vocabulary("status")
    assert status.read("REALIZUAR ") == Reading("fully", "saved", 7)
    assert status.read("Pjesërisht") == Reading("partially", EXACT)
    with pytest.raises(NoMatch):
        status.read("Adresuar")


def test_a_saved_mapping_wins_over_a_close_and_an_exact_reading():
    mappings = Mappings([SavedMapping(3, "theme", "Kopshtet", "kindergartens"),
                         SavedMapping(4, "municipality", "Tirana", "Kamëz")])
    assert mappings.vocabulary("theme").read("kopshtet") == Reading("kindergartens", "saved", 3)
    assert mappings.vocabulary("municipality").read("TIRANA") == Reading("Kamëz", "saved", 4)
    assert mappings.vocabulary("municipality").read("Tiranë") == Reading("Tiranë", EXACT)
    with_saved = reference_vocabulary("theme").with_saved({"transprti publik": ("roads", 12)})
    assert with_saved.read("Transprti  Publik") == Reading("roads", "saved", 12)


def test_a_saved_mapping_stays_in_its_own_vocabulary():
    mappings = Mappings([SavedMapping(5, "theme", "Kultura", "civic_engagement"),
                         SavedMapping(6, "status", "Në proces", "partially")])
    assert mappings.vocabulary("theme").read("Kultura") == Reading("civic_engagement", "saved", 5)
    assert mappings.vocabulary("status").read("Në proces") == Reading("partially", "saved", 6)
    for vocabulary, raw in (("activity_type", "Kultura"), ("status", "Kultura"), ("theme", "Në proces")):
        with pytest.raises(NoMatch):
            mappings.vocabulary(vocabulary).read(raw)
    for vocabulary, raw in (("theme", "Kultura"), ("status", "Në proces")):
        with pytest.raises(NoMatch):
            reference_vocabulary(vocabulary).read(raw)
    assert Mappings().vocabulary("theme").read("Kopshtet") == Reading("kindergartens", CLOSE)


def test_a_reading_does_not_depend_on_the_order_of_calls():
    cases = [(v, raw) for v, raw, *_ in ACCEPTED + REFUSED]
    expected = {case: _outcome(reference_vocabulary(case[0]), case[1]) for case in cases}
    shuffled = cases[:]
    random.Random(20240611).shuffle(shuffled)
    for order in (cases[::-1], shuffled):
        fresh = {name: dataclasses.replace(reference_vocabulary(name)) for name in {v for v, _ in cases}}
        assert {case: _outcome(fresh[case[0]], case[1]) for case in order} == expected
    assert {case: _outcome(reference_vocabulary(case[0]), case[1]) for case in cases} == expected


@pytest.mark.parametrize(("vocabulary", "raw"), [("status", "Realizuar"), ("status", "Në proces"),
                                                 ("theme", "Kultura"), ("municipality", "Tirane Durres")],
                         ids=lambda v: str(v))
def test_a_refused_value_is_refused_the_same_way_again(vocabulary, raw):
    vocab = reference_vocabulary(vocabulary)
    refusals = []
    for _ in range(2):
        with pytest.raises(NoMatch) as refused:
            vocab.read(raw)
        refusals.append(refused.value)
    first, second = refusals
    assert (second.fits, second.ambiguous, second.candidates, str(second)) == \
        (first.fits, first.ambiguous, first.candidates, str(first))
