"""Entity mentions from an analysed spaCy doc: the components' spans and the model's entities, one per place.

Candidates come from the spaCy components (municipality, organisation and
person matchers) and the model's entities. Where they overlap, the more
specific source wins: gazetteer > municipality list > patterns > model.
Offsets are absolute in the document's text (a long document is analysed in
chunks).
"""

from __future__ import annotations

from dataclasses import dataclass

from spacy.tokens import Doc, Span

from pipeline.extract import foreign, places
from pipeline.nlp.lexicons import Lexicons, RoleLexicon
from pipeline.nlp.organisations import clean_org_text, part_of
from pipeline.nlp.persons import clean_person_text
from pipeline.nlp.text import sentence_of, without_overlaps

MODEL_LABELS = {"PER": "PERSON", "PRS": "PERSON", "ORG": "ORGANISATION", "LOC": "LOCATION", "GPE": "LOCATION"}
# Which source wins an overlap (higher first), and the score it gives.
SOURCES = {
    "org_gazetteer": (5, 0.95),
    "municipality_list": (4, 0.95),
    "org_patterns": (3, 0.85),
    "person_patterns": (3, 0.85),
    "list_line": (3, 0.8),  # "Name, Role, Organisation" lines (pipeline/extract/lines.py)
    "abbreviation": (3, 0.8),  # "Föreningen Norrlandsnätet (FNN)", and FNN wherever the document uses it
    "ner+geonames": (2, 0.75),
    "ner": (1, 0.6),
}


@dataclass
class Mention:
    label: str
    start: int  # absolute offsets in the document text
    end: int
    text: str
    normalized: str
    source: str
    sentence: str | None
    kb_id: str | None = None
    country: str | None = None

    @property
    def priority(self) -> int:
        return SOURCES[self.source][0]

    @property
    def score(self) -> float:
        return SOURCES[self.source][1]


def mentions_in(doc: Doc, offset: int, lexicons: Lexicons) -> list[Mention]:
    """The mentions of one analysed chunk, overlaps resolved."""
    return resolve_overlaps(candidates(doc, offset, lexicons))


def candidates(doc: Doc, offset: int, lexicons: Lexicons) -> list[Mention]:
    found: list[Mention] = []
    for span in doc.spans.get(lexicons.municipality_key, []):
        municipality = lexicons.municipalities.by_kb_id[span.kb_id_]
        found.append(_mention(span, offset, "MUNICIPALITY", municipality.name, "municipality_list", span.kb_id_))
    for span in doc.spans.get(lexicons.org_gazetteer_key, []):
        canonical = lexicons.gazetteer.canonical_name(span.text) or span.text
        found.append(_mention(span, offset, "ORGANISATION", canonical, "org_gazetteer",
                              lexicons.gazetteer.kb_ids.get(canonical)))
    councils = foreign.council_suffixes()
    for span in doc.spans.get(lexicons.org_patterns_key, []):
        council = foreign.foreign_municipality(span.text, lexicons.municipalities) if span.text.endswith(councils) \
            else None
        if council:  # "Ghanzi District Council" is the local government of Ghanzi
            mention = _mention(span, offset, "MUNICIPALITY", council, "org_patterns")
            mention.country = foreign.country_after(span)
            found.append(mention)
        else:
            found.append(_mention(span, offset, "ORGANISATION", span.text, "org_patterns"))
    for span in doc.spans.get(lexicons.person_patterns_key, []):
        found.append(_mention(span, offset, "PERSON", span.text, "person_patterns"))
    for ent in doc.ents:
        mention = _from_model(ent, offset, lexicons)
        if mention is not None:
            found.append(mention)
    return found


def _from_model(ent: Span, offset: int, lexicons: Lexicons) -> Mention | None:
    """A model entity as a mention, or None. The model finds names; which kind of name is decided by the
    lexicons: a municipality by the municipality list, a country or Swedish town is a LOCATION, a foreign
    city a MUNICIPALITY only as a local government."""
    label = MODEL_LABELS.get(ent.label_)
    if label is None:
        return None
    ent = with_coordination(ent)
    if label == "PERSON":
        ent = without_leading_title(ent, lexicons.roles)
    elif label == "LOCATION":
        ent = foreign.with_city_prefix(ent)
    text = ent.text
    if lexicons.municipalities.lookup(text):
        return None  # the municipality list has judged this name already
    if label != "LOCATION" and (places.after_place_noun(ent) or places.is_street(text)):
        return _mention(ent, offset, "LOCATION", text, "ner")  # "stadsdelen Majorna-Linné", "Friskväderstorget"
    if label != "PERSON" or foreign.paired(ent, lexicons.municipality_key) or _after_place_preposition(ent, lexicons):
        # a surname that is also a town somewhere stays a person, unless named as a Swedish municipality's
        # counterpart ("Umeå kommun och Cherson") or as a place ("startade i Porto Alegre")
        place = _as_place(ent, offset, label, lexicons)
        if place is not None:
            return place
    elif places.country_of(text) or places.is_region(text):  # and a country is never a person: "San Marino"
        return _mention(ent, offset, "LOCATION", places.country_of(text) or text, "ner")
    if label == "PERSON":
        name = clean_person_text(text, lexicons.names)
        return _mention(ent, offset, label, name, "ner") if name else None
    if label == "ORGANISATION":
        ent = part_of(ent, lexicons.gazetteer)
        if ent is None:
            return None
        ent = without_trailing_function_words(ent)
        text = ent.text
        name = clean_org_text(text, lexicons.gazetteer)
        # A single capitalised word opening a sentence is no evidence of a name ("Målsättningen …"); a title
        # is not an organisation ("Citizen Participation Consultant").
        if not name or (len(ent) == 1 and ent[0].is_sent_start) or lexicons.roles.is_role_word(text.split()[-1]):
            return None
        return _mention(ent, offset, label, name, "ner")
    return _mention(ent, offset, label, text, "ner")


def _as_place(ent: Span, offset: int, label: str, lexicons: Lexicons) -> Mention | None:
    """A LOCATION or foreign MUNICIPALITY when the entity names one, else None.

    A foreign city is a local government when named with a government suffix ("Madrid stad", "Ghanzi
    District Council"), paired with a Swedish municipality, or in a sentence about city government. Without
    one, a model LOC is a place and a model ORG stays the company or club named after the city.
    """
    text = ent.text
    city = foreign.foreign_municipality(text, lexicons.municipalities)
    if city:
        government = (city != text or places.speaks_of_local_government(sentence_of(ent) or "")
                      or foreign.paired(ent, lexicons.municipality_key))
        if government:
            mention = _mention(ent, offset, "MUNICIPALITY", city, "ner+geonames")
            mention.country = foreign.country_after(ent)
            return mention
        if label == "LOCATION" or _after_place_preposition(ent, lexicons):
            # a place, not a government: "bostadsbolag i Paris"; the model's ORG too: "och ett i Toronto"
            return _mention(ent, offset, "LOCATION", text, "ner")
    if places.is_place(text):
        return _mention(ent, offset, "LOCATION", places.country_of(text) or text, "ner")
    return None


def _after_place_preposition(ent: Span, lexicons: Lexicons) -> bool:
    return ent.start > 0 and ent.doc[ent.start - 1].lower_ in lexicons.municipalities.place_prepositions


def with_coordination(span: Span) -> Span:
    """The whole coordinated name when the span stops at a suspended hyphen: "Patent-" of
    "Patent- och registreringsverket", "äldre-" of "Mariebergsgårdens äldre- och demensboende"."""
    doc, end = span.doc, span.end
    while (end + 1 < len(doc) and doc[end - 1].text.endswith("-") and doc[end].lower_ in ("och", "eller")
           and doc[end + 1].is_alpha):
        end += 2
    return span if end == span.end else Span(doc, span.start, end, label=span.label)


def without_trailing_function_words(span: Span) -> Span:
    """A name does not end in a function word: "People's Momentum för sitt" is "People's Momentum"."""
    end = span.end
    while end > span.start + 1 and span.doc[end - 1].is_lower and span.doc[end - 1].is_stop:
        end -= 1
    return span if end == span.end else Span(span.doc, span.start, end, label=span.label)


def without_leading_title(span: Span, roles: RoleLexicon) -> Span:
    """A person's name without the title the model took along: "Sjukvårdsminister Acko Ankarberg Johansson"."""
    start = span.start
    while start < span.end - 1 and roles.is_role_word(span.doc[start].text):
        start += 1
    return span if start == span.start else Span(span.doc, start, span.end, label=span.label)


def _mention(span: Span, offset: int, label: str, normalized: str, source: str, kb_id: str | None = None) -> Mention:
    span = _trim(span)
    sentence = sentence_of(span)
    return Mention(label, offset + span.start_char, offset + span.end_char, span.text, normalized, source, sentence,
                   kb_id or None)


def _trim(span: Span) -> Span:
    """Without white-space tokens at the edges (the model sometimes takes a line break along)."""
    start, end = span.start, span.end
    while start < end and span.doc[start].is_space:
        start += 1
    while end > start and span.doc[end - 1].is_space:
        end -= 1
    return span if (start, end) == (span.start, span.end) else Span(span.doc, start, end, label=span.label)


def resolve_overlaps(found: list[Mention]) -> list[Mention]:
    """Highest priority first, then the longest: a mention is kept when it overlaps none kept before it."""
    preferred = sorted((m for m in found if m.end > m.start), key=lambda m: (-m.priority, -(m.end - m.start), m.start))
    return without_overlaps(preferred, lambda m: m.start, lambda m: m.end)
