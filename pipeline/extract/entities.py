"""From analysed spaCy docs to rows: entities and person roles, offsets in the document's text.

Candidates come from the spaCy components (municipality, organisation and
person matchers) and the model's entities. Where they overlap, the more
specific source wins: gazetteer > municipality list > patterns > model. Then
the document is read as a whole: short person names resolve to full names,
abbreviations to the names they were introduced with, genitives to base forms.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace

from spacy.tokens import Doc, Span

from pipeline.extract import labels, partnerships, places
from pipeline.extract.roles import PersonMention, find_roles
from pipeline.ingest.read import DocumentRecord
from pipeline.nlp import municipalities, organisations, persons
from pipeline.nlp.text import sentence_of, text_of

MODEL_LABELS = {"PER": "PERSON", "PRS": "PERSON", "ORG": "ORGANISATION", "LOC": "LOCATION", "GPE": "LOCATION"}
# Which source wins an overlap (higher first), and the score it gives.
SOURCES = {
    "org_gazetteer": (5, 0.95),
    "municipality_list": (4, 0.95),
    "org_patterns": (3, 0.85),
    "person_patterns": (3, 0.85),
    "ner+geonames": (2, 0.75),
    "ner": (1, 0.6),
}
COUNCILS = (" District Council", " City Council", " Municipal Council", " Municipality")
FOREIGN_SUFFIXES = (*COUNCILS, " kommun", " stad", " Stad", "'s", "’s")


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


def extract_document(document: DocumentRecord, docs: list[tuple[int, Doc]]) -> dict[str, list[dict]]:
    mentions: list[Mention] = []
    for offset, doc in docs:
        mentions.extend(_resolve_overlaps(_candidates(doc, offset)))
    mentions = _normalise(mentions)
    rows = {
        "entities": [_entity_row(document, m) for m in mentions],
        "person_roles": _role_rows(document, docs, mentions),
        "partnerships": [
            {"doc_id": document.doc_id, "source_path": document.source_path, **pair}
            for pair in partnerships.find_partnerships(document.text, [
                partnerships.Place(m.normalized, m.kb_id, m.country, m.start, m.end)
                for m in mentions if m.label == "MUNICIPALITY"
            ])
        ],
    }
    for name, results in labels.classify(docs, labels.load_all()).items():
        rows[name] = [
            {"doc_id": document.doc_id, "source_path": document.source_path, "label": r.label, "score": r.score,
             "evidence": r.evidence, "start_char": r.start, "end_char": r.end}
            for r in results
        ]
    return rows


# --- candidates ---------------------------------------------------------------------
def _candidates(doc: Doc, offset: int) -> list[Mention]:
    found: list[Mention] = []
    for span in doc.spans.get(municipalities.SPAN_KEY, []):
        municipality = municipalities.by_kb_id()[span.kb_id_]
        found.append(_mention(span, offset, "MUNICIPALITY", municipality.name, "municipality_list", span.kb_id_))
    for span in doc.spans.get(organisations.GAZETTEER_KEY, []):
        canonical = organisations.canonical_name(span.text) or span.text
        found.append(_mention(span, offset, "ORGANISATION", canonical, "org_gazetteer"))
    for span in doc.spans.get(organisations.PATTERN_KEY, []):
        council = _foreign_municipality(span.text) if span.text.endswith(COUNCILS) else None
        if council:  # "Ghanzi District Council" is the local government of Ghanzi
            mention = _mention(span, offset, "MUNICIPALITY", council, "org_patterns")
            mention.country = _country_after(span)
            found.append(mention)
        else:
            found.append(_mention(span, offset, "ORGANISATION", span.text, "org_patterns"))
    for span in doc.spans.get(persons.PATTERN_KEY, []):
        found.append(_mention(span, offset, "PERSON", span.text, "person_patterns"))
    for ent in doc.ents:
        mention = _from_model(ent, offset)
        if mention is not None:
            found.append(mention)
    return found


def _from_model(ent: Span, offset: int) -> Mention | None:
    label = MODEL_LABELS.get(ent.label_)
    if label is None:
        return None
    ent = _with_city_prefix(ent)
    text = ent.text
    foreign = _foreign_municipality(text)
    if foreign:
        if foreign == text and not places.speaks_of_local_government(sentence_of(ent) or "") and not _paired(ent):
            return _mention(ent, offset, "LOCATION", text, "ner")  # a place, not a government: "bostadsbolag i Paris"
        mention = _mention(ent, offset, "MUNICIPALITY", foreign, "ner+geonames")
        mention.country = _country_after(ent)
        return mention
    if municipalities.lookup(text):
        return None  # the municipality list has judged this name already
    if places.is_place(text):
        return _mention(ent, offset, "LOCATION", text, "ner")
    if label == "PERSON":
        name = persons.clean_person_text(text)
        if not name or places.is_foreign_city(name):
            return None
        return _mention(ent, offset, label, name, "ner")
    if label == "ORGANISATION":
        name = organisations.clean_org_text(text)
        # A single capitalised word opening a sentence is no evidence of a name ("Målsättningen …").
        if not name or (len(ent) == 1 and ent[0].is_sent_start):
            return None
        return _mention(ent, offset, label, name, "ner")
    return _mention(ent, offset, label, text, "ner")


def _with_city_prefix(ent: Span) -> Span:
    """"New York" when the model found only "York"."""
    if ent.start > 0 and places.is_foreign_city(f"{ent.doc[ent.start - 1].text} {ent.text}"):
        return Span(ent.doc, ent.start - 1, ent.end, label=ent.label)
    return ent


def _foreign_municipality(text: str) -> str | None:
    """"Kolomyia", "Madrid stad", "Ghanzi District Council", "Madrid's" → the city's name."""
    base = text.strip()
    for suffix in FOREIGN_SUFFIXES:
        if base.endswith(suffix):
            base = base[: -len(suffix)]
            break
    if municipalities.lookup(base) or places.country_of(base):
        return None
    if places.is_foreign_city(base):
        return base
    if base.endswith("s") and places.is_foreign_city(base[:-1]):
        return base[:-1]
    if text.strip().endswith(COUNCILS) and base[:1].isupper():
        return base
    return None


def _paired(ent: Span) -> bool:
    """Named as a Swedish municipality's counterpart: "Falun och Kolomyia", "Umeå kommun med Cherson"."""
    doc = ent.doc
    for span in doc.spans.get(municipalities.SPAN_KEY, []):
        between = doc[span.end : ent.start] if span.end <= ent.start else doc[ent.end : span.start]
        if 0 < len(between) <= 2 and all(t.lower_ in ("och", "med", "samt", "&") for t in between):
            return True
    return False


def _country_after(ent: Span) -> str | None:
    """"Cherson i Ukraina": the country the text gives right after the place."""
    doc = ent.doc
    if ent.end + 1 < len(doc) and doc[ent.end].lower_ == "i":
        return places.country_of(doc[ent.end + 1].text)
    return None


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


def _resolve_overlaps(candidates: list[Mention]) -> list[Mention]:
    kept: list[Mention] = []
    for mention in sorted(candidates, key=lambda m: (-m.priority, -(m.end - m.start), m.start)):
        if mention.end > mention.start and all(mention.end <= k.start or mention.start >= k.end for k in kept):
            kept.append(mention)
    return sorted(kept, key=lambda m: m.start)


# --- document-level normalisation -----------------------------------------------------------
def _normalise(mentions: list[Mention]) -> list[Mention]:
    mentions = _resolve_persons(mentions)
    mentions = _resolve_organisations(mentions)
    return _same_case(mentions)


def _resolve_persons(mentions: list[Mention]) -> list[Mention]:
    """Short forms become full names; a lone first or last name the model guessed is dropped.

    The model sometimes calls a person's surname an organisation or a place
    ("Slottner", "Sharif"); a mention that is part of a person's full name in
    the same document is that person.
    """
    names = [m.normalized for m in mentions if m.label == "PERSON"]
    full_names = [n for n in names if len(n.split()) >= 2]
    result = []
    for mention in mentions:
        if mention.label in ("ORGANISATION", "LOCATION") and mention.source == "ner" and len(mention.text.split()) == 1:
            owner = persons.resolve_short_names([*full_names, mention.text]).get(mention.text, mention.text)
            if owner != mention.text:
                mention = replace(mention, label="PERSON", normalized=mention.text)
        result.append(mention)
    names = [m.normalized for m in result if m.label == "PERSON"]
    resolved = persons.resolve_short_names(names)
    mentions, result = result, []
    for mention in mentions:
        if mention.label != "PERSON":
            result.append(mention)
            continue
        full = resolved.get(mention.normalized, mention.normalized)
        if len(full.split()) == 1 and mention.source == "ner":
            continue
        result.append(replace(mention, normalized=full))
    return result


def _resolve_organisations(mentions: list[Mention]) -> list[Mention]:
    """Abbreviations introduced next to a name ("… Regioner (SKR)") and genitives resolve to the full name."""
    orgs = [m for m in mentions if m.label == "ORGANISATION"]
    known = {m.normalized for m in orgs}
    aliases: dict[str, str] = {}
    for first, second in itertools.pairwise(orgs):
        gap = second.start - first.end
        if 0 < gap <= 3 and _is_abbreviation(second.text) and not _is_abbreviation(first.text):
            aliases[second.text] = first.normalized
        elif 0 < gap <= 3 and _is_abbreviation(first.text) and not _is_abbreviation(second.text):
            aliases[first.text] = second.normalized
    result = []
    for mention in mentions:
        if mention.label == "ORGANISATION":
            name = aliases.get(mention.text, mention.normalized)
            base = name[:-1] if name.endswith("s") else name
            if name.endswith(":s"):
                base = name[:-2]
            if base != name and (base in known or organisations.canonical_name(base)):
                name = organisations.canonical_name(base) or base
            name = aliases.get(name, name)
            mention = replace(mention, normalized=name)
        result.append(mention)
    return result


def _same_case(mentions: list[Mention]) -> list[Mention]:
    """One spelling per entity: "Helsingfors Universitet" and "Helsingfors universitet" are one name."""
    first: dict[tuple[str, str], str] = {}
    result = []
    for mention in mentions:
        key = (mention.label, mention.normalized.casefold())
        result.append(replace(mention, normalized=first.setdefault(key, mention.normalized)))
    return result


def _is_abbreviation(text: str) -> bool:
    core = text.removesuffix(":s")
    return 2 <= len(core) <= 8 and core.replace("-", "").isalpha() and sum(c.isupper() for c in core) >= 2


# --- rows -----------------------------------------------------------------------------------
def _entity_row(document: DocumentRecord, mention: Mention) -> dict:
    return {
        "doc_id": document.doc_id, "source_path": document.source_path, "label": mention.label,
        "text": mention.text, "normalized": mention.normalized, "kb_id": mention.kb_id, "country": mention.country,
        "start_char": mention.start, "end_char": mention.end, "sentence": mention.sentence,
        "source": mention.source, "score": mention.score, "review_status": "unreviewed",
        "extracted_label": mention.label, "extracted_normalized": mention.normalized,
    }


def _role_rows(document: DocumentRecord, docs: list[tuple[int, Doc]], mentions: list[Mention]) -> list[dict]:
    rows = []
    for offset, doc in docs:
        end = offset + len(text_of(doc))
        inside = [
            PersonMention(m.normalized, m.start - offset, m.end - offset)
            for m in mentions
            if m.label == "PERSON" and offset <= m.start and m.end <= end
        ]
        for link in find_roles(doc, inside):
            rows.append({
                "doc_id": document.doc_id, "source_path": document.source_path, "person": link.person,
                "role": link.role, "party": link.party, "org": link.org, "start_char": offset + link.start,
                "end_char": offset + link.end, "evidence": link.evidence, "score": link.score,
                "review_status": "unreviewed", "extracted_role": link.role,
            })
    return rows
