"""The NLP stage: run the Swedish pipeline over a batch of documents and collect every derived row.

With several workers the batch is split into chunks that worker processes
(`pipeline.workers`) analyse completely — spaCy *and* extraction — so the
Python-heavy extraction runs in parallel too, and no spaCy Doc crosses a
process boundary.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

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


@dataclass
class Analysed:
    """What the NLP stage returns for a batch: token counts and the rows of the derived tables."""

    n_tokens: dict[str, int] = field(default_factory=dict)
    rows: dict[str, list] = field(default_factory=dict)  # table name → typed rows (pipeline.store.schemas)


def analyse(documents: list[DocumentRecord], model: str, n_process: int = 1, taxonomies: str | None = None
            ) -> Analysed:
    """Token counts for every document; entities, roles, labels and partnerships for the Swedish ones.

    taxonomies: the folder of taxonomy files to label with (None: the shipped ones).
    """
    if n_process <= 1:
        return analyse_here(documents, model, taxonomies)
    return _merge(workers.map_chunks(analyse_here, documents, n_process, model, taxonomies))


def analyse_here(documents: list[DocumentRecord], model: str, taxonomies: str | None = None) -> Analysed:
    """Analyse in this process."""
    nlp = load_pipeline(model)
    lexicons = Lexicons.of(nlp)
    label_sets = load_taxonomies(taxonomies)
    analysed = Analysed()
    swedish = [d for d in documents if d.language == SWEDISH]
    for document in documents:
        if document.language != SWEDISH:
            analysed.n_tokens[document.doc_id] = count_tokens(nlp, document.text)
    pieces = [(i, offset, piece) for i, d in enumerate(swedish) for offset, piece in chunks(d.text)]
    parsed: dict[int, list[tuple[int, Doc]]] = defaultdict(list)
    docs = nlp.pipe((p[2] for p in pieces), batch_size=NLP_BATCH_SIZE)
    for (index, offset, piece), doc in zip(pieces, docs, strict=True):
        parsed[index].append((offset, remember_text(doc, piece)))
    for index, document in enumerate(swedish):
        spacy_docs = parsed[index]
        analysed.n_tokens[document.doc_id] = sum(len(doc) for _, doc in spacy_docs)
        for table, rows in extract_document(document, spacy_docs, lexicons, label_sets).items():
            analysed.rows.setdefault(table, []).extend(rows)
    return analysed


def _merge(results: list[Analysed]) -> Analysed:
    """One result from the chunks' results; chunks are contiguous and in order, so rows stay in document order."""
    merged = Analysed()
    for result in results:
        merged.n_tokens.update(result.n_tokens)
        for table, rows in result.rows.items():
            merged.rows.setdefault(table, []).extend(rows)
    return merged
