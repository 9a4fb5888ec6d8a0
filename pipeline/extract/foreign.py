"""Foreign local governments: when a foreign place name is a MUNICIPALITY, and which country it is in.

A foreign city is a municipality only as a local government: named with a
council suffix ("Ghanzi District Council"), paired with a Swedish
municipality ("Falun och Kolomyia"), or in a sentence that speaks of city
government ("staden", "kommunen", "medborgarbudgeten" …). Otherwise it is a
LOCATION. The words are in `data/places.yaml`.
"""

from __future__ import annotations

from spacy.tokens import Doc, Span

from pipeline.extract import places
from pipeline.nlp.lexicons import MunicipalityLexicon


def council_suffixes() -> tuple[str, ...]:
    return tuple(places.words("council_suffixes"))


def foreign_municipality(text: str, municipalities: MunicipalityLexicon) -> str | None:
    """"Kolomyia", "Madrid stad", "Ghanzi District Council", "Madrid's" → the city's name."""
    councils = council_suffixes()
    base = text.strip()
    for suffix in (*councils, *places.words("foreign_suffixes")):
        if base.endswith(suffix):
            base = base[: -len(suffix)]
            break
    if municipalities.lookup(base) or places.country_of(base) or (len(base) > 1 and base.isupper()):
        return None  # an acronym ("RISE") abbreviates a body; GeoNames writes cities' names in title case
    if places.is_foreign_city(base):
        return base
    if base.endswith("s") and places.is_foreign_city(base[:-1]):
        return base[:-1]
    if text.strip().endswith(councils) and base[:1].isupper():
        return base
    return None


def with_city_prefix(ent: Span) -> Span:
    """"New York" when the model found only "York"."""
    if ent.start > 0 and places.is_foreign_city(f"{ent.doc[ent.start - 1].text} {ent.text}"):
        return Span(ent.doc, ent.start - 1, ent.end, label=ent.label)
    return ent


def paired(ent: Span, municipality_key: str) -> bool:
    """Named as a Swedish municipality's counterpart: "Falun och Kolomyia", "Umeå kommun med Cherson"."""
    doc = ent.doc
    pairing = set(places.words("pairing_words"))
    ends, starts = _span_edges(doc, municipality_key)
    for gap in (1, 2):  # one or two pairing words between the two names
        if ent.start - gap in ends and all(t.lower_ in pairing for t in doc[ent.start - gap : ent.start]):
            return True
        if ent.end + gap in starts and all(t.lower_ in pairing for t in doc[ent.end : ent.end + gap]):
            return True
    return False


def _span_edges(doc: Doc, key: str) -> tuple[frozenset[int], frozenset[int]]:
    """The token indexes where the spans of a group end and start, once per Doc: asking every span for
    every entity made a long document quadratic."""
    cache_key = f"kommunnlp.edges.{key}"
    edges = doc.user_data.get(cache_key)
    if edges is None:
        spans = doc.spans.get(key, [])
        edges = doc.user_data[cache_key] = (frozenset(s.end for s in spans), frozenset(s.start for s in spans))
    return edges


def country_after(ent: Span) -> str | None:
    """"Cherson i Ukraina": the country the text gives right after the place."""
    doc = ent.doc
    if ent.end + 1 < len(doc) and doc[ent.end].lower_ == places.words("country_preposition"):
        return places.country_of(doc[ent.end + 1].text)
    return None
