"""The NLP stage: run the Swedish pipeline over a batch of documents and collect every derived row.

With several workers the batch is split into chunks that worker processes
(`pipeline.workers`) analyse completely — spaCy *and* extraction — so the
Python-heavy extraction runs in parallel too, and no spaCy Doc crosses a
process boundary.

A long document (an annual report, a dump of many notices) is analysed in
paragraph-aligned parts of at most PART_CHARS, each like a document of its own,
so its parts spread over the workers like any batch and its cost grows with its
length. The parts' rows are joined again with their offsets in the whole text:
a person or organisation is resolved (short name → full name) within its part,
and a role, partnership or label the document gives in several parts is one row.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field, replace

from spacy.tokens import Doc

from pipeline import workers
from pipeline.extract.document import extract_document
from pipeline.extract.labels import load_taxonomies
from pipeline.ingest.language import SWEDISH
from pipeline.ingest.read import DocumentRecord
from pipeline.nlp.lexicons import Lexicons
from pipeline.nlp.model import load_pipeline
from pipeline.nlp.text import chunks, count_tokens, remember_text

NLP_BATCH_SIZE = 32
# A document longer than this is analysed in parts of at most this many characters (four spaCy chunks):
# long enough that hardly a press release or notice is cut, short enough to keep both workers busy.
PART_CHARS = 200_000


@dataclass
class Analysed:
    """What the NLP stage returns for a batch: token counts and the rows of the derived tables."""

    n_tokens: dict[str, int] = field(default_factory=dict)
    rows: dict[str, list] = field(default_factory=dict)  # table name → typed rows (pipeline.store.schemas)


@dataclass(frozen=True)
class Part:
    """A document or a part of a long one: `document.text` is the part's text, from `offset` on."""

    document: DocumentRecord
    offset: int = 0


def parts_of(documents: list[DocumentRecord]) -> Iterator[Part]:
    for document in documents:
        if len(document.text) <= PART_CHARS:
            yield Part(document)
        else:
            for offset, piece in chunks(document.text, PART_CHARS):
                yield Part(replace(document, text=piece), offset)


def analyse(documents: list[DocumentRecord], model: str, n_process: int = 1, taxonomies: str | None = None
            ) -> Analysed:
    """Token counts for every document; entities, roles, labels and partnerships for the Swedish ones.

    taxonomies: the folder of taxonomy files to label with (None: the shipped ones).
    """
    parts = list(parts_of(documents))
    if n_process <= 1:
        analysed = analyse_here(parts, model, taxonomies)
    else:
        analysed = _merge(workers.map_chunks(analyse_here, parts, n_process, model, taxonomies))
    if len(parts) > len(documents):
        analysed.rows = {table: _once_per_key(table, rows) for table, rows in analysed.rows.items()}
    return analysed


def analyse_here(parts: list[Part], model: str, taxonomies: str | None = None) -> Analysed:
    """Analyse in this process."""
    nlp = load_pipeline(model)
    lexicons = Lexicons.of(nlp)
    label_sets = load_taxonomies(taxonomies)
    analysed = Analysed()
    swedish = [p for p in parts if p.document.language == SWEDISH]
    for part in parts:
        if part.document.language != SWEDISH:
            _count(analysed, part, count_tokens(nlp, part.document.text))
    pieces = [(i, offset, piece) for i, p in enumerate(swedish) for offset, piece in chunks(p.document.text)]
    parsed: dict[int, list[tuple[int, Doc]]] = defaultdict(list)
    docs = nlp.pipe((p[2] for p in pieces), batch_size=NLP_BATCH_SIZE)
    # A part is extracted as soon as its last piece is parsed, and its Docs let go: memory holds one part's
    # Docs (and a batch of spaCy's), not those of every part a worker is given.
    last_piece = {index: n for n, (index, _, _) in enumerate(pieces)}
    for n, ((index, offset, piece), doc) in enumerate(zip(pieces, docs, strict=True)):
        parsed[index].append((offset, remember_text(doc, piece)))
        if last_piece[index] == n:
            _extract(analysed, swedish[index], parsed.pop(index), lexicons, label_sets)
    for index, part in enumerate(swedish):
        if index not in last_piece:  # no text to parse (cleaning leaves none such; kept safe)
            _extract(analysed, part, [], lexicons, label_sets)
    return analysed


def _extract(analysed: Analysed, part: Part, spacy_docs: list[tuple[int, Doc]], lexicons: Lexicons,
             label_sets) -> None:
    _count(analysed, part, sum(len(doc) for _, doc in spacy_docs))
    for table, rows in extract_document(part.document, spacy_docs, lexicons, label_sets).items():
        analysed.rows.setdefault(table, []).extend(_shifted(row, part.offset) for row in rows)


def _count(analysed: Analysed, part: Part, n_tokens: int) -> None:
    doc_id = part.document.doc_id
    analysed.n_tokens[doc_id] = analysed.n_tokens.get(doc_id, 0) + n_tokens


def _shifted(row, offset: int):
    """A part's row with its offsets in the whole document's text."""
    if not offset or row.start_char is None:
        return row
    return replace(row, start_char=row.start_char + offset, end_char=row.end_char + offset)


# What the extraction of one document gives once (a long document's parts may each give it): the key,
# and which row to keep — the strongest, then the first.
_ONCE = {"person_roles": ("person", "role"), "partnerships": ("swedish_kb_id", "partner")}


def _once_per_key(table: str, rows: list) -> list:
    """One row per document and key: roles per (person, role), partnerships per pair, labels per label."""
    if table == "entities":
        return rows
    key_fields = _ONCE.get(table, ("label",))
    best: dict[tuple, object] = {}
    for row in rows:
        key = (row.doc_id, *(getattr(row, name) for name in key_fields))
        kept = best.get(key)
        if kept is None or (getattr(row, "score", 0) or 0) > (getattr(kept, "score", 0) or 0):
            best[key] = row
    return sorted(best.values(), key=lambda row: (row.doc_id, row.start_char or 0))


def _merge(results: list[Analysed]) -> Analysed:
    """One result from the chunks' results; chunks are contiguous and in order, so rows stay in document order."""
    merged = Analysed()
    for result in results:
        merged.n_tokens.update(result.n_tokens)
        for table, rows in result.rows.items():
            merged.rows.setdefault(table, []).extend(rows)
    return merged
