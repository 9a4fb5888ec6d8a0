"""The output folder: Parquet datasets that only ever hold complete files.

Writes go in *commits*. A commit stages its part files under
``.staging/<name>/``, marks itself committed with an atomically renamed marker
file, then moves the parts into the table folders. A run killed before the
marker leaves nothing behind (the next run deletes the staging folder); killed
after it, the next run finishes the moves. Readers see only whole files, and a
run's batches are committed one by one, so a killed run loses at most the batch
it was writing.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from filelock import FileLock, Timeout

from pipeline import UserError
from pipeline.store.schemas import SHIPPED_TAXONOMIES, Table, tables_with

STAGING = ".staging"
LOCK_FILE = ".kommunnlp.lock"
LOCK_INFO = ".kommunnlp.lock.json"
COMMITTED = "COMMITTED"
SCHEMA_PART = "00000000-schema.parquet"
# The taxonomies whose label tables the folder holds: {table name: {"what": …, "title": …}}.
TAXONOMIES_FILE = "taxonomies.json"


class OutputLocked(UserError, RuntimeError):
    """Another run holds the output folder."""


class OutputWriteError(UserError, RuntimeError):
    """Writing the outputs failed (disk full, permissions); earlier outputs are intact."""


class OutputStore:
    def __init__(self, root: Path):
        self.root = Path(root)
        self._doc_ids_of: dict[Path, frozenset[str]] = {}

    # --- which tables ------------------------------------------------------------------
    def taxonomies(self) -> dict[str, dict[str, str]]:
        """The label tables of this folder: every taxonomy a run used here (the shipped ones by default)."""
        try:
            return json.loads((self.root / TAXONOMIES_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return dict(SHIPPED_TAXONOMIES)

    @property
    def tables(self) -> dict[str, Table]:
        return tables_with(self.taxonomies())

    def add_taxonomies(self, taxonomies: dict[str, dict[str, str]]) -> None:
        """Record the taxonomies a run labels with; their tables stay when a later run uses others."""
        known = self.taxonomies() if (self.root / TAXONOMIES_FILE).exists() else {}
        merged = {**known, **taxonomies}
        if merged != known:
            self._write_json(self.root / TAXONOMIES_FILE, dict(sorted(merged.items())))

    # --- locking -----------------------------------------------------------------
    @contextmanager
    def locked(self, wait_seconds: float = 0.0, **holder: str | None) -> Iterator[dict | None]:
        """Hold the folder for one run; a second run waits up to wait_seconds, then refuses.

        The lock file says who holds it (pid, host, and what the caller adds: run id, flow run id). It
        is removed when the holder ends; finding one left behind means its holder was killed, and the
        block gets that holder's record (None otherwise) so the caller can say the run crashed.
        """
        self.root.mkdir(parents=True, exist_ok=True)
        lock = FileLock(str(self.root / LOCK_FILE))
        try:
            lock.acquire(timeout=wait_seconds)
        except Timeout:
            raise OutputLocked(self._lock_message()) from None
        try:
            killed = self._holder()
            self._write_json(self.root / LOCK_INFO, {"pid": os.getpid(), "host": socket.gethostname(),
                                                      "since": time.strftime("%Y-%m-%d %H:%M:%S"), **holder})
            yield killed
        finally:
            (self.root / LOCK_INFO).unlink(missing_ok=True)
            lock.release()

    def _holder(self) -> dict | None:
        try:
            return json.loads((self.root / LOCK_INFO).read_text())
        except (OSError, ValueError):
            return None

    def _lock_message(self) -> str:
        info = self._holder() or {}
        holder = f" (pid {info['pid']} on {info['host']}, since {info['since']}" if "pid" in info else ""
        if holder:
            holder += f", run {info['run_id']})" if info.get("run_id") else ")"
        return (f"another kommunnlp run is writing to {self.root}{holder}. "
                "Wait for it to finish, or pass --wait SECONDS to queue behind it.")

    # --- recovery and layout -------------------------------------------------------
    def prepare(self) -> list[str]:
        """Finish or discard commits a killed run left, and make every table readable. Returns notes."""
        notes: list[str] = []
        staging = self.root / STAGING
        if staging.is_dir():
            for pending in sorted(staging.iterdir()):
                if (pending / COMMITTED).exists():
                    self._move_parts(pending)
                    self._remove_replaced(pending)
                    notes.append(f"completed interrupted commit {pending.name}")
                else:
                    notes.append(f"discarded incomplete commit {pending.name}")
                shutil.rmtree(pending, ignore_errors=True)
        for name, table in self.tables.items():
            folder = self.root / name
            folder.mkdir(parents=True, exist_ok=True)
            for leftover in folder.glob(".*.tmp"):
                leftover.unlink(missing_ok=True)
            schema_part = folder / SCHEMA_PART
            if not schema_part.exists() or pq.read_schema(schema_part) != table.schema:
                self._write_parquet(table.schema.empty_table(), schema_part)
        upgraded = self._upgrade_parts()
        if upgraded:
            notes.append(f"added new columns (empty) to {upgraded} part files written by an earlier version")
        return notes

    def _upgrade_parts(self) -> int:
        """Parts an earlier version wrote lack the columns added since: rewrite them with those columns empty.

        Only ever adds nullable columns; a part that differs otherwise is left for `kommunnlp check` to report.
        """
        rewritten: dict[str, pa.Table] = {}
        originals: list[str] = []
        for name, table in self.tables.items():
            for part in self.parts(name):
                if part.name == SCHEMA_PART:
                    continue
                schema = pq.read_schema(part)
                if schema == table.schema:
                    continue
                missing = [f for f in table.schema if f.name not in schema.names]
                if any(not f.nullable for f in missing) or any(f.name not in table.schema.names for f in schema):
                    continue
                data = pq.read_table(part)
                for field in missing:
                    data = data.append_column(field, pa.nulls(data.num_rows, field.type))
                rewritten[f"{name}/{part.stem}~upgraded"] = data.select(table.schema.names).cast(table.schema)
                originals.append(str(part.relative_to(self.root)))
        if rewritten:
            self._commit_parts("upgrade", rewritten, originals)
        return len(rewritten)

    # --- writing -------------------------------------------------------------------
    def commit(self, name: str, tables: dict[str, pa.Table], replace: tuple[str, ...] = (),
               drop_documents: frozenset[str] | set[str] = frozenset()) -> None:
        """Add one part file per non-empty table, all or nothing.

        Tables named in `replace` lose their earlier parts in the same commit;
        the rows of the documents in `drop_documents` (documents analysed again)
        leave every document table in it too, by rewriting the parts that hold
        them. The marker lists what goes, so a killed commit is finished, never
        half done, and no reader ever sees a document twice.
        """
        schemas = {table_name: table.schema for table_name, table in self.tables.items()}
        for table_name, data in tables.items():
            if data.num_rows and data.schema != schemas.get(table_name):
                raise ValueError(f"{table_name}: data does not match the schema module")
        parts = {f"{table_name}/{name}": data for table_name, data in tables.items() if data.num_rows}
        removed = [str(p.relative_to(self.root)) for t in replace for p in self.parts(t) if p.name != SCHEMA_PART]
        if drop_documents:
            kept, dropped = self._without_documents(drop_documents)
            parts.update(kept)
            removed += dropped
        if parts or removed:
            self._commit_parts(name, parts, removed)

    def _without_documents(self, doc_ids: set[str]) -> tuple[dict[str, pa.Table], list[str]]:
        """Copies of the parts that hold rows of these documents, without those rows; and the parts they replace."""
        wanted = pa.array(sorted(doc_ids), pa.string())
        copies: dict[str, pa.Table] = {}
        originals: list[str] = []
        for name, table in self.tables.items():
            if table.kind == "bookkeeping":
                continue
            for part in self.parts(name):
                if part.name == SCHEMA_PART or not (self._documents_in(part) & doc_ids):
                    continue
                data = pq.read_table(part)
                rest = data.filter(pc.invert(pc.is_in(data["doc_id"], value_set=wanted)))
                if rest.num_rows:
                    copies[f"{name}/{part.stem}~{len(originals)}"] = rest
                originals.append(str(part.relative_to(self.root)))
        return copies, originals

    def _documents_in(self, part: Path) -> frozenset[str]:
        """The doc_ids in a part file; parts never change once written, so this is read once per part."""
        found = self._doc_ids_of.get(part)
        if found is None:
            found = self._doc_ids_of[part] = frozenset(pq.read_table(part, columns=["doc_id"])["doc_id"].to_pylist())
        return found

    def _commit_parts(self, name: str, parts: dict[str, pa.Table], removed: list[str]) -> None:
        """Stage the parts (`table/file stem` → rows), mark the commit, move them in, remove `removed`."""
        pending = self.root / STAGING / name
        try:
            shutil.rmtree(pending, ignore_errors=True)
            for relative, data in parts.items():
                target = pending / f"{relative}.parquet"
                target.parent.mkdir(parents=True, exist_ok=True)
                self._write_parquet(data, target)
            self._write_json(pending / COMMITTED, {"committed": time.time(), "remove": removed})
        except OSError as error:
            shutil.rmtree(pending, ignore_errors=True)
            raise OutputWriteError(f"could not write outputs to {self.root}: {error.strerror or error}. "
                                   "Earlier outputs are intact.") from error
        self._move_parts(pending)
        self._remove_replaced(pending)
        shutil.rmtree(pending, ignore_errors=True)

    def _remove_replaced(self, pending: Path) -> None:
        marker = json.loads((pending / COMMITTED).read_text())
        for relative in marker.get("remove", []):
            (self.root / relative).unlink(missing_ok=True)

    def _move_parts(self, pending: Path) -> None:
        for part in sorted(pending.glob("*/*.parquet")):
            destination = self.root / part.parent.name / part.name
            destination.parent.mkdir(parents=True, exist_ok=True)
            os.replace(part, destination)
        _fsync_dir(self.root)

    @staticmethod
    def _write_parquet(data: pa.Table, target: Path) -> None:
        tmp = target.with_name(f".{target.name}.tmp")
        pq.write_table(data, tmp, compression="zstd")
        with open(tmp, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, target)

    @staticmethod
    def _write_json(target: Path, payload: dict) -> None:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.tmp")
        tmp.write_text(json.dumps(payload, ensure_ascii=False))
        os.replace(tmp, target)

    # --- reading -------------------------------------------------------------------
    def parts(self, table: str) -> list[Path]:
        return sorted(p for p in (self.root / table).glob("*.parquet") if not p.name.startswith("."))

    def read(self, table: str, columns: list[str] | None = None) -> pa.Table:
        """The whole table (schema-conformant); an absent table reads as empty."""
        schema = self.tables[table].schema
        parts = self.parts(table)
        if not parts:
            data = schema.empty_table()
        else:
            data = pa.concat_tables(
                [pq.read_table(p, columns=columns).cast(_select(schema, columns)) for p in parts]
            )
        return data.select(columns) if columns else data

    def latest_files(self) -> dict[str, dict]:
        """The latest `files` row per source_path: the state the next run compares against."""
        rows = self.read("files").to_pylist()
        rows.sort(key=lambda r: r["run_id"])
        return {r["source_path"]: r for r in rows}

    def doc_ids(self) -> set[str]:
        return set(self.read("documents", ["doc_id"]).column("doc_id").to_pylist())


def _select(schema: pa.Schema, columns: list[str] | None) -> pa.Schema:
    return pa.schema([schema.field(c) for c in columns]) if columns else schema


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
