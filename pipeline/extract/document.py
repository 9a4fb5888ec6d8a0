"""One analysed document → its rows in every derived table: entities, person roles, partnerships, labels.

The document arrives as the spaCy docs of its chunks (offset, doc); every
row's offsets are absolute in `documents.text`. Provenance (run, pipeline
version, model) is stamped on the rows by the run, batch by batch.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Mapping
from dataclasses import replace

from spacy.tokens import Doc

from pipeline.extract import labels, partnerships, places
from pipeline.extract.entities import Mention, mentions_in
from pipeline.extract.labels import Taxonomy
from pipeline.extract.lines import ListLine, Part, list_lines
from pipeline.extract.resolution import is_abbreviation, normalise
from pipeline.extract.roles import PersonMention, find_roles, roles_of_list_lines
from pipeline.ingest.read import DocumentRecord
from pipeline.nlp.lexicons import Lexicons
from pipeline.nlp.persons import clean_person_text
from pipeline.nlp.text import text_of, without_overlaps
from pipeline.store.schemas import EntityRow, LabelRow, PartnershipRow, PersonRoleRow

PARTNERSHIP_THEMES = "cooperation_themes"  # the taxonomy whose labels a partnership's themes are
_INTRODUCED = re.compile(r" ?\((?P<abbreviation>[A-ZÅÄÖ][A-ZÅÄÖ0-9&-]{1,9})\)")  # "… Norrlandsnätet (FNN)"


def extract_document(document: DocumentRecord, docs: list[tuple[int, Doc]], lexicons: Lexicons,
                     taxonomies: Mapping[str, Taxonomy]) -> dict[str, list]:
    """Rows per table name: `entities`, `person_roles`, `partnerships` and one per taxonomy."""
    mentions: list[Mention] = []
    for offset, doc in docs:
        mentions.extend(mentions_in(doc, offset, lexicons))
    lines = list_lines(document.text, lambda name: clean_person_text(name, lexicons.names) is not None
                       and not lexicons.gazetteer.canonical_name(name))
    mentions = with_introduced_abbreviations(with_list_lines(mentions, lines, document.text, lexicons), document.text)
    mentions = normalise(mentions, lexicons.gazetteer)
    rows: dict[str, list] = {
        "entities": [_entity_row(document, m, lexicons) for m in mentions],
        "person_roles": _role_rows(document, docs, mentions, lines, lexicons),
        "partnerships": _partnership_rows(document, mentions, taxonomies.get(PARTNERSHIP_THEMES)),
    }
    for name, results in labels.classify(docs, taxonomies).items():
        rows[name] = [
            LabelRow(doc_id=document.doc_id, source_path=document.source_path, label=r.label, score=r.score,
                     evidence=r.evidence, start_char=r.start, end_char=r.end)
            for r in results
        ]
    return rows


def with_list_lines(mentions: list[Mention], lines: list[ListLine], text: str, lexicons: Lexicons
                    ) -> list[Mention]:
    """What "Name, Role, Organisation" lines say: the first part is a person, the last an organisation.

    The model reads such lines without their shape and often takes an organisation for a person
    ("Kantar Sifo"); a line's own shape settles it. A part no mention covers gets one.
    """
    if not lines:
        return mentions
    result = list(mentions)  # sorted and without overlaps, which the parts keep
    starts = [m.start for m in result]
    for line in lines:
        _settle_part(result, starts, line.name, "PERSON", text, lexicons)
        if line.last is not None and _names_a_body(line.last.text, lexicons) and not lexicons.roles.is_title(
                line.last.text):
            _settle_part(result, starts, line.last, "ORGANISATION", text, lexicons)
    return result


def with_introduced_abbreviations(mentions: list[Mention], text: str) -> list[Mention]:
    """An abbreviation in brackets right after an organisation's name ("Föreningen Norrlandsnätet (FNN)") is
    that organisation wherever the document uses it, whether or not the model saw it (normalising then
    names it by the full name)."""
    introduced = {}
    for mention in mentions:
        match = _INTRODUCED.match(text, mention.end) if mention.label == "ORGANISATION" else None
        if match and not is_abbreviation(mention.text):
            introduced.setdefault(match["abbreviation"], mention)
    if not introduced:
        return mentions
    uses = [Mention("ORGANISATION", m.start(), m.end(), m[0], m[0], "abbreviation", _line_of(text, m.start(), m.end()))
            for m in re.finditer(rf"\b(?:{'|'.join(map(re.escape, introduced))})\b(?::s)?", text)]
    return without_overlaps([*mentions, *uses], lambda m: m.start, lambda m: m.end)  # where no mention is yet


def _names_a_body(part: str, lexicons: Lexicons) -> bool:
    """The last part names an organisation: capitalised, not a title, not a place."""
    words = part.split()
    return (part[:1].isupper() and not lexicons.roles.is_role_word(words[-1]) and not places.is_place(part)
            and not lexicons.gazetteer.is_generic(part))


def _settle_part(mentions: list[Mention], starts: list[int], part: Part, label: str, text: str,
                 lexicons: Lexicons) -> None:
    """Relabel the mention that is the part, or add one where none touches it. mentions: sorted, without
    overlaps; starts: their starts (both kept so), so only the few mentions near the part are looked at."""
    near = range(max(0, bisect.bisect_right(starts, part.start) - 1), bisect.bisect_left(starts, part.end))
    inside = [i for i in near if part.start <= mentions[i].start and mentions[i].end <= part.end]
    if any(mentions[i].label == "MUNICIPALITY" for i in inside):
        return  # "Umeå kommun": a municipality is a municipality wherever it stands
    covering = [i for i in inside if (mentions[i].start, mentions[i].end) == (part.start, part.end)]
    if covering:
        for i in covering:
            m = mentions[i]
            if m.label in ("PERSON", "ORGANISATION") and m.label != label:
                mentions[i] = replace(m, label=label, normalized=m.text, source="list_line")
        return
    if any(mentions[i].start < part.end and part.start < mentions[i].end for i in near):
        return  # a mention crosses the part: leave it to the model
    at = bisect.bisect_left(starts, part.start)
    starts.insert(at, part.start)
    mentions.insert(at, Mention(label, part.start, part.end, part.text, part.text, "list_line",
                                _line_of(text, part.start, part.end)))


EVIDENCE_CHARS = 300  # a line's evidence runs at most this far either side of the mention


def _line_of(text: str, start: int, end: int) -> str:
    """The line a mention stands on, as its evidence (cut on a line longer than EVIDENCE_CHARS each side)."""
    floor, ceiling = max(0, start - EVIDENCE_CHARS), min(len(text), end + EVIDENCE_CHARS)
    line_start, line_end = text.rfind("\n", floor, start), text.find("\n", end, ceiling)
    return text[line_start + 1 if line_start != -1 else floor : line_end if line_end != -1 else ceiling].strip()


def _entity_row(document: DocumentRecord, mention: Mention, lexicons: Lexicons) -> EntityRow:
    kb_id = mention.kb_id
    if kb_id is None and mention.label == "ORGANISATION":  # an agency however it was found
        kb_id = lexicons.gazetteer.kb_ids.get(mention.normalized)
    return EntityRow(
        doc_id=document.doc_id, source_path=document.source_path, label=mention.label, text=mention.text,
        normalized=mention.normalized, kb_id=kb_id, country=mention.country, start_char=mention.start,
        end_char=mention.end, sentence=mention.sentence, source=mention.source, score=mention.score,
        review_status="unreviewed", extracted_label=mention.label, extracted_normalized=mention.normalized,
    )


def _role_rows(document: DocumentRecord, docs: list[tuple[int, Doc]], mentions: list[Mention],
               lines: list[ListLine], lexicons: Lexicons) -> list[PersonRoleRow]:
    """Roles from list lines (their shape says which part is what), and from prose for everyone else."""
    names = {(m.start, m.end): m.normalized for m in mentions if m.label == "PERSON"}
    links = [(0, link) for link in roles_of_list_lines(lines, names, lexicons.roles, document.text)]
    listed = {(line.name.start, line.name.end) for line in lines if (line.name.start, line.name.end) in names}
    persons = [m for m in mentions if m.label == "PERSON" and (m.start, m.end) not in listed]  # in text order
    starts = [m.start for m in persons]
    for offset, doc in docs:
        end = offset + len(text_of(doc))
        inside = [
            PersonMention(m.normalized, m.start - offset, m.end - offset)
            for m in persons[bisect.bisect_left(starts, offset) : bisect.bisect_left(starts, end)]
            if m.end <= end
        ]
        links += [(offset, link) for link in find_roles(doc, inside, lexicons.roles)]
    rows, seen = [], set()
    for offset, link in sorted(links, key=lambda pair: -pair[1].score):
        if (link.person, link.role) in seen:
            continue
        seen.add((link.person, link.role))
        rows.append(PersonRoleRow(
            doc_id=document.doc_id, source_path=document.source_path, person=link.person, role=link.role,
            party=link.party, org=link.org, start_char=offset + link.start, end_char=offset + link.end,
            evidence=link.evidence, score=link.score, review_status="unreviewed", extracted_role=link.role,
        ))
    return sorted(rows, key=lambda row: row.start_char)


def _partnership_rows(document: DocumentRecord, mentions: list[Mention], themes: Taxonomy | None
                      ) -> list[PartnershipRow]:
    places = [partnerships.Place(m.normalized, m.kb_id, m.country, m.start, m.end)
              for m in mentions if m.label == "MUNICIPALITY"]
    return [PartnershipRow(doc_id=document.doc_id, source_path=document.source_path, **pair)
            for pair in partnerships.find_partnerships(document.text, places, themes)]
