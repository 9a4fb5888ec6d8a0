"""The NLP stage: run the Swedish pipeline over a batch of documents and collect every derived row."""

from __future__ import annotations

from collections import defaultdict

from spacy.tokens import Doc

from pipeline.batches import SWEDISH, Analysed
from pipeline.extract import extract_document
from pipeline.ingest import DocumentRecord
from pipeline.nlp import chunks, count_tokens, load_pipeline

NLP_BATCH_SIZE = 32


def analyse(documents: list[DocumentRecord], model: str, n_process: int = 1) -> Analysed:
    """Token counts for every document; entities, roles and labels for the Swedish ones."""
    nlp = load_pipeline(model)
    analysed = Analysed()
    swedish = [d for d in documents if d.language == SWEDISH]
    for document in documents:
        if document.language != SWEDISH:
            analysed.n_tokens[document.doc_id] = count_tokens(nlp, document.text)
    pieces = [(i, offset, piece) for i, d in enumerate(swedish) for offset, piece in chunks(d.text)]
    parsed: dict[int, list[tuple[int, Doc]]] = defaultdict(list)
    docs = nlp.pipe((p[2] for p in pieces), batch_size=NLP_BATCH_SIZE, n_process=n_process)
    for (index, offset, _), doc in zip(pieces, docs, strict=True):
        parsed[index].append((offset, doc))
    for index, document in enumerate(swedish):
        spacy_docs = parsed[index]
        analysed.n_tokens[document.doc_id] = sum(len(doc) for _, doc in spacy_docs)
        for table, rows in extract_document(document, spacy_docs).items():
            analysed.rows.setdefault(table, []).extend(rows)
    return analysed
