"""`kommunnlp check`: verify the outputs are whole and consistent.

Checks every part file against the schema module, that `doc_id` is unique in
`documents`, that every other row references a document, that offsets lie
inside the text, that no row is duplicated, and that each run accounts for its
inputs (files = new + reprocessed + unchanged + duplicates + quarantined), and
that every fetch has a known outcome and a reason when it failed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pyarrow.parquet as pq

from pipeline.store.folder import OutputStore
from pipeline.store.query import connect
from pipeline.store.schemas import derived_tables, label_tables

# What makes a row unique in each table (and in every label table: LABEL_KEY).
ROW_KEYS = {
    "documents": "doc_id",
    "entities": "doc_id, label, start_char, end_char",
    "person_roles": "doc_id, person, role, start_char",
    "partnerships": "doc_id, swedish_kb_id, partner",
    "runs": "run_id",
    "fetches": "run_id, url",
}
LABEL_KEY = "doc_id, label"


@dataclass
class Report:
    checks: list[tuple[str, int]] = field(default_factory=list)  # (what, violations)

    def add(self, what: str, violations: int) -> None:
        self.checks.append((what, violations))

    @property
    def ok(self) -> bool:
        return all(n == 0 for _, n in self.checks)

    def format(self) -> str:
        lines = [f"{'ok' if n == 0 else 'FAIL':>4}  {what}" + (f": {n} violations" if n else "")
                 for what, n in self.checks]
        lines.append("all checks passed" if self.ok else "integrity check FAILED")
        return "\n".join(lines)


def check(processed: Path) -> Report:
    report = Report()
    store = OutputStore(processed)
    bad_parts = 0
    tables = store.tables
    for name, table in tables.items():
        for part in store.parts(name):
            try:
                if pq.read_schema(part) != table.schema:
                    bad_parts += 1
            except Exception:
                bad_parts += 1
    report.add("every part file is readable and matches the schema module", bad_parts)
    if bad_parts:
        return report
    con = connect(processed)
    one = lambda sql: con.execute(sql).fetchall()[0][0]  # noqa: E731
    report.add("doc_id is unique in documents", one(
        "SELECT count(*) - count(DISTINCT doc_id) FROM documents"))
    for name in derived_tables(tables):
        report.add(f"{name}: every row references a document", one(
            f"SELECT count(*) FROM {name} WHERE doc_id NOT IN (SELECT doc_id FROM documents)"))
    for name in derived_tables(tables):
        # each text's length once (it counts characters from the start): per row made a long document quadratic
        report.add(f"{name}: offsets lie inside the document text", one(
            f"WITH lengths AS MATERIALIZED (SELECT doc_id, length(text) AS n FROM documents) "
            f"SELECT count(*) FROM {name} t JOIN lengths d USING (doc_id) "
            "WHERE t.start_char < 0 OR t.end_char < t.start_char OR t.end_char > d.n"))
    report.add("entities: text equals the slice of the document text", _slices_differing(con))
    keys = {**ROW_KEYS, **dict.fromkeys(label_tables(tables), LABEL_KEY)}
    for name, key in keys.items():
        report.add(f"{name}: no duplicate rows ({key})", one(
            f"SELECT count(*) FROM (SELECT {key} FROM {name} GROUP BY ALL HAVING count(*) > 1)"))
    report.add("runs: files = new + reprocessed + unchanged + duplicates + quarantined", one(
        "SELECT count(*) FROM runs "
        "WHERE n_files <> n_new + n_reprocessed + n_unchanged + n_duplicates + n_quarantined"))
    report.add("files: every duplicate points at a document", one(
        "SELECT count(*) FROM files WHERE status IN ('document', 'duplicate') "
        "AND doc_id NOT IN (SELECT doc_id FROM documents)"))
    report.add("fetches: outcome is one of fetched, not_modified, failed, disallowed, skipped", one(
        "SELECT count(*) FROM fetches WHERE outcome NOT IN "
        "('fetched', 'not_modified', 'failed', 'disallowed', 'skipped')"))
    report.add("fetches: every failed, disallowed or skipped URL has a reason", one(
        "SELECT count(*) FROM fetches WHERE outcome IN ('failed', 'disallowed', 'skipped') AND reason IS NULL"))
    return report


def _slices_differing(con) -> int:
    """Entities whose text is not `documents.text[start_char:end_char]`.

    Compared in Python, document by document: SQL's `substr` counts characters from the start of the
    text for every entity, which made a long document dense with names quadratic. Both sides stream in
    doc_id order (a merge join, each on its own cursor), so memory stays bounded by the largest document.
    """
    documents = _rows(con.cursor(), "SELECT doc_id, text FROM documents WHERE doc_id IN (SELECT doc_id FROM entities) "
                           "ORDER BY doc_id")
    entities = _rows(con.cursor(), "SELECT doc_id, start_char, end_char, text FROM entities ORDER BY doc_id")
    differing = 0
    document = next(documents, None)
    for doc_id, start, end, entity_text in entities:
        while document is not None and document[0] < doc_id:
            document = next(documents, None)
        if document is None or document[0] != doc_id or document[1][start:end] != entity_text:
            differing += 1  # (an entity without its document is counted here and by its own check)
    return differing


def _rows(con, sql: str, batch_rows: int = 20_000):
    """The rows of a query as tuples, fetched a batch at a time."""
    reader = con.sql(sql).to_arrow_reader(batch_rows)
    for batch in reader:
        yield from zip(*(column.to_pylist() for column in batch.columns), strict=True)
