"""text.fold: the lookup key that makes case, diacritics, stray spaces and hyphens not matter."""
from __future__ import annotations

import pandas as pd
import pytest

from pop_analytics.text import fold, folded


@pytest.mark.parametrize(
    ("raw", "folded"),
    [
        ("  TIRANË-", "tirane"),
        ("Tirana", "tirana"),
        ("Vau-Dejës", "vau dejes"),
        ("Vau i Dejës", "vau i dejes"),
        ("VAU  I   DEJES", "vau i dejes"),
        ("KORÇA", "korca"),
        ("Korçë", "korce"),
        ("Çerdhe dhe kopështe", "cerdhe dhe kopeshte"),
        ("Mbledhje e Këshillit Bashkiak (e monitoruar)", "mbledhje e keshillit bashkiak e monitoruar"),
        ("Bashkia / Municipality *", "bashkia municipality"),
        ("Nr.", "nr"),
        ("Pjesëmarrës\ngjithsej", "pjesemarres gjithsej"),
        ("Tiranë\u00a0", "tirane"),  # a no-break space pasted from Word
        ("not_addressed", "not addressed"),
        ("“Hapa të Lehtë”", "hapa te lehte"),
        ("Gjithsej:", "gjithsej"),
        ("Citizens' priority", "citizens priority"),
        ("Fushë-Arrëz", "fushe arrez"),
        (2023, "2023"),
        ("", ""),
        ("  - ", ""),
    ],
)
def test_fold_ignores_case_diacritics_spaces_and_punctuation(raw, folded):
    assert fold(raw) == folded


@pytest.mark.parametrize("spelling", ["Vau i Dejës", "vau i dejes", "VAU I DEJËS", " Vau  i-Dejës ", "vau_i_dejes"])
def test_every_spelling_of_a_name_folds_to_one_key(spelling):
    assert fold(spelling) == "vau i dejes"


@pytest.mark.parametrize("raw", ["  TIRANË-", "Mbledhje e Këshillit Bashkiak (e monitoruar)", "Çerdhe; Rrugët"])
def test_fold_is_idempotent(raw):
    assert fold(fold(raw)) == fold(raw)


def test_fold_keeps_words_apart_that_differ():
    assert fold("Pukë") != fold("Pukë e Re")
    assert fold("Fier") == "fier"


@pytest.mark.parametrize("values", [
    ["Vlorë", "Tiranë", "Vlorë", "KORÇA", "Tiranë"],
    ["TIR-01", None, "tir 01", float("nan"), "TIR-01"],
    [],
])
def test_a_column_folds_as_each_of_its_values_does(values):
    column = pd.Series(values, dtype=object)
    assert list(folded(column)) == [fold(value) for value in values]
    assert list(folded(column).index) == list(column.index)
    assert list(folded(column[::-1])) == [fold(value) for value in values[::-1]]  # again, from the kept keys
