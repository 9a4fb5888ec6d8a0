"""One run's bookkeeping, batch by batch: dedupe, rows for every table, and the run summary.

The flow in `flows/ingest.py` calls these between its tasks; they hold no
Prefect and no I/O, so the same logic is testable and reusable.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from collections import Counter
from dataclasses import dataclass, field

import pyarrow as pa

from pipeline import PIPELINE_VERSION
from pipeline.ingest.read import DocumentRecord, Outcome, metadata_json
from pipeline.outputs.curation import Curation, apply_to_entities, apply_to_roles
from pipeline.store.schemas import DOCUMENT_TABLES, to_arrow

SWEDISH = "sv"


def new_run_id(now: dt.datetime | None = None) -> str:
    """Sortable and unique: UTC start time plus a random suffix."""
    now = now or dt.datetime.now(dt.UTC)
    return f"{now:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


@dataclass
class Settled:
    """A batch after dedupe: the new documents to analyse and the rows that record every input."""

    documents: list[DocumentRecord] = field(default_factory=list)
    files: list[dict] = field(default_factory=list)
    quarantine: list[dict] = field(default_factory=list)
    counts: Counter = field(default_factory=Counter)


def settle(outcomes: list[Outcome], known_doc_ids: set[str], run_id: str) -> Settled:
    """Sort each outcome into new / duplicate / unchanged / quarantined; updates known_doc_ids."""
    settled = Settled()
    for outcome in outcomes:
        settled.counts["files"] += 1
        if outcome.status == "unchanged":
            settled.counts["unchanged"] += 1
            continue
        doc_id = None
        status = outcome.status
        if outcome.document is not None:
            doc_id = outcome.document.doc_id
            if doc_id in known_doc_ids:
                status = "duplicate"
            else:
                known_doc_ids.add(doc_id)
                settled.documents.append(outcome.document)
                status = "document"
        if status in ("quarantined", "skipped"):
            settled.quarantine.append(
                {"run_id": run_id, "source_path": outcome.source_path, "stage": outcome.stage,
                 "reason": outcome.reason,
                 "file_sha256": None if outcome.file_sha256.startswith("!") else outcome.file_sha256}
            )
        settled.counts[{"document": "new", "duplicate": "duplicates"}.get(status, "quarantined")] += 1
        settled.files.append(
            {"source_path": outcome.source_path, "file_sha256": outcome.file_sha256,
             "size_bytes": outcome.size_bytes, "status": status, "doc_id": doc_id, "run_id": run_id}
        )
    return settled


@dataclass
class Analysed:
    """What the NLP stage returns for a batch: token counts and the rows of the derived tables."""

    n_tokens: dict[str, int] = field(default_factory=dict)
    rows: dict[str, list[dict]] = field(default_factory=dict)


def batch_tables(
    settled: Settled, analysed: Analysed, run_id: str, model: str, curation: Curation | None = None
) -> dict[str, pa.Table]:
    """Every table's rows for one batch, curated and provenance stamped, as schema-exact Arrow tables."""
    provenance = {"run_id": run_id, "pipeline_version": PIPELINE_VERSION, "model": model}
    rows: dict[str, list[dict]] = {name: [] for name in DOCUMENT_TABLES}
    for doc in settled.documents:
        rows["documents"].append(
            {"doc_id": doc.doc_id, "source_path": doc.source_path, "title": doc.title, "published": doc.published,
             "language": doc.language, "language_prob": doc.language_prob, "n_chars": doc.n_chars,
             "n_tokens": analysed.n_tokens[doc.doc_id], "text": doc.text, "source_format": doc.source_format,
             "encoding": doc.encoding, "metadata_json": metadata_json(doc), **provenance}
        )
    for table, table_rows in analysed.rows.items():
        rows[table].extend({**row, **provenance} for row in table_rows)
    if curation is not None:
        rows["entities"] = apply_to_entities(rows["entities"], curation)
        rows["person_roles"] = apply_to_roles(rows["person_roles"], curation)
    tables = {name: to_arrow(name, table_rows) for name, table_rows in rows.items()}
    tables["files"] = to_arrow("files", settled.files)
    tables["quarantine"] = to_arrow("quarantine", settled.quarantine)
    return tables


@dataclass
class RunSummary:
    run_id: str
    input_root: str
    started_at: dt.datetime
    model: str
    counts: Counter = field(default_factory=Counter)
    languages: Counter = field(default_factory=Counter)
    quarantined: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    finished_at: dt.datetime | None = None
    curation_sha256: str | None = None

    def add(self, settled: Settled) -> None:
        self.counts.update(settled.counts)
        self.languages.update(d.language for d in settled.documents)
        self.quarantined.extend(settled.quarantine)

    @property
    def seconds(self) -> float:
        end = self.finished_at or dt.datetime.now(dt.UTC)
        return round((end - self.started_at).total_seconds(), 3)

    def runs_row(self) -> pa.Table:
        return to_arrow("runs", [{
            "run_id": self.run_id, "started_at": self.started_at, "finished_at": self.finished_at,
            "input_root": self.input_root, "n_files": self.counts["files"], "n_new": self.counts["new"],
            "n_unchanged": self.counts["unchanged"], "n_duplicates": self.counts["duplicates"],
            "n_quarantined": self.counts["quarantined"],
            "languages_json": json.dumps(dict(sorted(self.languages.items()))),
            "seconds": self.seconds, "pipeline_version": PIPELINE_VERSION, "model": self.model,
            "curation_sha256": self.curation_sha256,
        }])

    def as_dict(self) -> dict:
        return {
            "run_id": self.run_id, "files": self.counts["files"], "new": self.counts["new"],
            "unchanged": self.counts["unchanged"], "duplicates": self.counts["duplicates"],
            "quarantined": self.counts["quarantined"], "languages": dict(sorted(self.languages.items())),
            "seconds": self.seconds, "quarantine": self.quarantined, "notes": self.notes, "model": self.model,
        }
