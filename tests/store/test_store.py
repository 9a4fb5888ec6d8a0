"""The output store: all-or-nothing commits, recovery after a kill, one writer at a time."""

import multiprocessing
import time

import pyarrow.parquet as pq
import pytest

from pipeline.store.folder import COMMITTED, STAGING, OutputLocked, OutputStore
from pipeline.store.schemas import TABLES, to_arrow

ROW = {"run_id": "r1", "source_path": "a.txt", "stage": "read", "reason": "empty file", "file_sha256": None}


def test_prepare_makes_every_table_readable_with_its_schema(tmp_path):
    store = OutputStore(tmp_path)
    store.prepare()
    for name, table in TABLES.items():
        data = store.read(name)
        assert data.num_rows == 0
        assert data.schema == table.schema


def test_commit_adds_a_part_and_leaves_no_staging(tmp_path):
    store = OutputStore(tmp_path)
    store.prepare()
    store.commit("r1-b00001", {"quarantine": to_arrow("quarantine", [ROW])})
    assert store.read("quarantine").to_pylist() == [ROW]
    assert not any((tmp_path / STAGING).iterdir())


def test_uncommitted_staging_is_discarded_and_committed_staging_is_finished(tmp_path):
    store = OutputStore(tmp_path)
    store.prepare()
    # A run killed while writing: parts staged, no COMMITTED marker.
    half = tmp_path / STAGING / "r1-b00001" / "quarantine"
    half.mkdir(parents=True)
    pq.write_table(to_arrow("quarantine", [ROW]), half / "r1-b00001.parquet")
    # A run killed after marking its commit but before moving the parts.
    done = tmp_path / STAGING / "r1-b00002" / "quarantine"
    done.mkdir(parents=True)
    pq.write_table(to_arrow("quarantine", [{**ROW, "source_path": "b.txt"}]), done / "r1-b00002.parquet")
    (done.parent / COMMITTED).write_text("{}")

    notes = store.prepare()

    assert [r["source_path"] for r in store.read("quarantine").to_pylist()] == ["b.txt"]
    assert any("discarded" in n for n in notes) and any("completed" in n for n in notes)
    assert not any((tmp_path / STAGING).iterdir())


def test_a_commit_with_a_wrong_schema_writes_nothing(tmp_path):
    store = OutputStore(tmp_path)
    store.prepare()
    wrong = to_arrow("quarantine", [ROW]).drop_columns(["file_sha256"])
    with pytest.raises(ValueError, match="schema"):
        store.commit("r1-b00001", {"quarantine": wrong})
    assert store.read("quarantine").num_rows == 0


def _hold_lock(root, started, releasing, seconds):
    with OutputStore(root).locked():
        started.set()
        time.sleep(seconds)
        releasing.set()  # set while the lock is still held: whoever gets it next must see it


def test_a_second_writer_is_refused_with_a_clear_message_or_waits(tmp_path):
    started, releasing = multiprocessing.Event(), multiprocessing.Event()
    holder = multiprocessing.Process(target=_hold_lock, args=(tmp_path, started, releasing, 3))
    holder.start()
    try:
        assert started.wait(10)
        with pytest.raises(OutputLocked, match=r"another kommunnlp run is writing.*pid \d+"), \
                OutputStore(tmp_path).locked(wait_seconds=0):
            pass
        with OutputStore(tmp_path).locked(wait_seconds=30):  # queues behind the holder
            assert releasing.is_set()
    finally:
        holder.join()
