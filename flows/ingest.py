"""The ingest flow: raw files → Parquet tables, batch by batch, crash-safe and incremental."""

from __future__ import annotations

import datetime as dt
from collections import deque
from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.context import FlowRunContext
from prefect.task_runners import ThreadPoolTaskRunner
from prefect.utilities.annotations import quote

from pipeline import analysis
from pipeline import workers as worker_pool
from pipeline.extract import labels
from pipeline.ingest.discover import Discovered, discover
from pipeline.ingest.read import DEFAULT_MAX_BYTES, DocumentRecord, Outcome, read_each, read_inputs
from pipeline.nlp.model import model_label_of, resolve_model
from pipeline.outputs.curation import Curation, apply_to_entities, apply_to_roles, curation_path, load_curation
from pipeline.runs import Analysed, RunSummary, batch_tables, new_run_id, settle
from pipeline.store.check import check
from pipeline.store.folder import OutputStore
from pipeline.store.schemas import to_arrow

DEFAULT_BATCH_SIZE = 400


class StrictModeError(RuntimeError):
    """--strict and some inputs were quarantined (the outputs are written all the same)."""


@task(name="read-batch", retries=2, retry_delay_seconds=1, cache_policy=NO_CACHE, persist_result=False)
def read_batch(items: list[Discovered], previous: dict[str, str], max_bytes: int, force: bool,
               workers: int = 1) -> list[Outcome]:
    if workers <= 1:
        return read_inputs(items, previous, max_bytes=max_bytes, force=force)
    chunks = worker_pool.map_chunks(read_each, items, workers, previous, max_bytes, force)
    return [outcome for chunk in chunks for per_item in chunk for outcome in per_item]


@task(name="analyse-batch", cache_policy=NO_CACHE, persist_result=False)
def analyse_batch(documents: list[DocumentRecord], model: str, workers: int) -> Analysed:
    return analysis.analyse(documents, model, n_process=workers)


@flow(name="kommunnlp-ingest", log_prints=False)
def ingest_flow(
    input_dir: str,
    output_dir: str = "processed",
    model: str | None = None,
    force: bool = False,
    strict: bool = False,
    workers: int = 1,
    batch_size: int = DEFAULT_BATCH_SIZE,
    max_bytes: int = DEFAULT_MAX_BYTES,
    wait_seconds: float = 0.0,
    show_progress: bool = False,
    analysis_window: int = 0,
) -> dict:
    """Ingest every file under input_dir into the tables under output_dir; returns the run summary.

    analysis_window: batches analysed at once; 0 chooses (2 with worker processes, so they never wait
    between batches; 1 otherwise).
    """
    logger = get_run_logger()
    store = OutputStore(Path(output_dir))
    labels.load_all()  # a broken taxonomy file stops the run here, before any work
    curation = load_curation(curation_path(Path(output_dir)))
    model_ref = resolve_model(model)
    label = model_label_of(model_ref)
    summary = RunSummary(new_run_id(), str(input_dir), dt.datetime.now(dt.UTC), label)
    summary.curation_sha256 = curation.sha256
    with store.locked(wait_seconds):
        summary.notes = store.prepare()
        for note in summary.notes:
            logger.warning("recovery: %s", note)
        items = discover(Path(input_dir))
        previous = {path: row["file_sha256"] for path, row in store.latest_files().items()}
        known = store.doc_ids()
        logger.info("discover: %d files under %s; %d inputs known from earlier runs", len(items), input_dir,
                    len(previous))
        batches = [items[i : i + batch_size] for i in range(0, len(items), batch_size)]
        try:
            with _progress(show_progress, len(items)) as advance:
                window = analysis_window or (2 if workers > 1 else 1)
                for number, settled, analysed in _pipelined(batches, previous, known, summary.run_id, model_ref,
                                                            workers, max_bytes, force, window):
                    tables = batch_tables(settled, analysed, summary.run_id, label, curation)
                    store.commit(f"{summary.run_id}-b{number:05d}", tables)
                    summary.add(settled)
                    logger.info("batch %d/%d: %s", number, len(batches), dict(settled.counts))
                    advance(len(batches[number - 1]))
        finally:
            worker_pool.shutdown()
        if _curation_changed(store, curation):
            logger.info("curation: applying %d rules to the existing entity and role rows", len(curation.rules))
            reapply_curation(store, curation, summary.run_id)
        summary.finished_at = dt.datetime.now(dt.UTC)
        store.commit(f"{summary.run_id}-run", {"runs": summary.runs_row()})
        integrity = check(Path(output_dir))
    result = summary.as_dict()
    result["integrity_ok"] = integrity.ok
    if not integrity.ok:
        logger.error("integrity check failed:\n%s", integrity.format())
    logger.info("run %s: %s", summary.run_id, {k: v for k, v in result.items() if k not in ("quarantine", "notes")})
    if summary.counts["quarantined"]:
        logger.warning("%d inputs quarantined; see the quarantine table", summary.counts["quarantined"])
        if strict:
            raise StrictModeError(f"{summary.counts['quarantined']} inputs quarantined (--strict)")
    return result


def _pipelined(batches, previous, known, run_id, model, workers, max_bytes, force, analysis_window):
    """Yield (number, settled, analysed) in batch order while later batches are read and analysed.

    Reading runs ahead of analysis; settling (dedupe against every earlier
    document) stays in order here in the flow, so its result does not depend on
    which worker finishes first. `analysis_window` batches are analysed at once:
    1 on one machine (each analysis already uses `workers` processes), more on
    a Dask cluster. Only the flow writes, so outputs stay consistent.
    """
    pending_batches = iter(enumerate(batches, 1))
    reads: deque = deque()
    analyses: deque = deque()

    def read_ahead() -> None:
        while len(reads) < analysis_window + 1:
            following = next(pending_batches, None)
            if following is None:
                return
            number, batch = following
            reads.append((number, read_batch.submit(_unvisited(batch), _unvisited(_known_for(batch, previous)),
                                                    max_bytes, force, workers)))

    read_ahead()
    while reads or analyses:
        if reads and len(analyses) < analysis_window:
            number, read = reads.popleft()
            settled = settle(read.result(), known, run_id)
            documents = settled.documents
            analysis = analyse_batch.submit(_unvisited(documents), model, workers) if documents else None
            analyses.append((number, settled, analysis))
            read_ahead()
            continue
        number, settled, analysis = analyses.popleft()
        yield number, settled, analysis.result() if analysis is not None else Analysed()


def _unvisited(value):
    """The value wrapped so that Prefect does not walk every item of it looking for futures.

    Only for Prefect's own thread-pool runner: prefect-dask hands the wrapper
    to the task unopened, so on a Dask cluster the value goes as it is.
    """
    context = FlowRunContext.get()
    return quote(value) if context and isinstance(context.task_runner, ThreadPoolTaskRunner) else value


def _curation_changed(store: OutputStore, curation: Curation) -> bool:
    runs = store.read("runs", ["run_id", "curation_sha256"]).to_pylist()
    last = max(runs, key=lambda r: r["run_id"])["curation_sha256"] if runs else None
    return curation.sha256 != last and bool(curation.rules or last)


def reapply_curation(store: OutputStore, curation: Curation, run_id: str) -> None:
    """Rewrite the entity and role tables with the curation applied to what was extracted."""
    tables = {
        "entities": to_arrow("entities", apply_to_entities(store.read("entities").to_pylist(), curation)),
        "person_roles": to_arrow("person_roles", apply_to_roles(store.read("person_roles").to_pylist(), curation)),
    }
    store.commit(f"{run_id}-curation", tables, replace=("entities", "person_roles"))


def _known_for(batch: list[Discovered], previous: dict[str, str]) -> dict[str, str]:
    """The earlier hashes a batch needs: its files, and each line of its JSONL files."""
    wanted = {d.source_path for d in batch}
    jsonl = tuple(f"{d.source_path}#" for d in batch if d.kind == "jsonl")
    return {p: h for p, h in previous.items() if p in wanted or (jsonl and p.startswith(jsonl))}


class _progress:
    """A rich progress bar on stderr for interactive runs; a no-op otherwise."""

    def __init__(self, enabled: bool, total: int):
        self.enabled = enabled
        self.total = total
        self.bar = None

    def __enter__(self):
        if not self.enabled:
            return lambda n: None
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        self.bar = Progress(TextColumn("ingest"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                            transient=True)
        self.bar.start()
        task_id = self.bar.add_task("files", total=self.total)
        return lambda n: self.bar.advance(task_id, n)

    def __exit__(self, *exc):
        if self.bar is not None:
            self.bar.stop()
        return False
