"""Organisations: a gazetteer, name patterns, and a filter for the model's ORG entities.

The component writes two span groups: `org_gazetteer` (names and aliases from
`data/organisations.yaml`) and `org_patterns` ("…verket", "Region X",
"X universitet", "AB X", "Föreningen X", "Digidem Lab" …). The model's own ORG
entities stay in `doc.ents`; `clean_org_text` decides which of them to keep.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import yaml
from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc, Span

from pipeline.nlp.matching import add_patterns, flag_matcher
from pipeline.resources import DATA_DIR

GAZETTEER_FILE = DATA_DIR / "organisations.yaml"
GAZETTEER_KEY = "org_gazetteer"
PATTERN_KEY = "org_patterns"
_URLISH = re.compile(r"(https?:|www\.|\.(se|com|org|nu|eu)\b|@|/)", re.IGNORECASE)
_CAPITAL = re.compile(r"^[A-ZÅÄÖÉ]")


@dataclass(frozen=True)
class Gazetteer:
    canonical: dict[str, str]  # surface form → canonical name
    generic: frozenset[str]
    not_organisations: frozenset[str]
    head_words: tuple[str, ...]
    name_words: frozenset[str]


@lru_cache(maxsize=2)
def load_gazetteer() -> Gazetteer:
    try:
        data = yaml.safe_load(GAZETTEER_FILE.read_text(encoding="utf-8")) or {}
        canonical: dict[str, str] = {}
        for entry in data.get("organisations", []):
            name = str(entry["name"])
            for form in (name, *(entry.get("aliases") or [])):
                form = str(form)
                # the genitive is the same organisation: "SKR:s", "Trafikverkets"
                genitive = f"{form}:s" if form.isupper() or form[-1] in "sxz" else f"{form}s"
                canonical.setdefault(genitive, name)
                canonical[form] = name
        return Gazetteer(
            canonical=canonical,
            generic=frozenset(str(w).casefold() for w in data.get("generic", [])),
            not_organisations=frozenset(str(w).casefold() for w in data.get("not_organisations", [])),
            head_words=tuple(str(w) for w in data.get("head_words", [])),
            name_words=frozenset(str(w) for w in data.get("name_words", [])),
        )
    except (OSError, yaml.YAMLError, KeyError, TypeError, AttributeError) as error:
        raise ValueError(f"invalid organisation gazetteer {GAZETTEER_FILE}: {error}") from error


def canonical_name(text: str) -> str | None:
    return load_gazetteer().canonical.get(text)


def is_generic(text: str) -> bool:
    """A kind of body ("kommunen"), or a product that is not an organisation ("Decidim")."""
    gazetteer = load_gazetteer()
    return text.casefold() in gazetteer.generic or text.casefold() in gazetteer.not_organisations


def clean_org_text(text: str) -> str | None:
    """The model's ORG text as a name, or None when it is not one (URL, generic word, lower case …)."""
    text = text.strip(" \t\n-–—:;,.\"'”“»«()[]")
    if not text or len(text) < 2 or len(text.split()) > 8 or _URLISH.search(text):
        return None
    if not (_CAPITAL.match(text) or text[0].isdigit()) or is_generic(text):
        return None
    if "\n" in text:
        return None
    return text


def _patterns(gazetteer: Gazetteer) -> dict[str, list[list[dict]]]:
    title = {"IS_TITLE": True, "IS_ALPHA": True}
    name = {"IS_TITLE": True, "IS_STOP": False}  # "För Digidem Lab" is not a name
    # Title case or all capitals; spaCy's shapes stop after four of a kind ("Xxxxx", "XXXX"), and a
    # list of them is a set look-up where a regex would run on every token.
    title_or_upper = {"SHAPE": {"IN": ["X", "Xx", "Xxx", "Xxxx", "Xxxxx", "XX", "XXX", "XXXX"]}, "IS_STOP": False}
    heads = "|".join(re.escape(h) for h in gazetteer.head_words)
    head_regex = rf"^[A-ZÅÄÖ][\w-]*({heads})$"
    names = sorted(gazetteer.name_words)
    return {
        # Trafikverket, Polismyndigheten, Linnéuniversitetet, E-hälsomyndigheten
        # Geneta familjecentral, Lundby stadsdelsförvaltning
        "head_word": [
            [{"TEXT": {"REGEX": head_regex}}],
            [name, {"TEXT": {"REGEX": rf"^[a-zåäö]*({heads})$"}}],
        ],
        # Region Stockholm, Region Västra Götaland
        "region": [[{"ORTH": "Region"}, title, {**title, "OP": "?"}]],
        # Länsstyrelsen i Stockholms län, Länsstyrelsen Västra Götaland
        "lansstyrelse": [
            [{"ORTH": "Länsstyrelsen"}, {"LOWER": "i", "OP": "?"}, title, {**title, "OP": "?"},
             {"LOWER": "län", "OP": "?"}],
        ],
        # Umeå universitet, Göteborgs Universitet, Helsingfors Universitet, Malmö högskola
        "university": [[title, {"LOWER": {"IN": ["universitet", "högskola", "universitetssjukhus"]}}]],
        # AB Framtiden, Uppvidingehus AB, Föreningen Norden, Stiftelsen X
        "company": [
            [{"ORTH": "AB"}, title, {**title, "OP": "?"}],
            [title, {**title, "OP": "?"}, {"ORTH": "AB"}],
            [{"ORTH": {"IN": ["Föreningen", "Stiftelsen", "Förbundet"]}}, title, {**title, "OP": "?"}],
        ],
        # Digidem Lab, Consul Democracy Foundation, Gothenburg Research Institute, Plan International,
        # Transparency International Latvia
        "name_word": [
            [title_or_upper, {**title_or_upper, "OP": "?"}, {"ORTH": {"IN": names}},
             {**title, "OP": "?"}],
        ],
    }


class OrganisationMatcher:
    def __init__(self, nlp: Language, name: str = "kommunnlp_organisations"):
        self.name = name
        gazetteer = load_gazetteer()
        self.phrases = PhraseMatcher(nlp.vocab, attr="ORTH")
        self.phrases.add("ORG", [nlp.make_doc(form) for form in sorted(gazetteer.canonical)])
        self.matcher = flag_matcher(nlp.vocab)
        for key, patterns in _patterns(gazetteer).items():
            add_patterns(self.matcher, key, patterns, greedy="LONGEST")

    def __call__(self, doc: Doc) -> Doc:
        doc.spans[GAZETTEER_KEY] = [Span(doc, s, e, label="ORG") for _, s, e in self.phrases(doc)]
        found = []
        for _, start, end in self.matcher(doc):
            span = Span(doc, start, end, label="ORG")
            if not is_generic(span.text) and "\n" not in span.text:
                found.append(span)
        doc.spans[PATTERN_KEY] = found
        return doc


@Language.factory("kommunnlp_organisations")
def make_organisation_matcher(nlp: Language, name: str) -> OrganisationMatcher:
    return OrganisationMatcher(nlp, name)
