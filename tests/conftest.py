"""Shared fixtures: the Prefect test harness, paths to ../shared, and helpers to run the flow and read tables."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import duckdb
import pytest

from pipeline.resources import shared_dir

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "raw" / "examples"
SHARED = shared_dir()
DEV_CORPUS = SHARED / "corpus" / "dev"


def needs_shared(*parts: str) -> Path:
    """Path inside ../shared, or skip the test with the reason (a user's clone has no ../shared)."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"needs {path} (the project's shared data; CI has it, a fresh clone does not)")
    return path


@pytest.fixture(scope="session", autouse=True)
def prefect_api():
    """One temporary Prefect API for the whole session; flows run against it for real."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=60):
        yield


@pytest.fixture
def dev_corpus(tmp_path: Path) -> Path:
    """A copy of the 33 dev documents without gold.jsonl (which is not a document)."""
    source = needs_shared("corpus", "dev")
    target = tmp_path / "dev"
    target.mkdir()
    for path in source.iterdir():
        if path.suffix in (".md", ".markdown"):
            shutil.copy(path, target / path.name)
    return target


def run(input_dir: Path, output_dir: Path, **kwargs) -> dict:
    from flows.ingest import ingest_flow

    return ingest_flow(input_dir=str(input_dir), output_dir=str(output_dir), **kwargs)


def sql(output_dir: Path, query: str) -> list[tuple]:
    """Run SQL with each table as a DuckDB view over its Parquet files."""
    from pipeline.store.folder import OutputStore

    con = duckdb.connect()
    for name in OutputStore(output_dir).tables:
        con.execute(f"CREATE VIEW {name} AS SELECT * FROM read_parquet('{output_dir}/{name}/*.parquet')")
    return con.execute(query).fetchall()


@pytest.fixture(scope="session")
def nlp():
    """The product's Swedish pipeline (sv_core_news_sm if installed, else the shipped model)."""
    import pipeline

    return pipeline.load_pipeline()


def extract(nlp, text: str) -> dict[str, list[dict]]:
    """Run the real pipeline and extraction over one Swedish text; rows as dicts."""
    from dataclasses import asdict

    from pipeline.extract.document import extract_document
    from pipeline.extract.labels import load_taxonomies
    from pipeline.ingest.read import DocumentRecord
    from pipeline.nlp.lexicons import Lexicons
    from pipeline.nlp.text import chunks

    document = DocumentRecord("test-doc", "test.txt", None, None, "sv", 1.0, text, "txt", "utf-8")
    found = extract_document(document, [(offset, nlp(piece)) for offset, piece in chunks(text)], Lexicons.of(nlp),
                             load_taxonomies())
    rows = {table: [asdict(row) for row in table_rows] for table, table_rows in found.items()}
    for row in rows["entities"]:  # every offset slices the text to the mention
        assert text[row["start_char"] : row["end_char"]] == row["text"]
    return rows


def entities(nlp, text: str, label: str | None = None) -> list[tuple]:
    rows = extract(nlp, text)["entities"]
    return [(r["label"], r["text"], r["normalized"], r["kb_id"]) for r in rows if label in (None, r["label"])]


PLAIN_INSTALL = pytest.StashKey()


@pytest.hookimpl(trylast=True)  # after -m and -k have deselected: only when the test will run
def pytest_collection_modifyitems(session, config, items):
    """Begin the plain install of tests/flows/test_plain_install.py now, in the background (tests/plain_install.py)."""
    if any(item.path.name == "test_plain_install.py" for item in items):
        from plain_install import start

        config.stash[PLAIN_INSTALL] = start(REPO)
