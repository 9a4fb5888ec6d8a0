"""Swedish municipalities: the 290 kommuner, their surface forms, and a spaCy component that finds them.

`pipeline/data/kommuner.csv` holds SCB code, name and county (from SCB's
municipality list), whether the name is also a common word or person name
(`ambiguous`: such names need place context), and other forms ("Falu" for
Falun). Analysts can edit it; `tests/test_municipalities.py` checks it against
the reference list in ../shared.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc, Span

from pipeline.resources import DATA_DIR

LEXICON = DATA_DIR / "kommuner.csv"
SPAN_KEY = "municipalities"
LABEL = "MUNICIPALITY"
# "Umeå kommun", "Göteborgs Stad", "Helsingborgs stad": absorbed into the mention.
SUFFIXES = {"kommun", "kommuns", "kommunen", "kommunens", "stad", "stads"}
# A name followed by these is part of something else: a county, a university, a diocese …
NOT_AFTER = {"län", "läns", "universitet", "universitets", "högskola", "högskolas", "stift", "stifts",
             "lasarett", "domkyrka", "tingsrätt", "hovrätt", "landsting", "landstings"}
NOT_BEFORE = {"region", "länsstyrelsen", "landstinget", "regionen"}
PLACE_PREPOSITIONS = {"i", "från", "till", "mellan", "inom", "utanför", "runt", "kring", "nära", "via", "mot",
                      "besöker", "besökte", "besöka", "och"}


@dataclass(frozen=True)
class Municipality:
    kb_id: str
    name: str
    county: str
    ambiguous: bool
    other_forms: tuple[str, ...]

    def forms(self) -> set[str]:
        """Base, genitive and other forms: Umeå, Umeås; Borås (genitive too); Falun, Falu."""
        bases = (self.name, *self.other_forms)
        return {f for base in bases for f in (base, genitive(base))}


def genitive(name: str) -> str:
    return name if name[-1] in "sxz" else name + "s"


@lru_cache(maxsize=2)
def load_municipalities(path: Path = LEXICON) -> tuple[Municipality, ...]:
    try:
        with path.open(encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
        return tuple(
            Municipality(
                kb_id=row["kb_id"].strip(),
                name=row["name"].strip(),
                county=row["county"].strip(),
                ambiguous=row["ambiguous"].strip().lower() in ("ja", "yes", "true", "1"),
                other_forms=tuple(f.strip() for f in (row["other_forms"] or "").split(";") if f.strip()),
            )
            for row in rows
        )
    except (OSError, KeyError, AttributeError) as error:
        raise ValueError(f"invalid municipality lexicon {path}: {error}") from error


@lru_cache(maxsize=1)
def by_kb_id() -> dict[str, Municipality]:
    return {m.kb_id: m for m in load_municipalities()}


@lru_cache(maxsize=1)
def by_form() -> dict[str, Municipality]:
    """Surface form (case-folded) → municipality, for normalising names found elsewhere."""
    return {form.casefold(): m for m in load_municipalities() for form in m.forms()}


def lookup(text: str) -> Municipality | None:
    """The municipality a mention names: "Umeå kommun", "Göteborgs Stad", "Umeås" → its entry."""
    words = text.split()
    if len(words) > 1 and words[-1].casefold() in SUFFIXES:
        words = words[:-1]
    return by_form().get(" ".join(words).casefold())


class MunicipalityMatcher:
    """Finds kommun names with a PhraseMatcher, then keeps those the context makes places.

    Writes `doc.spans["municipalities"]` with label MUNICIPALITY and kb_id the
    SCB code. Runs after `ner`, whose PER and LOC entities are context.
    """

    def __init__(self, nlp: Language, name: str = "kommunnlp_municipalities"):
        self.name = name
        self.matcher = PhraseMatcher(nlp.vocab, attr="ORTH")
        for municipality in load_municipalities():
            patterns = [nlp.make_doc(form) for form in sorted(municipality.forms())]
            self.matcher.add(municipality.kb_id, patterns)

    def __call__(self, doc: Doc) -> Doc:
        spans = []
        for match_id, start, end in self.matcher(doc):
            kb_id = doc.vocab.strings[match_id]
            span = self._judge(doc, start, end, by_kb_id()[kb_id])
            if span is not None:
                spans.append(span)
        doc.spans[SPAN_KEY] = _longest_first(spans)
        return doc

    def _judge(self, doc: Doc, start: int, end: int, municipality: Municipality) -> Span | None:
        after = doc[end].lower_ if end < len(doc) else ""
        before = doc[start - 1].lower_ if start > 0 else ""
        if after in NOT_AFTER or before in NOT_BEFORE:
            return None
        has_suffix = after in SUFFIXES
        if not has_suffix and end < len(doc) and doc[end].is_title and doc[end].is_alpha and not lookup(doc[end].text):
            return None  # the name goes on: "Borås Djurpark", "Umeå Energi" are organisations or places
        if municipality.ambiguous and not has_suffix and not _place_context(doc, start, end, before):
            return None
        return Span(doc, start, end + 1 if has_suffix else end, label=LABEL, kb_id=municipality.kb_id)


def _place_context(doc: Doc, start: int, end: int, before: str) -> bool:
    """An ambiguous name is a place after a place preposition or inside a LOC entity, never in a person's name."""
    for ent in doc.ents:
        if ent.start <= start and end <= ent.end:
            if ent.label_ in ("PER", "PRS") and len(ent) > end - start:
                return False
            if ent.label_ in ("LOC", "GPE"):
                return True
    return before in PLACE_PREPOSITIONS and not doc[start].is_sent_start


def _longest_first(spans: list[Span]) -> list[Span]:
    """Drop spans inside longer ones ("Upplands-Bro" over "Bro")."""
    kept: list[Span] = []
    for span in sorted(spans, key=lambda s: (-(s.end - s.start), s.start)):
        if all(span.end <= k.start or span.start >= k.end for k in kept):
            kept.append(span)
    return sorted(kept, key=lambda s: s.start)


@Language.factory("kommunnlp_municipalities")
def make_municipality_matcher(nlp: Language, name: str) -> MunicipalityMatcher:
    return MunicipalityMatcher(nlp, name)
