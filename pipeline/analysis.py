"""The NLP stage: run the Swedish pipeline over a batch of documents and collect every derived row.

With several workers the batch is split into shards that worker processes
analyse completely — spaCy *and* extraction — so the Python-heavy extraction
runs in parallel too, and no spaCy Doc crosses a process boundary. The
workers come from a forkserver (clean, single-threaded children, safe beside
Prefect's threads), load the model once, and live until `shutdown()`.
"""

from __future__ import annotations

import multiprocessing
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from threading import Lock

from spacy.tokens import Doc

from pipeline.batches import SWEDISH, Analysed
from pipeline.extract import extract_document
from pipeline.ingest import DocumentRecord
from pipeline.nlp import chunks, count_tokens, load_pipeline

NLP_BATCH_SIZE = 32
_pools: dict[tuple[str, int], ProcessPoolExecutor] = {}
_pools_lock = Lock()


def analyse(documents: list[DocumentRecord], model: str, n_process: int = 1) -> Analysed:
    """Token counts for every document; entities, roles, labels and partnerships for the Swedish ones."""
    if n_process <= 1 or len(documents) < 2:
        return analyse_here(documents, model)
    shards = [documents[i::n_process] for i in range(n_process)]
    pool = _pool(model, n_process)
    results = list(pool.map(analyse_here, [s for s in shards if s], [model] * n_process))
    return _merge(documents, results)


def analyse_here(documents: list[DocumentRecord], model: str) -> Analysed:
    """Analyse in this process."""
    nlp = load_pipeline(model)
    analysed = Analysed()
    swedish = [d for d in documents if d.language == SWEDISH]
    for document in documents:
        if document.language != SWEDISH:
            analysed.n_tokens[document.doc_id] = count_tokens(nlp, document.text)
    pieces = [(i, offset, piece) for i, d in enumerate(swedish) for offset, piece in chunks(d.text)]
    parsed: dict[int, list[tuple[int, Doc]]] = defaultdict(list)
    docs = nlp.pipe((p[2] for p in pieces), batch_size=NLP_BATCH_SIZE)
    for (index, offset, _), doc in zip(pieces, docs, strict=True):
        parsed[index].append((offset, doc))
    for index, document in enumerate(swedish):
        spacy_docs = parsed[index]
        analysed.n_tokens[document.doc_id] = sum(len(doc) for _, doc in spacy_docs)
        for table, rows in extract_document(document, spacy_docs).items():
            analysed.rows.setdefault(table, []).extend(rows)
    return analysed


def _merge(documents: list[DocumentRecord], results: list[Analysed]) -> Analysed:
    """One result with rows in document order, whichever shard analysed each document."""
    order = {d.doc_id: i for i, d in enumerate(documents)}
    merged = Analysed()
    for result in results:
        merged.n_tokens.update(result.n_tokens)
        for table, rows in result.rows.items():
            merged.rows.setdefault(table, []).extend(rows)
    for rows in merged.rows.values():
        rows.sort(key=lambda row: order[row["doc_id"]])  # stable: each document keeps its own row order
    return merged


def _pool(model: str, workers: int) -> ProcessPoolExecutor:
    with _pools_lock:
        pool = _pools.get((model, workers))
        if pool is None:
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(["pipeline.analysis"])
            pool = _pools[(model, workers)] = ProcessPoolExecutor(workers, mp_context=context)
        return pool


def shutdown() -> None:
    """Stop the worker processes (the flow calls this when a run ends)."""
    with _pools_lock:
        for pool in _pools.values():
            pool.shutdown(wait=True, cancel_futures=True)
        _pools.clear()
