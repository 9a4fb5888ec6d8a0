"""The ingest flow: raw files → Parquet tables, batch by batch, crash-safe and incremental.

The steps are `pipeline.runs.Run`'s; the flow runs reading and analysis as
Prefect tasks, a batch or two ahead of the batch being written, so Prefect's
UI shows each batch and a Dask cluster can take the work. `run_command` is
what `kommunnlp run` does around the flow: start Prefect's API and the worker
processes early, so their start-up overlaps.
"""

from __future__ import annotations

from collections import deque

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.context import FlowRunContext
from prefect.task_runners import ThreadPoolTaskRunner
from prefect.utilities.annotations import quote

from flows.fetch import fetch_before_ingest, record_fetches
from pipeline import UserError, analysis, runs
from pipeline import workers as worker_pool
from pipeline.analysis import Analysed
from pipeline.ingest.discover import Discovered
from pipeline.ingest.read import DEFAULT_MAX_BYTES, DocumentRecord, Outcome
from pipeline.runs import DEFAULT_BATCH_SIZE, Run, RunOptions


class StrictModeError(UserError, RuntimeError):
    """--strict and some inputs were quarantined (the outputs are written all the same)."""


@task(name="read-batch", retries=2, retry_delay_seconds=1, retry_condition_fn=lambda task, run, state: not isinstance(
    state.result(raise_on_failure=False), runs.InputNotVisible), cache_policy=NO_CACHE, persist_result=False)
def read_task(root: str, batch: list[Discovered], previous: dict[str, str], max_bytes: int, force: bool,
              workers: int) -> list[Outcome]:
    return runs.read_batch(root, batch, previous, max_bytes, force, workers)


@task(name="analyse-batch", cache_policy=NO_CACHE, persist_result=False)
def analyse_task(documents: list[DocumentRecord], model: str, workers: int, taxonomies: str | None) -> Analysed:
    return analysis.analyse(documents, model, workers, taxonomies)


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
    taxonomies: str | None = None,
    sources: str | None = None,
) -> dict:
    """Ingest every file under input_dir into the tables under output_dir; returns the run summary.

    sources: a sources file; the flow first fetches what it lists into input_dir (as WARC files).

    taxonomies: a folder of taxonomy files (default: the shipped ones), each its own label table.
    analysis_window: batches analysed at once; 0 chooses (2 with worker processes, so they never wait
    between batches; 1 otherwise).
    """
    options = RunOptions(input_dir, output_dir, model, force, workers, batch_size, max_bytes, wait_seconds,
                         taxonomies)
    logger = get_run_logger()
    job = Run(options, logger)
    flow_run = FlowRunContext.get().flow_run
    with job.store.locked(wait_seconds, run_id=job.summary.run_id, flow_run_id=str(flow_run.id)) as killed:
        if killed:
            mark_crashed(killed, logger)
        fetched = fetch_before_ingest(job, sources) if sources else None
        batches = job.start()
        if fetched is not None:
            record_fetches(job, fetched)
        try:
            with _progress(show_progress, sum(len(b) for b in batches)) as advance:
                window = analysis_window or (2 if workers > 1 else 1)
                for number, settled, analysed in _pipelined(job, batches, window):
                    job.commit(number, settled, analysed)
                    advance(len(batches[number - 1]))
        finally:
            worker_pool.shutdown()
        result = job.finish()
    if fetched is not None:
        result["fetch"] = fetched.as_dict()
    if strict and result["quarantined"]:
        raise StrictModeError(f"{result['quarantined']} inputs quarantined (--strict)")
    return result


def mark_crashed(holder: dict, logger) -> None:
    """The run that held the output folder was killed (its lock record was left behind): say so, and mark its
    flow run Crashed in Prefect, which cannot notice by itself when heartbeats are off."""
    from prefect.client.orchestration import get_client
    from prefect.exceptions import ObjectNotFound
    from prefect.states import Crashed

    logger.warning("the previous run %s (pid %s on %s, since %s) was killed before it finished; its complete "
                   "batches are kept and this run does the rest", holder.get("run_id"), holder.get("pid"),
                   holder.get("host"), holder.get("since"))
    if not holder.get("flow_run_id"):
        return
    with get_client(sync_client=True) as client:
        try:
            flow_run = client.read_flow_run(holder["flow_run_id"])
        except ObjectNotFound:  # recorded by another Prefect server
            return
        if flow_run.state is not None and not flow_run.state.is_final():
            client.set_flow_run_state(flow_run.id, Crashed(message=f"process {holder.get('pid')} on "
                                                                  f"{holder.get('host')} ended without finishing "
                                                                  "(found by the next run)"), force=True)


def _pipelined(job: Run, batches: list[list[Discovered]], analysis_window: int):
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
            reads.append((number, read_task.submit(*map(_unvisited, job.read_arguments(batch)))))

    read_ahead()
    while reads or analyses:
        if reads and len(analyses) < analysis_window:
            number, read = reads.popleft()
            settled = job.settle(read.result())
            documents = settled.documents
            analysed = analyse_task.submit(*map(_unvisited, job.analyse_arguments(documents))) if documents else None
            analyses.append((number, settled, analysed))
            read_ahead()
            continue
        number, settled, analysed = analyses.popleft()
        yield number, settled, analysed.result() if analysed is not None else Analysed()


def _unvisited(value):
    """The value wrapped so that Prefect does not walk every item of it looking for futures.

    Only for Prefect's own thread-pool runner: prefect-dask hands the wrapper
    to the task unopened, so on a Dask cluster the value goes as it is.
    """
    context = FlowRunContext.get()
    return quote(value) if context and isinstance(context.task_runner, ThreadPoolTaskRunner) else value


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
