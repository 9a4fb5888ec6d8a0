"""Worker processes for the CPU-heavy stages (reading and analysis) on one machine.

Workers come from a forkserver: clean single-threaded children (safe beside
Prefect's threads) that keep loaded models between batches. The forkserver
preloads nothing, so it stays small; each worker imports the library itself.
They live until `shutdown()`, which the flow calls when a run ends.

Work goes out in small contiguous chunks rather than one shard per worker, so
a worker that finishes early takes the next chunk (of this batch or the next
one) instead of waiting for the slowest shard.
"""

from __future__ import annotations

import math
import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from threading import Lock
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")
CHUNKS_PER_WORKER = 4
# Workers yield to the process that feeds them (and to Prefect's API server): starved of CPU, those
# would leave both workers idle; a worker needs no priority to use every cycle nobody else wants.
NICENESS = 5
_pools: dict[int, ProcessPoolExecutor] = {}
_lock = Lock()


def pool(workers: int) -> ProcessPoolExecutor:
    with _lock:
        existing = _pools.get(workers)
        if existing is None:
            context = multiprocessing.get_context("forkserver")
            existing = _pools[workers] = ProcessPoolExecutor(workers, mp_context=context, initializer=os.nice,
                                                             initargs=(NICENESS,))
        return existing


def warm(workers: int, model: str | None) -> None:
    """Start the workers and load the model in each now, without waiting for it.

    Loading takes a few seconds per worker; begun early it overlaps whatever
    the run does first (starting Prefect's API, discovering files) instead of
    holding up the first batch.
    """
    executor = pool(workers)
    for _ in range(workers):  # each submission starts a worker until there are `workers`
        executor.submit(_preload, model)


def _preload(model: str | None) -> None:
    """In a worker: imported here, so that the process warming the workers need not import spaCy."""
    from pipeline.nlp.model import preload

    preload(model)


def map_chunks(function: Callable[..., R], items: Sequence[T], workers: int, *args) -> list[R]:
    """function(chunk, *args) for contiguous chunks of items, in worker processes; one result per chunk, in order."""
    size = max(1, math.ceil(len(items) / (workers * CHUNKS_PER_WORKER)))
    chunks = [list(items[i : i + size]) for i in range(0, len(items), size)]
    return list(pool(workers).map(function, chunks, *[[a] * len(chunks) for a in args]))


def shutdown() -> None:
    with _lock:
        for executor in _pools.values():
            executor.shutdown(wait=True, cancel_futures=True)
        _pools.clear()
