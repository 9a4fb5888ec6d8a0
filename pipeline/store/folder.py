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
    def locked(self, wait_seconds: float = 0.0) -> Iterator[None]:
        """Hold the folder for one run; a second run waits up to wait_seconds, then refuses."""
        self.root.mkdir(parents=True, exist_ok=True)
        lock = FileLock(str(self.root / LOCK_FILE))
        try:
            lock.acquire(timeout=wait_seconds)
        except Timeout:
            raise OutputLocked(self._lock_message()) from None
        try:
            self._write_json(self.root / LOCK_INFO, {"pid": os.getpid(), "host": socket.gethostname(),
                                                      "since": time.strftime("%Y-%m-%d %H:%M:%S")})
            yield
        finally:
            (self.root / LOCK_INFO).unlink(missing_ok=True)
            lock.release()

    def _lock_message(self) -> str:
        try:
            info = json.loads((self.root / LOCK_INFO).read_text())
            holder = f" (pid {info['pid']} on {info['host']}, since {info['since']})"
        except (OSError, ValueError, KeyError):
            holder = ""
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
        return notes

    # --- writing -------------------------------------------------------------------
    def commit(self, name: str, tables: dict[str, pa.Table], replace: tuple[str, ...] = ()) -> None:
        """Add one part file per non-empty table, all or nothing.

        Tables named in `replace` lose their earlier parts in the same commit:
        the marker lists them, so a killed commit is finished, never half done.
        """
        pending = self.root / STAGING / name
        replaced = [str(p.relative_to(self.root)) for t in replace for p in self.parts(t) if p.name != SCHEMA_PART]
        schemas = {name: table.schema for name, table in self.tables.items()}
        try:
            shutil.rmtree(pending, ignore_errors=True)
            for table_name, data in tables.items():
                if data.num_rows == 0:
                    continue
                if data.schema != schemas.get(table_name):
                    raise ValueError(f"{table_name}: data does not match the schema module")
                target = pending / table_name / f"{name}.parquet"
                target.parent.mkdir(parents=True, exist_ok=True)
                self._write_parquet(data, target)
            if not pending.exists() and not replaced:
                return
            self._write_json(pending / COMMITTED, {"committed": time.time(), "remove": replaced})
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
