"""What `kommunnlp run` does around the ingest flow: start Prefect's API and the workers first.

Prefect's temporary API server and the worker processes each take seconds to
start. They are started here before Prefect or spaCy is imported, so their
start-up overlaps the command's own; only then is the flow imported and run
against that server (or a configured one: `PREFECT_API_URL`).
"""

from __future__ import annotations

import sys
from pathlib import Path

from pipeline import workers as worker_pool
from pipeline.runs import RunOptions


def run_command(options: RunOptions, *, dask_address: str | None = None, show_progress: bool = False,
                sources: str | None = None) -> dict:
    """Run the ingest flow as the command does (fetching first with `sources`); returns the run's summary."""
    from flows.prefect_api import early_api, unless_configured

    server = early_api()  # first, so that Prefect's start-up overlaps everything below
    try:
        if not dask_address:
            warm_workers(options)  # next, so that the model loads meanwhile too
        return _flow_run(options, unless_configured(server), dask_address, show_progress, sources)
    finally:
        worker_pool.shutdown()


def _flow_run(options: RunOptions, server, dask_address: str | None, show_progress: bool, sources: str | None
              ) -> dict:
    from flows.ingest import ingest_flow
    from flows.prefect_api import NOT_IN_A_UI, using

    flow, window = ingest_flow, 0
    if dask_address:
        from prefect_dask import DaskTaskRunner

        flow, window = ingest_flow.with_options(task_runner=DaskTaskRunner(address=dask_address)), 4
    if server is not None:
        print(NOT_IN_A_UI, file=sys.stderr)
    with using(server):
        return flow(
            input_dir=options.input_dir, output_dir=options.output_dir, model=options.model, force=options.force,
            strict=False, workers=options.workers, batch_size=options.batch_size, max_bytes=options.max_bytes,
            wait_seconds=options.wait_seconds, show_progress=show_progress, analysis_window=window,
            taxonomies=options.taxonomies, sources=sources,
        )


def warm_workers(options: RunOptions) -> None:
    """Load the model in the worker processes while Prefect starts, when there is new input for them.

    Only a head start: "new" means a file the outputs have never recorded, so
    a run over unchanged input does not load a model it will not use. The
    flow works the same without it.
    """
    if options.workers <= 1:
        return
    import pyarrow as pa

    from pipeline.ingest.discover import discover
    from pipeline.store.folder import OutputStore

    try:
        known = set(OutputStore(Path(options.output_dir)).read("files", ["source_path"]).column(0).to_pylist())
        unseen = options.force or any(d.source_path not in known for d in discover(Path(options.input_dir)) if d.kind)
    except (OSError, pa.ArrowException):
        return  # the flow reports these properly
    if unseen:
        worker_pool.warm(options.workers, options.model)  # the workers find the model: spaCy is not imported here
