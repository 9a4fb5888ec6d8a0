"""Worker processes for the CPU-heavy stages (reading and analysis) on one machine.

Workers come from a forkserver: clean single-threaded children (safe beside
Prefect's threads) that keep loaded models between batches. The forkserver
preloads nothing, so it stays small; each worker imports the library itself.
They live until `shutdown()`, which the flow calls when a run ends.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from threading import Lock
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")
_pools: dict[int, ProcessPoolExecutor] = {}
_lock = Lock()


def pool(workers: int) -> ProcessPoolExecutor:
    with _lock:
        existing = _pools.get(workers)
        if existing is None:
            context = multiprocessing.get_context("forkserver")
            existing = _pools[workers] = ProcessPoolExecutor(workers, mp_context=context)
        return existing


def map_shards(function: Callable[..., R], items: Sequence[T], workers: int, *args) -> list[R]:
    """function(shard, *args) for `workers` interleaved shards of items, in worker processes."""
    shards = [list(items[i::workers]) for i in range(workers)]
    executor = pool(workers)
    return list(executor.map(function, shards, *[[a] * len(shards) for a in args]))


def interleave(shard_results: list[list[R]], workers: int) -> list[R]:
    """Undo map_shards' interleaving: item i came back in shard i % workers at position i // workers."""
    total = sum(len(r) for r in shard_results)
    return [shard_results[i % workers][i // workers] for i in range(total)]


def shutdown() -> None:
    with _lock:
        for executor in _pools.values():
            executor.shutdown(wait=True, cancel_futures=True)
        _pools.clear()
