"""A spaCy component that finds organisations: a gazetteer and name patterns.

It writes two span groups: `org_gazetteer` (names and aliases from
`data/organisations.yaml`) and `org_patterns` ("…verket", "Region X",
"X universitet", "AB X", "Föreningen X", "Digidem Lab" …; their fixed words
are the file's `pattern_words`, `head_words` and `name_words`). The model's
own ORG entities stay in `doc.ents`; `clean_org_text` decides which of them
extraction keeps.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc, Span
from spacy.training import Example

from pipeline.nlp.component import SPAN_SCORER, LexiconComponent, score_weights
from pipeline.nlp.lexicons import ORGANISATION_FILE, Gazetteer
from pipeline.nlp.matching import add_patterns, flag_matcher

DEFAULT_GAZETTEER_KEY = "org_gazetteer"
DEFAULT_PATTERNS_KEY = "org_patterns"
_URLISH = re.compile(r"(https?:|www\.|\.(se|com|org|nu|eu)\b|@|/)", re.IGNORECASE)
_CAPITAL = re.compile(r"^[A-ZÅÄÖÉ]")


def part_of(span: Span, gazetteer: Gazetteer) -> Span | None:
    """For "Filminstitutets styrelse", "Folklabbets partners" (a body's part, named by the body's genitive and a
    part noun): the body, "Filminstitutets". For a part without its body ("Centraleuropeiska enheten"): None.
    Any other span comes back as it is."""
    if span[-1].lower_ not in gazetteer.part_nouns:
        return span
    owner = span[0]
    if len(span) >= 2 and owner.is_title and (owner.text.endswith("s") or owner.text.endswith(":s")):
        return Span(span.doc, span.start, span.start + 1, label=span.label)
    return None


def clean_org_text(text: str, gazetteer: Gazetteer) -> str | None:
    """The model's ORG text as a name, or None when it is not one (URL, generic word, lower case …)."""
    text = text.strip(" \t\n-–—:;,.\"'”“»«()[]")
    if not text or len(text) < 2 or len(text.split()) > 8 or _URLISH.search(text):
        return None
    if not (_CAPITAL.match(text) or text[0].isdigit()) or gazetteer.is_generic(text):
        return None
    if "\n" in text:
        return None
    return text


def _one_of(attribute: str, words: list[str]) -> dict:
    """A token that is one of the words; a single word as a plain value, which the Matcher tests in C (a list
    is a set predicate it calls in Python on every token)."""
    return {attribute: words[0] if len(words) == 1 else {"IN": words}}


def _patterns(gazetteer: Gazetteer) -> dict[str, list[list[dict]]]:
    words = gazetteer.pattern_words
    title = {"IS_TITLE": True, "IS_ALPHA": True}
    name = {"IS_TITLE": True, "IS_STOP": False}  # "För Digidem Lab" is not a name
    # Title case or all capitals; spaCy's shapes stop after four of a kind ("Xxxxx", "XXXX"), and a
    # list of them is a set look-up where a regex would run on every token.
    title_or_upper = {"SHAPE": {"IN": ["X", "Xx", "Xxx", "Xxxx", "Xxxxx", "XX", "XXX", "XXXX"]}, "IS_STOP": False}
    heads = "|".join(re.escape(h) for h in gazetteer.head_words)
    not_heads = "|".join(re.escape(h) for h in gazetteer.head_word_exceptions) or "(?!)"
    head_regex = rf"^(?!.*(?:{not_heads})$)[A-ZÅÄÖ][\w-]*({heads})$"
    names = sorted(gazetteer.name_words)
    return {
        # Trafikverket, Polismyndigheten, Linnéuniversitetet, E-hälsomyndigheten
        # Geneta familjecentral, Lundby stadsdelsförvaltning
        "head_word": [
            [{"TEXT": {"REGEX": head_regex}}],
            [name, {"TEXT": {"REGEX": rf"^(?!.*(?:{not_heads})$)[a-zåäö]*({heads})$"}}],
        ],
        # Region Stockholm, Region Västra Götaland
        "region": [[_one_of("ORTH", words["region"]), title, {**title, "OP": "?"}]],
        # Länsstyrelsen i Stockholms län, Länsstyrelsen Västra Götaland
        "lansstyrelse": [
            [_one_of("ORTH", words["county_board"]), {"LOWER": "i", "OP": "?"}, title, {**title, "OP": "?"},
             {"LOWER": "län", "OP": "?"}],
        ],
        # Umeå universitet, Göteborgs Universitet, Helsingfors Universitet, Malmö högskola
        "university": [[title, _one_of("LOWER", words["university"])]],
        # AB Framtiden, Uppvidingehus AB, Föreningen Norden, Stiftelsen X
        "company": [
            [_one_of("ORTH", words["company_form"]), title, {**title, "OP": "?"}],
            [title, {**title, "OP": "{0,3}"}, _one_of("ORTH", words["company_form"])],  # "Carnegie Investment Bank AB"
            [_one_of("ORTH", words["association"]), title, {**title, "OP": "?"}],
        ],
        # Digidem Lab, Consul Democracy Foundation, Gothenburg Research Institute, Plan International,
        # Transparency International Latvia
        "name_word": [
            [title_or_upper, {**title_or_upper, "OP": "?"}, {"ORTH": {"IN": names}},
             {**title, "OP": "?"}],
        ],
    }


@Language.factory(
    "kommunnlp_organisations",
    assigns=["doc.spans"],
    default_config={"gazetteer_key": DEFAULT_GAZETTEER_KEY, "patterns_key": DEFAULT_PATTERNS_KEY,
                    "scorer": SPAN_SCORER},
    default_score_weights=score_weights(DEFAULT_GAZETTEER_KEY, DEFAULT_PATTERNS_KEY),
)
def make_organisation_matcher(nlp: Language, name: str, gazetteer_key: str, patterns_key: str,
                              scorer: Callable | None) -> OrganisationMatcher:
    return OrganisationMatcher(nlp, name, gazetteer_key=gazetteer_key, patterns_key=patterns_key, scorer=scorer)


class OrganisationMatcher(LexiconComponent):
    def __init__(self, nlp: Language, name: str = "kommunnlp_organisations", *,
                 gazetteer_key: str = DEFAULT_GAZETTEER_KEY, patterns_key: str = DEFAULT_PATTERNS_KEY,
                 scorer: Callable | None = None):
        super().__init__(nlp, name, scorer)
        self.gazetteer_key = gazetteer_key
        self.patterns_key = patterns_key
        self.span_keys = (gazetteer_key, patterns_key)
        self.gazetteer: Gazetteer | None = None

    def initialize(self, get_examples: Callable[[], Iterable[Example]] | None = None, *, nlp: Language | None = None,
                   gazetteer: str | Path | None = None) -> None:
        """Load the gazetteer: the package's `data/organisations.yaml` unless another file is given."""
        self.use_lexicon_data(Gazetteer.from_file(Path(gazetteer or ORGANISATION_FILE)).to_dict())

    def lexicon_data(self) -> dict[str, Any]:
        return self.gazetteer.to_dict()

    def use_lexicon_data(self, data: dict[str, Any]) -> None:
        self.gazetteer = Gazetteer.from_dict(data)
        self.phrases = PhraseMatcher(self.nlp.vocab, attr="ORTH")
        self.phrases.add("ORG", [self.nlp.make_doc(form) for form in sorted(self.gazetteer.canonical)])
        self.matcher = flag_matcher(self.nlp.vocab)
        for key, patterns in _patterns(self.gazetteer).items():
            add_patterns(self.matcher, key, patterns, greedy="LONGEST")
        self.ready = True

    def __call__(self, doc: Doc) -> Doc:
        self.require_lexicon()
        doc.spans[self.gazetteer_key] = [Span(doc, s, e, label="ORG") for _, s, e in self.phrases(doc)]
        found = []
        for _, start, end in self.matcher(doc):
            span = part_of(Span(doc, start, end, label="ORG"), self.gazetteer)
            if span is not None and not self.gazetteer.is_generic(span.text) and "\n" not in span.text:
                found.append(span)
        doc.spans[self.patterns_key] = found
        return doc
