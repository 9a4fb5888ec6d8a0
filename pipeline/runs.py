"""One ingest run, step by step: discover, read, dedupe, analyse, commit each batch, then finish.

`Run` holds a run's state and does each step; the Prefect flow
(`flows/ingest.py`) calls the steps as tasks (reading and analysing batches
ahead), `pipeline.run()` calls them in turn without Prefect. The bookkeeping
between steps (`settle`, `batch_tables`, `RunSummary`) is pure: no I/O.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import secrets
import socket
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import pyarrow as pa

from pipeline import PIPELINE_VERSION, UserError, analysis
from pipeline import workers as worker_pool
from pipeline.analysis import Analysed
from pipeline.extract.labels import Taxonomy, load_taxonomies
from pipeline.ingest.discover import Discovered, discover
from pipeline.ingest.formats import RECORD_FORMATS
from pipeline.ingest.read import DEFAULT_MAX_BYTES, DocumentRecord, Outcome, metadata_json, read_each, read_inputs
from pipeline.nlp.model import model_fingerprint, model_label_of, resolve_model
from pipeline.outputs.curation import Curation, apply_to_entities, apply_to_roles, curation_path, load_curation
from pipeline.resources import DATA_DIR
from pipeline.store.check import check
from pipeline.store.folder import OutputStore
from pipeline.store.schemas import (
    PROVENANCE,
    DocumentRow,
    FileRow,
    QuarantineRow,
    RunRow,
    Table,
    document_tables,
    to_arrow,
)


def new_run_id(now: dt.datetime | None = None) -> str:
    """Sortable and unique: UTC start time plus a random suffix."""
    now = now or dt.datetime.now(dt.UTC)
    return f"{now:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


@dataclass
class Settled:
    """A batch after dedupe: the new documents to analyse and the rows that record every input."""

    documents: list[DocumentRecord] = field(default_factory=list)
    files: list[FileRow] = field(default_factory=list)
    quarantine: list[QuarantineRow] = field(default_factory=list)
    counts: Counter = field(default_factory=Counter)
    reprocessed: dict[str, str] = field(default_factory=dict)  # known documents analysed again → why


def settle(outcomes: list[Outcome], known_doc_ids: set[str], run_id: str,
           stale: dict[str, str] | None = None) -> Settled:
    """Sort each outcome into new / reprocessed / duplicate / unchanged / quarantined; updates known_doc_ids.

    stale: known documents whose rows are out of date (→ why); the first input that holds one is analysed
    again (it leaves `stale`), later ones are duplicates as usual.
    """
    settled = Settled()
    stale = {} if stale is None else stale
    for outcome in outcomes:
        settled.counts["files"] += 1
        if outcome.status == "unchanged":
            settled.counts["unchanged"] += 1
            continue
        doc_id = None
        status = outcome.status
        if outcome.document is not None:
            doc_id = outcome.document.doc_id
            if doc_id in stale:
                settled.reprocessed[doc_id] = stale.pop(doc_id)
                settled.documents.append(outcome.document)
                status = "document"
            elif doc_id in known_doc_ids:
                status = "duplicate"
            else:
                known_doc_ids.add(doc_id)
                settled.documents.append(outcome.document)
                status = "document"
        if status in ("quarantined", "skipped"):
            settled.quarantine.append(QuarantineRow(
                run_id=run_id, source_path=outcome.source_path, stage=outcome.stage, reason=outcome.reason,
                file_sha256=None if outcome.file_sha256.startswith("!") else outcome.file_sha256,
            ))
        kind = "reprocessed" if doc_id in settled.reprocessed else "new"
        settled.counts[{"document": kind, "duplicate": "duplicates"}.get(status, "quarantined")] += 1
        settled.files.append(FileRow(
            source_path=outcome.source_path, file_sha256=outcome.file_sha256, size_bytes=outcome.size_bytes,
            status=status, doc_id=doc_id, run_id=run_id,
        ))
    return settled


def batch_tables(
    settled: Settled, analysed: Analysed, run_id: str, model: str, tables: dict[str, Table],
    curation: Curation | None = None, fingerprint_of: Callable[[str], str | None] = lambda doc_id: None,
) -> dict[str, pa.Table]:
    """Every table's rows for one batch, curated and provenance stamped, as schema-exact Arrow tables.

    tables: the output folder's tables (with one label table per taxonomy of the run);
    fingerprint_of: doc_id → what made its rows (`documents.fingerprint`).
    """
    provenance = {"run_id": run_id, "pipeline_version": PIPELINE_VERSION, "model": model}
    rows: dict[str, list] = {name: [] for name in document_tables(tables)}
    for doc in settled.documents:
        rows["documents"].append(DocumentRow(
            doc_id=doc.doc_id, source_path=doc.source_path, url=doc.url, fetched_at=doc.fetched_at,
            title=doc.title, published=doc.published,
            language=doc.language, language_prob=doc.language_prob, n_chars=doc.n_chars,
            n_tokens=analysed.n_tokens[doc.doc_id], text=doc.text, source_format=doc.source_format,
            encoding=doc.encoding, metadata_json=metadata_json(doc), fingerprint=fingerprint_of(doc.doc_id),
            **provenance,
        ))
    for table, table_rows in analysed.rows.items():
        for row in table_rows:
            for name in PROVENANCE:
                setattr(row, name, provenance[name])
        rows[table].extend(table_rows)
    if curation is not None:
        rows["entities"] = apply_to_entities(rows["entities"], curation)
        rows["person_roles"] = apply_to_roles(rows["person_roles"], curation)
    result = {name: to_arrow(tables[name], table_rows) for name, table_rows in rows.items()}
    result["files"] = to_arrow(tables["files"], settled.files)
    result["quarantine"] = to_arrow(tables["quarantine"], settled.quarantine)
    return result


@dataclass
class RunSummary:
    run_id: str
    input_root: str
    started_at: dt.datetime
    model: str
    counts: Counter = field(default_factory=Counter)
    languages: Counter = field(default_factory=Counter)
    quarantined: list[QuarantineRow] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    finished_at: dt.datetime | None = None
    curation_sha256: str | None = None
    fingerprint: dict[str, str] = field(default_factory=dict)
    reprocessed: Counter = field(default_factory=Counter)  # why → documents

    def add(self, settled: Settled) -> None:
        self.counts.update(settled.counts)
        self.reprocessed.update(settled.reprocessed.values())
        self.languages.update(d.language for d in settled.documents)
        self.quarantined.extend(settled.quarantine)

    @property
    def seconds(self) -> float:
        end = self.finished_at or dt.datetime.now(dt.UTC)
        return round((end - self.started_at).total_seconds(), 3)

    def runs_row(self) -> pa.Table:
        return to_arrow("runs", [RunRow(
            run_id=self.run_id, started_at=self.started_at, finished_at=self.finished_at,
            input_root=self.input_root, n_files=self.counts["files"], n_new=self.counts["new"],
            n_reprocessed=self.counts["reprocessed"],
            n_unchanged=self.counts["unchanged"], n_duplicates=self.counts["duplicates"],
            n_quarantined=self.counts["quarantined"], languages_json=json.dumps(dict(sorted(self.languages.items()))),
            seconds=self.seconds, pipeline_version=PIPELINE_VERSION, model=self.model,
            curation_sha256=self.curation_sha256, fingerprint_json=json.dumps(self.fingerprint, sort_keys=True),
            reprocessed_json=json.dumps(dict(sorted(self.reprocessed.items())), ensure_ascii=False),
        )])

    def as_dict(self) -> dict:
        return {
            "run_id": self.run_id, "files": self.counts["files"], "new": self.counts["new"],
            "reprocessed": self.counts["reprocessed"], "reprocessed_because": dict(self.reprocessed.most_common()),
            "unchanged": self.counts["unchanged"], "duplicates": self.counts["duplicates"],
            "quarantined": self.counts["quarantined"], "languages": dict(sorted(self.languages.items())),
            "seconds": self.seconds, "quarantine": [asdict(q) for q in self.quarantined], "notes": self.notes,
            "model": self.model,
        }


# --- the run ----------------------------------------------------------------------------------
DEFAULT_BATCH_SIZE = 400


@dataclass
class RunOptions:
    """What a run is asked to do; the command's flags, the flow's parameters and `pipeline.run()`'s arguments."""

    input_dir: str  # a folder, or a single file
    output_dir: str = "processed"
    model: str | None = None  # None: sv_core_news_sm when installed, else the shipped model
    force: bool = False
    workers: int = 1
    batch_size: int = DEFAULT_BATCH_SIZE
    max_bytes: int = DEFAULT_MAX_BYTES
    wait_seconds: float = 0.0
    taxonomies: str | None = None  # a folder of taxonomy files; None: the shipped ones


class Run:
    """One run over an input folder into an output folder.

    Everything that can fail on bad configuration (model, taxonomies,
    curation) fails in the constructor, before the output folder is touched.
    Then, holding the folder's lock: `start()`, for each of `batches()`
    `read()` → `settle()` → `analyse()` → `commit()`, and `finish()`.
    """

    def __init__(self, options: RunOptions, logger: logging.Logger | logging.LoggerAdapter | None = None):
        self.input_root = str(options.input_dir)  # as given, for the runs table
        # Absolute from here on: tasks may run on a Dask worker with another working directory.
        options = replace(options, input_dir=str(Path(options.input_dir).resolve()),
                          output_dir=str(Path(options.output_dir).resolve()))
        self.options = options
        self.log = logger or logging.getLogger("kommunnlp")
        self.store = OutputStore(Path(options.output_dir))
        self.taxonomies = load_taxonomies(options.taxonomies)  # a broken taxonomy file stops the run here
        self.curation = load_curation(curation_path(Path(options.output_dir)))
        self.model = resolve_model(options.model)
        self.summary = RunSummary(new_run_id(), self.input_root, dt.datetime.now(dt.UTC),
                                  model_label_of(self.model))
        self.summary.curation_sha256 = self.curation.sha256
        self.summary.fingerprint = fingerprint_parts(self.model, self.taxonomies)
        self.previous: dict[str, str] = {}
        self.known: set[str] = set()
        self.stale: dict[str, str] = {}  # known documents to analyse again → why
        self.tables: dict[str, Table] = {}
        self.n_batches = 0

    def start(self) -> list[list[Discovered]]:
        """Recover what a killed run left, record the taxonomies, discover the input; returns the batches."""
        self.store.add_taxonomies({name: {"what": t.what, "title": t.title,
                                          "labels": {label.id: label.name for label in t.labels}}
                                   for name, t in self.taxonomies.items()})
        self.summary.notes = self.store.prepare()
        for note in self.summary.notes:
            self.log.warning("recovery: %s", note)
        self.tables = self.store.tables
        items = discover(Path(self.options.input_dir))
        self.known = self.store.doc_ids()
        self.stale = self.stale_documents()
        # an input whose text is unchanged but whose document is stale is read again, to be analysed again
        self.previous = {path: row["file_sha256"] for path, row in self.store.latest_files().items()
                         if row["doc_id"] not in self.stale}
        if self.stale:
            self.log.info("%d known documents will be analysed again: %s", len(self.stale),
                          dict(Counter(self.stale.values()).most_common()))
        self.log.info("discover: %d files under %s; %d inputs known from earlier runs", len(items),
                      self.options.input_dir, len(self.previous))
        batches = batched(items, self.options.batch_size)
        self.n_batches = len(batches)
        return batches

    def read_arguments(self, batch: list[Discovered]) -> tuple:
        """`read_batch`'s arguments for a batch: only what it needs, so a task can take them to a cluster."""
        options = self.options
        return (options.input_dir, batch, known_for(batch, self.previous), options.max_bytes, options.force,
                options.workers)

    def read(self, batch: list[Discovered]) -> list[Outcome]:
        return read_batch(*self.read_arguments(batch))

    def settle(self, outcomes: list[Outcome]) -> Settled:
        """Dedupe against every earlier document, in batch order."""
        return settle(outcomes, self.known, self.summary.run_id, self.stale)

    def fingerprint_of(self, doc_id: str) -> str:
        """What makes a document's rows: the run's model, version, taxonomies and lexicons, and the curation
        rules that apply to it. Another fingerprint than the stored one means its rows are out of date."""
        parts = {**self.summary.fingerprint, "curation": self.curation.digest_for(doc_id)}
        return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:32]

    def stale_documents(self) -> dict[str, str]:
        """Known documents whose rows another model, version, taxonomy, lexicon or curation made → why."""
        documents = self.store.read("documents", ["doc_id", "fingerprint", "run_id"]).to_pylist()
        if self.options.force:
            return {d["doc_id"]: "--force" for d in documents}
        made_by = {r["run_id"]: json.loads(r["fingerprint_json"]) if r["fingerprint_json"] else None
                   for r in self.store.read("runs", ["run_id", "fingerprint_json"]).to_pylist()}
        stale = {}
        for document in documents:
            if document["fingerprint"] != self.fingerprint_of(document["doc_id"]):
                stale[document["doc_id"]] = _what_changed(made_by.get(document["run_id"]), self.summary.fingerprint)
        return stale

    def analyse_arguments(self, documents: list[DocumentRecord]) -> tuple:
        """`analysis.analyse`'s arguments for a batch's new documents."""
        return documents, self.model, self.options.workers, self.options.taxonomies

    def analyse(self, documents: list[DocumentRecord]) -> Analysed:
        return analysis.analyse(*self.analyse_arguments(documents))

    def commit(self, number: int, settled: Settled, analysed: Analysed) -> None:
        """Write the batch's rows; the earlier rows of documents analysed again go in the same commit."""
        tables = batch_tables(settled, analysed, self.summary.run_id, self.summary.model, self.tables, self.curation,
                              self.fingerprint_of)
        self.store.commit(f"{self.summary.run_id}-b{number:05d}", tables, drop_documents=set(settled.reprocessed))
        self.summary.add(settled)
        self.log.info("batch %d/%d: %s", number, self.n_batches, dict(settled.counts))

    def finish(self) -> dict:
        """Record the run, check the outputs; the run's summary."""
        self.summary.finished_at = dt.datetime.now(dt.UTC)
        self.store.commit(f"{self.summary.run_id}-run", {"runs": self.summary.runs_row()})
        integrity = check(self.store.root)
        result = self.summary.as_dict()
        result["integrity_ok"] = integrity.ok
        if not integrity.ok:
            self.log.error("integrity check failed:\n%s", integrity.format())
        self.log.info("run %s: %s", self.summary.run_id,
                      {k: v for k, v in result.items() if k not in ("quarantine", "notes")})
        if self.summary.counts["quarantined"]:
            self.log.warning("%d inputs quarantined; see the quarantine table", self.summary.counts["quarantined"])
        return result


def batched(items: list[Discovered], size: int) -> list[list[Discovered]]:
    """Consecutive batches of about `size` inputs each (a JSON Lines segment counts its lines)."""
    batches: list[list[Discovered]] = [[]]
    weight = 0
    for item in items:
        if weight >= size:
            batches.append([])
            weight = 0
        batches[-1].append(item)
        weight += item.weight
    return batches if batches[0] else []


def fingerprint_parts(model: str, taxonomies: dict[str, Taxonomy]) -> dict[str, str]:
    """What a run's rows depend on besides their text: the model (name, version and its meta.json), the
    pipeline version, the taxonomies and the lexicons (every data file); curation is per document."""
    lexicons = hashlib.sha256()
    for path in sorted(p for p in DATA_DIR.rglob("*") if p.is_file()):
        lexicons.update(path.name.encode() + b"\0" + path.read_bytes())
    labels = hashlib.sha256(json.dumps({name: t.digest for name, t in sorted(taxonomies.items())}).encode())
    return {"model": model_fingerprint(model), "pipeline": PIPELINE_VERSION,
            "taxonomies": labels.hexdigest()[:16], "lexicons": lexicons.hexdigest()[:16]}


_CHANGED = {"model": "model changed", "pipeline": "pipeline version changed", "taxonomies": "taxonomies changed",
            "lexicons": "lexicons changed"}


def _what_changed(before: dict | None, now: dict[str, str]) -> str:
    if before is None:
        return "made by an earlier version"
    changed = [_CHANGED[key] for key in _CHANGED if before.get(key) != now.get(key)]
    return ", ".join(changed) or "curation changed"


class InputNotVisible(UserError, RuntimeError):
    """The process reading a batch cannot see the input folder (a Dask worker on another machine)."""


def read_batch(root: str, batch: list[Discovered], previous: dict[str, str], max_bytes: int, force: bool,
               workers: int) -> list[Outcome]:
    """Read a batch, in worker processes when there are several.

    A process that cannot see the input folder at all fails the run: its files are not missing, the
    process is in the wrong place (quarantining them as vanished would lose them silently).
    """
    if not Path(root).exists():
        raise InputNotVisible(f"the input {root} is not visible on {socket.gethostname()} (pid {os.getpid()}): "
                              "every Dask worker needs the input at the same path as the flow")
    if workers <= 1:
        return read_inputs(batch, previous, max_bytes=max_bytes, force=force)
    chunks = worker_pool.map_chunks(read_each, batch, workers, previous, max_bytes, force)
    return [outcome for chunk in chunks for per_item in chunk for outcome in per_item]


def known_for(batch: list[Discovered], previous: dict[str, str]) -> dict[str, str]:
    """The earlier hashes a batch needs: its files, and each record (JSONL line, WARC page) of its record files."""
    wanted = {d.source_path for d in batch}
    for d in batch:  # a segment of a JSON Lines file: its lines
        if d.segment is not None:
            wanted.update(f"{d.source_path}#{n}" for n in range(d.segment.first_line,
                                                                 d.segment.first_line + d.segment.n_lines))
    records = tuple(f"{d.source_path}#" for d in batch if d.kind in RECORD_FORMATS and d.segment is None)
    known = {p: previous[p] for p in wanted if p in previous}
    if records:
        known.update({p: h for p, h in previous.items() if p.startswith(records)})
    return known


def run(options: RunOptions, logger: logging.Logger | None = None) -> dict:
    """A whole run in this process, batch after batch, without Prefect; returns the run's summary."""
    job = Run(options, logger)
    with job.store.locked(options.wait_seconds, run_id=job.summary.run_id) as killed:
        if killed:
            job.log.warning("the previous run %s (pid %s) was killed before it finished", killed.get("run_id"),
                            killed.get("pid"))
        try:
            for number, batch in enumerate(job.start(), 1):
                settled = job.settle(job.read(batch))
                job.commit(number, settled, job.analyse(settled.documents) if settled.documents else Analysed())
        finally:
            worker_pool.shutdown()
        return job.finish()
