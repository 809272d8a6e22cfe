"""The one rule for reading what partners write into a vocabulary's terms: municipalities, themes,
activity types, statuses, indicators, and each sheet kind's column headers.

A value is read as a term when
- its folded form (case, diacritics, spaces, punctuation) is a spelling of the term, or a saved
  mapping (an alias a coordinator added) names it: read quietly;
- else when exactly one term fits it with confidence: read, and the reading is reported. A fit is
  the same words in any order, with small words (e, i, të, dhe, me, për, the, of, and …) ignored,
  each word in any of its Albanian definite, indefinite, plural, genitive or ablative forms (Kopshti,
  Kopshtet) or English plural, with at most one word added or left out, at most one typing slip
  in a word of five letters or more, never a negation (nuk, pa, not) added or dropped, nor a number
  dropped ('2019' is no cycle). A word
  added that belongs to another term makes that term fit too;
- else it is not read: NoMatch says which terms fit (two or more) or, lazily, which come closest.

Everything is computed once per distinct value and per vocabulary; words are found through an
index of the vocabulary's words (and, for a typing slip, of each word less one letter), so an
unknown value costs a few dictionary lookups, however large the file.
"""
from __future__ import annotations

import copy
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache

from rapidfuzz import fuzz, process
from rapidfuzz.distance import DamerauLevenshtein

from . import reference
from .errors import PopError
from .settings import MAX_RULE_SEARCHES
from .text import fold

# Words that carry no meaning of their own in a label: articles, linking particles, "is".
SMALL_WORDS = frozenset(["e", "i", "te", "se", "dhe", "me", "per", "ne", "eshte", "jane", "u", "the", "of", "and", "a",
                         "an", "in", "for", "with"])
# Words that turn a label into its opposite: never added or left out by a reading.
NEGATIONS = frozenset(["nuk", "pa", "jo", "s", "not", "non", "without"])
# Endings of the same word in another form, folded: Albanian definite (-i, -u, -a, -ja), plural
# (-e, -et, -t, -të), genitive (-it, -ut, -ës, -ve, -eve, -in), ablative plural (-sh, -esh, -ish:
# "Nr aktivitetesh", "takimesh", "grash") and English plural (-s, -es, -ies).
SUFFIXES = ("eve", "ave", "ete", "esh", "ish", "it", "in", "ut", "et", "es", "ve", "te", "sh", "a", "e", "i", "u", "s",
            "t")
# A form keeps at least this many letters: "uji" does not become "uj".
MIN_STEM = 3
# A typing slip is tolerated only in a word this long: shorter words are too close to each other.
TYPO_MIN_LETTERS = 5
# Past this many words a value is a sentence, not a label: it is read exactly or not at all.
MAX_WORDS = 8
# How close a spelling must come (rapidfuzz ratio, 0..100) to be offered as a candidate.
CANDIDATE_CUTOFF = 60
CANDIDATES_SHOWN = 3
# Distinct values a vocabulary remembers before it starts afresh.
CACHE_LIMIT = 100_000
# Vocabularies read only when no other term fits at all, however much worse: a status decides a KPI.
STRICT = frozenset({"status"})

# Vocabularies a saved mapping can name, and where their terms come from.
VALUE_VOCABULARIES = ("municipality", "theme", "activity_type", "status", "indicator", "cycle")
_REFERENCE_FILES = {"theme": "themes", "activity_type": "activity_types", "status": "statuses",
                    "indicator": "indicators"}


def vocabulary_names() -> tuple[str, ...]:
    return VALUE_VOCABULARIES + tuple(f"column.{kind}" for kind in reference.SHEET_KINDS)


@dataclass(frozen=True)
class Reading:
    """How a value was read: exact (a spelling), saved (a mapping, with its id), chosen (by a person
    for one upload) or close (the rule)."""

    key: str
    how: str
    mapping_id: int | None = None


class NoMatch(PopError):
    """No single term fits. fits: the terms that fit (two or more: ambiguous); candidates: those to
    offer the person, best first (computed only when asked)."""

    def __init__(self, vocabulary: Vocabulary, folded: str, fits: tuple[str, ...]):
        self.vocabulary, self.folded, self.fits = vocabulary, folded, fits
        super().__init__(f"{vocabulary.name}: {folded!r}")

    @property
    def ambiguous(self) -> bool:
        return len(self.fits) > 1

    @property
    def candidates(self) -> tuple[str, ...]:
        return self.fits if self.fits else self.vocabulary.closest(self.folded)


def forms(word: str) -> frozenset[str]:
    """The word and what it is with one ending taken off: 'kopshtet' → kopshtet, kopsht, kopshte."""
    found = {word}
    if not word.isdigit():
        found.update(word[:-len(s)] for s in SUFFIXES if word.endswith(s) and len(word) - len(s) >= MIN_STEM)
        if word.endswith("ies"):
            found.add(word[:-3] + "y")
    return frozenset(found)


def _less_one_letter(word: str) -> set[str]:
    """The word, and the word with each one of its letters left out."""
    return {word, *(word[:i] + word[i + 1:] for i in range(len(word)))}


def content_words(folded: str) -> list[str]:
    return [w for w in folded.split() if w not in SMALL_WORDS]


@dataclass
class _Spelling:
    key: str
    words: tuple[int, ...]  # indexes into the vocabulary's word list


@dataclass
class Vocabulary:
    """A vocabulary's terms, their spellings and the word index the rule searches."""

    name: str
    spellings: dict[str, list[str]]  # key → spellings as written (labels, aliases)
    saved: dict[str, tuple[str, int]] = field(default_factory=dict)  # folded value → (key, mapping id)
    prefix: re.Pattern[str] | None = None  # words before a value that are no part of it ("Bashkia e …")

    def __post_init__(self) -> None:
        self.exact: dict[str, str] = {}
        self._words: list[str] = []
        self._word_index: dict[str, int] = {}
        self._by_form: dict[str, set[int]] = {}
        self._typo_words: dict[str, set[int]] = {}  # a form of five letters or more → the words it is a form of
        self._near: dict[str, set[str]] = {}  # such a form and each of it less one letter → the forms
        self._parsed: list[_Spelling] = []
        self._using: dict[int, list[int]] = {}  # word → the spellings (indexes into _parsed) that use it
        self._owners: dict[int, set[str]] = {}  # word → the terms whose spellings use it
        self._cache: dict[str, Reading | NoMatch] = {}
        self._searches = 0
        for key, spellings in self.spellings.items():
            for spelling in spellings:
                folded = fold(spelling)
                if not folded:
                    continue
                self.exact.setdefault(folded, key)
                words = content_words(folded)
                if 0 < len(words) <= MAX_WORDS:
                    indexes = tuple(self._word(w) for w in words)
                    for i in set(indexes):
                        self._owners.setdefault(i, set()).add(key)
                        self._using.setdefault(i, []).append(len(self._parsed))
                    self._parsed.append(_Spelling(key, indexes))
        for form, words_ in self._by_form.items():
            if len(form) >= TYPO_MIN_LETTERS:
                self._typo_words[form] = set(words_)
                for near in _less_one_letter(form):
                    self._near.setdefault(near, set()).add(form)

    def _word(self, word: str) -> int:
        if word not in self._word_index:
            self._word_index[word] = len(self._words)
            self._words.append(word)
            for form in forms(word):
                self._by_form.setdefault(form, set()).add(self._word_index[word])
        return self._word_index[word]

    def term_keys(self) -> tuple[str, ...]:
        return tuple(self.spellings)

    def read(self, raw: object) -> Reading:
        """raw → its Reading, or NoMatch. Once per distinct value (the cache is bounded: a hostile
        file or URL must not grow a long-running server's memory)."""
        cache_key = raw if type(raw) is str else repr(raw)
        found = self._cache.get(cache_key)
        if found is None:
            found = self._read(fold(raw))
            if len(self._cache) >= CACHE_LIMIT:
                self._cache.clear()
                self._searches = 0
            self._cache[cache_key] = found
        if isinstance(found, NoMatch):
            # A fresh one each time: the cached one raised would keep the frames it passed through
            # (and their locals: a whole sheet) for as long as the cache lives.
            raise NoMatch(found.vocabulary, found.folded, found.fits)
        return found

    def _read(self, folded: str) -> Reading | NoMatch:
        if folded not in self.saved and self.prefix is not None:
            folded = self.prefix.sub("", folded) or folded
        if folded in self.saved:
            key, mapping_id = self.saved[folded]
            if mapping_id <= 0:  # chosen by a person for one upload, not saved
                return Reading(key, "chosen")
            return Reading(key, "saved", mapping_id)
        if folded in self.exact:
            return Reading(self.exact[folded], "exact")
        self._searches += 1
        if self._searches > MAX_RULE_SEARCHES:
            return NoMatch(self, folded, ())
        fits = self.fits(folded)
        if len(fits) == 1:
            return Reading(fits[0], "close")
        return NoMatch(self, folded, fits)

    # The rule ---------------------------------------------------------------------------------

    def _matches(self, word: str) -> tuple[set[int], bool]:
        """The vocabulary words this word is a form of, and whether that took a typing slip."""
        found: set[int] = set()
        own = forms(word)
        for form in own:
            found |= self._by_form.get(form, set())
        if found or word.isdigit():
            return found, False
        for form in own:
            # One slip apart, two words share themselves or themselves less one letter (the
            # symmetric-delete index): a few lookups, then the distance only for those candidates.
            candidates = set().union(*(self._near.get(near, set()) for near in _less_one_letter(form)))
            for candidate in candidates:
                if DamerauLevenshtein.distance(form, candidate, score_cutoff=1) <= 1:
                    found |= self._typo_words[candidate]
        return found, bool(found)

    def fits(self, folded: str) -> tuple[str, ...]:
        """The terms a value fits under the rule, the one read first: one term when it is read,
        none or several when it is not."""
        words = content_words(folded)
        if not words or len(words) > MAX_WORDS:
            return ()
        matched = [self._matches(w) for w in words]
        known = set().union(*(m for m, _ in matched))
        best: dict[str, tuple[int, int, set[str]]] = {}  # key → (distance, words added, terms they belong to)
        for index in sorted(set().union(*(self._using.get(word, ()) for word in known))):
            spelling = self._parsed[index]
            fit = self._fit(words, matched, spelling)
            if fit is not None and (spelling.key not in best or fit[:2] < best[spelling.key][:2]):
                best[spelling.key] = fit
        if not best:
            return ()
        order = list(self.spellings)
        ranked = sorted(best, key=lambda key: (best[key][:2], order.index(key)))
        first = ranked[0]
        tied = [key for key in ranked if best[key][0] == best[first][0]]
        owners = [key for key in best[first][2] if key != first]
        if len(tied) > 1 or owners or (self.name in STRICT and len(ranked) > 1):
            return tuple(dict.fromkeys([*tied, *owners, *ranked]))
        return (first,)

    def _fit(self, words: list[str], matched: list[tuple[set[int], bool]],
             spelling: _Spelling) -> tuple[int, int, set[str]] | None:
        """How far a value is from one spelling (0: the same words), how many words it adds, and the
        other terms those added words belong to; None when it does not fit."""
        unused = list(spelling.words)
        extra: list[set[int]] = []
        extra_words: list[str] = []
        typos = 0
        kept = 0  # words in common that carry meaning alone (a negation does not)
        for word, (candidates, typo) in zip(words, matched):
            hit = next((w for w in unused if w in candidates), None)
            if hit is None:
                extra.append(candidates)
                extra_words.append(word)
            else:
                unused.remove(hit)
                typos += typo
                kept += word not in NEGATIONS
        missing = [self._words[i] for i in unused]
        changed = extra_words + missing
        if (typos > 1 or len(changed) > 1 or not kept or any(w in NEGATIONS for w in changed)
                or any(w.isdigit() for w in missing)):
            return None
        owners = set().union(*(self._owners.get(i, set()) for candidates in extra for i in candidates))
        owners.discard(spelling.key)
        return len(changed) + typos, len(extra), owners

    def closest(self, folded: str) -> tuple[str, ...]:
        """The terms whose spellings come closest to a value none fits, best first."""
        found: list[str] = []
        for spelling, _, _ in process.extract(folded, list(self.exact), scorer=fuzz.ratio,
                                              score_cutoff=CANDIDATE_CUTOFF, limit=None):
            key = self.exact[spelling]
            if key not in found:
                found.append(key)
        return tuple(found[:CANDIDATES_SHOWN])

    def with_saved(self, saved: Mapping[str, tuple[str, int]]) -> Vocabulary:
        """This vocabulary with saved mappings (folded value → (key, id)) read before the rule, and
        a cache of its own; the word index is shared."""
        copied = copy.copy(self)
        copied.saved, copied._cache, copied._searches = dict(saved), {}, 0
        return copied


# "Bashkia Tiranë", "Bashkia e Tiranës", "Municipality of Tirana": the word for municipality is no part of its name.
_MUNICIPALITY_PREFIX = re.compile(
    r"^(bashkia|bashkise|bashki|komuna|komunes|municipality of|municipality)\s+((e|se|i|te)\s+)?")


@cache
def reference_vocabulary(name: str) -> Vocabulary:
    """A vocabulary as the reference data defines it."""
    if name == "municipality":
        return Vocabulary(name, {m.name: [m.name, *m.aliases] for m in reference.municipalities()},
                          prefix=_MUNICIPALITY_PREFIX)
    if name == "cycle":
        return Vocabulary(name, {key: [key] for key in reference.cycles()})
    if name.startswith("column."):
        kind = name.removeprefix("column.")
        spellings: dict[str, list[str]] = {}
        for c in reference.columns(kind):
            spellings[c.field] = [c.label_sq, c.label_en, c.field, c.field.replace("_", " "), c.header, *c.aliases]
        return Vocabulary(name, spellings)
    return Vocabulary(name, {t.key: [t.key, t.key.replace("_", " "), t.label_sq, t.label_en, *t.aliases]
                             for t in reference.terms(_REFERENCE_FILES[name])})


def term_label(vocabulary: str, key: str, lang: str) -> str:
    """What a partner would write for a term (a column's label for a header)."""
    if vocabulary in _REFERENCE_FILES:
        return reference.term_label(_REFERENCE_FILES[vocabulary], key, lang)
    if vocabulary.startswith("column."):
        kind = vocabulary.removeprefix("column.")
        column = next((c for c in reference.columns(kind) if c.field == key), None)
        return key if column is None else (column.label_en if lang == "en" else column.label_sq)
    return key


def labels(vocabulary: str, keys: tuple[str, ...], separator: str = ", ") -> dict[str, str]:
    """Terms as partners write them (a column's label for a header), joined, in each language."""
    return {lang: separator.join(term_label(vocabulary, k, lang) for k in keys) for lang in ("sq", "en")}


@dataclass(frozen=True)
class SavedMapping:
    id: int  # 0 for a choice made for one upload and not saved
    vocabulary: str
    value: str
    key: str


class Mappings:
    """The saved mappings an import reads with, and each vocabulary with them applied. Plain data,
    so it crosses into the child process that reads a workbook."""

    def __init__(self, saved: Iterable[SavedMapping] = ()):
        self.saved = tuple(saved)
        self._vocabularies: dict[str, Vocabulary] = {}

    def __getstate__(self) -> dict:
        return {"saved": self.saved}

    def __setstate__(self, state: dict) -> None:
        self.__init__(state["saved"])  # type: ignore[misc]

    def vocabulary(self, name: str) -> Vocabulary:
        if name not in self._vocabularies:
            saved = {fold(m.value): (m.key, m.id) for m in self.saved if m.vocabulary == name}
            self._vocabularies[name] = reference_vocabulary(name).with_saved(saved)
        return self._vocabularies[name]

    def adding(self, extra: Iterable[SavedMapping]) -> Mappings:
        return Mappings((*self.saved, *extra))


NO_MAPPINGS = Mappings()
