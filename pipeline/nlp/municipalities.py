"""A spaCy component that finds Swedish municipalities: the 290 kommuner in all their written forms.

`pipeline/data/kommuner.csv` holds SCB code, name and county (from SCB's
municipality list), whether the name is also a common word or person name
(`ambiguous`: such names need place context), and other forms ("Falu" for
Falun); `pipeline/data/municipalities.yaml` the words around a name that
decide what it names. Analysts can edit both; `tests/extract/test_municipalities.py`
checks the list against the reference list in ../shared.

    nlp.add_pipe("kommunnlp_municipalities", config={"spans_key": "municipalities"})
    nlp.get_pipe("kommunnlp_municipalities").initialize(lexicon="my-kommuner.csv")  # or the package's
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc, Span
from spacy.training import Example

from pipeline.nlp.component import SPAN_SCORER, LexiconComponent, score_weights
from pipeline.nlp.lexicons import MUNICIPALITY_CONTEXT_FILE, MUNICIPALITY_FILE, Municipality, MunicipalityLexicon
from pipeline.nlp.text import without_overlaps

LABEL = "MUNICIPALITY"
DEFAULT_SPANS_KEY = "municipalities"


@Language.factory(
    "kommunnlp_municipalities",
    assigns=["doc.spans"],
    requires=["doc.ents"],
    default_config={"spans_key": DEFAULT_SPANS_KEY, "scorer": SPAN_SCORER},
    default_score_weights=score_weights(DEFAULT_SPANS_KEY),
)
def make_municipality_matcher(nlp: Language, name: str, spans_key: str, scorer: Callable | None
                              ) -> MunicipalityMatcher:
    return MunicipalityMatcher(nlp, name, spans_key=spans_key, scorer=scorer)


class MunicipalityMatcher(LexiconComponent):
    """Finds kommun names with a PhraseMatcher, then keeps those the context makes places.

    Writes `doc.spans[spans_key]` with label MUNICIPALITY and kb_id the SCB
    code. Runs after `ner`, whose PER and LOC entities are context.
    """

    def __init__(self, nlp: Language, name: str = "kommunnlp_municipalities", *,
                 spans_key: str = DEFAULT_SPANS_KEY, scorer: Callable | None = None):
        super().__init__(nlp, name, scorer)
        self.spans_key = spans_key
        self.span_keys = (spans_key,)
        self.lexicon: MunicipalityLexicon | None = None
        self.matcher = PhraseMatcher(nlp.vocab, attr="ORTH")

    def initialize(self, get_examples: Callable[[], Iterable[Example]] | None = None, *, nlp: Language | None = None,
                   lexicon: str | Path | None = None, context: str | Path | None = None) -> None:
        """Load the lexicon: the package's data files unless other paths are given."""
        found = MunicipalityLexicon.from_files(Path(lexicon or MUNICIPALITY_FILE),
                                               Path(context or MUNICIPALITY_CONTEXT_FILE))
        self.use_lexicon_data(found.to_dict())

    def lexicon_data(self) -> dict[str, Any]:
        return self.lexicon.to_dict()

    def use_lexicon_data(self, data: dict[str, Any]) -> None:
        self.lexicon = MunicipalityLexicon.from_dict(data)
        self.matcher = PhraseMatcher(self.nlp.vocab, attr="ORTH")
        for municipality in self.lexicon.municipalities:
            self.matcher.add(municipality.kb_id, [self.nlp.make_doc(form) for form in sorted(municipality.forms())])
        self.ready = True

    def __call__(self, doc: Doc) -> Doc:
        self.require_lexicon()
        spans = []
        for match_id, start, end in self.matcher(doc):
            span = self._judge(doc, start, end, self.lexicon.by_kb_id[doc.vocab.strings[match_id]])
            if span is not None:
                spans.append(span)
        doc.spans[self.spans_key] = _longest_first(spans)
        return doc

    def _judge(self, doc: Doc, start: int, end: int, municipality: Municipality) -> Span | None:
        lexicon = self.lexicon
        after = doc[end].lower_ if end < len(doc) else ""
        before = doc[start - 1].lower_ if start > 0 else ""
        if after in lexicon.not_after or before in lexicon.not_before:
            return None
        has_suffix = after in lexicon.suffixes
        if (not has_suffix and end < len(doc) and doc[end].is_title and doc[end].is_alpha
                and not lexicon.lookup(doc[end].text)):
            return None  # the name goes on: "Borås Djurpark", "Umeå Energi" are organisations or places
        if municipality.ambiguous and not has_suffix and not self._place_context(doc, start, end, before):
            return None
        return Span(doc, start, end + 1 if has_suffix else end, label=LABEL, kb_id=municipality.kb_id)

    def _place_context(self, doc: Doc, start: int, end: int, before: str) -> bool:
        """An ambiguous name is a place after a place preposition or inside a LOC entity, never in a person's name."""
        for ent in doc.ents:
            if ent.start <= start and end <= ent.end:
                if ent.label_ in ("PER", "PRS") and len(ent) > end - start:
                    return False
                if ent.label_ in ("LOC", "GPE"):
                    return True
        return before in self.lexicon.place_prepositions and not doc[start].is_sent_start


def _longest_first(spans: list[Span]) -> list[Span]:
    """Drop spans inside longer ones ("Upplands-Bro" over "Bro")."""
    return without_overlaps(sorted(spans, key=lambda s: (-(s.end - s.start), s.start)), lambda s: s.start,
                            lambda s: s.end)
