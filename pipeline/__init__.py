"""kommunnlp's library: Swedish municipal news → structured tables. Pure functions and spaCy components; no Prefect.

The public API, what the command, the flows, the notebooks and a researcher's script use:

    import pipeline
    nlp = pipeline.load_pipeline()                      # the Swedish spaCy pipeline with kommunnlp's components
    summary = pipeline.run("raw", "processed")          # a whole run, without Prefect (the command uses a flow)
    con = pipeline.connect("processed")                 # DuckDB, a view per table
    columns, rows = pipeline.query("SELECT …", "processed")
    report = pipeline.check("processed"); report.ok
    pipeline.export_review("processed", "review"); pipeline.import_review(["review/….xlsx"], "processed")
    html = pipeline.report("processed")
    scores = pipeline.evaluate("gold.jsonl", "processed")

The names load lazily, so `import pipeline` stays cheap for the command.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    PIPELINE_VERSION = version("kommunnlp")
except PackageNotFoundError:  # running from a source tree that is not installed
    PIPELINE_VERSION = "0.0.0+source"


class UserError(Exception):
    """Something the user can put right (configuration, input, the output folder): the command prints
    the message on one line and exits 1, without a traceback."""


__all__ = ["PIPELINE_VERSION", "UserError", "check", "connect", "evaluate", "export_review", "import_review",
           "load_pipeline", "query", "report", "run"]


def load_pipeline(model: str | None = None):
    """The Swedish spaCy pipeline with kommunnlp's components; `None`: sv_core_news_sm when installed, else
    the model kommunnlp ships. Loaded once per process."""
    from pipeline.nlp.model import load_pipeline as load
    from pipeline.nlp.model import resolve_model

    return load(resolve_model(model))


def run(input_dir: str, output_dir: str = "processed", **options) -> dict:
    """Ingest every file under input_dir into the tables under output_dir, in this process; the summary.

    options: model, force, workers, batch_size, max_bytes, wait_seconds, taxonomies (`pipeline.runs.RunOptions`).
    """
    from pipeline.runs import RunOptions
    from pipeline.runs import run as run_here

    return run_here(RunOptions(str(input_dir), str(output_dir), **options))


def connect(processed: str = "processed"):
    """An in-memory DuckDB connection with a read-only view per output table."""
    from pipeline.store.query import connect as duck

    return duck(processed)


def query(sql: str, processed: str = "processed"):
    """One read-only SELECT over the outputs: (column names, rows)."""
    from pipeline.store.query import run_query

    return run_query(sql, processed)


def check(processed: str = "processed"):
    """Verify the outputs are whole and consistent: a report with `.ok` and `.format()`."""
    from pathlib import Path

    from pipeline.store.check import check as run_check

    return run_check(Path(processed))


def export_review(processed: str = "processed", out: str = "review", **filters):
    """Write a review workbook (.xlsx) for reviewers: (path, entities, roles). filters: run_id, labels, max_score."""
    from pathlib import Path

    from pipeline.outputs.review import export_workbook
    from pipeline.store.folder import OutputStore

    return export_workbook(OutputStore(Path(processed)), Path(out), **filters)


def import_review(workbooks: list[str], processed: str = "processed", reviewer: str | None = None,
                  wait_seconds: float = 0.0):
    """Read reviewers' verdicts into `reviews` and the curation rules the next run applies: (added, skipped)."""
    from pathlib import Path

    from pipeline.outputs.review import import_workbooks
    from pipeline.store.folder import OutputStore

    store = OutputStore(Path(processed))
    with store.locked(wait_seconds):
        return import_workbooks(store, [Path(w) for w in workbooks], reviewer)


def report(processed: str = "processed", run_id: str | None = None, max_documents: int = 200) -> str:
    """A self-contained HTML page of the outputs as a whole (or of one run); max_documents 0: all documents."""
    from pathlib import Path

    from pipeline.outputs.report import render_report

    return render_report(Path(processed), run_id, max_documents)


def evaluate(gold: str, processed: str = "processed"):
    """Scores of the outputs against a gold file (annotation guidelines' format): name → Score."""
    from pathlib import Path

    from pipeline.outputs.evaluate import evaluate as score

    return score(Path(gold), Path(processed))
