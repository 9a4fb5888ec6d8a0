"""Fetching in Prefect: the `fetch-sources` task, the `kommunnlp-fetch` flow, and the ingest flow's first step.

`kommunnlp fetch SOURCES --raw DIR` runs `fetch_flow`; `kommunnlp run --sources
SOURCES --raw DIR` runs the ingest flow with `sources`, which fetches into DIR
(`fetch_before_ingest`) and then ingests it in the same flow run, the fetch's
rows going to the `fetches` table under the run's id. The work is
`pipeline.fetch.fetch_sources`'s.
"""

from __future__ import annotations

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

from pipeline.fetch import FetchReport, fetch_sources
from pipeline.runs import Run, new_run_id
from pipeline.store.schemas import to_arrow


@task(name="fetch-sources", cache_policy=NO_CACHE, persist_result=False)
def fetch_task(sources: str, raw_dir: str, run_id: str, wait_seconds: float = 0.0) -> FetchReport:
    return fetch_sources(sources, raw_dir, run_id, get_run_logger(), wait_seconds)


@flow(name="kommunnlp-fetch", log_prints=False)
def fetch_flow(sources: str, raw_dir: str, wait_seconds: float = 0.0) -> dict:
    """Fetch what the sources file lists into WARC files under raw_dir; returns the fetch's summary."""
    return fetch_task(sources, raw_dir, new_run_id(), wait_seconds).as_dict()


def fetch_before_ingest(job: Run, sources: str) -> FetchReport:
    """Fetch into the run's input folder (before it is discovered), holding the output folder's lock."""
    return fetch_task(sources, job.options.input_dir, job.summary.run_id, job.options.wait_seconds)


def record_fetches(job: Run, report: FetchReport) -> None:
    """The fetch's rows into `fetches`, committed before the batches: a killed run keeps them."""
    job.store.commit(f"{job.summary.run_id}-fetch", {"fetches": to_arrow(job.tables["fetches"], report.rows)})
