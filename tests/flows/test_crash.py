"""Crashes and concurrency: SIGKILL at many moments, two runs at once, a write that fails."""

from __future__ import annotations

import os
import random
import resource
import signal
import subprocess
import sys
import time
from collections import Counter

import pytest
from conftest import EXAMPLES, run, sql

from pipeline.store.schemas import TABLES


def _env() -> dict:
    """The real command in a subprocess, pointed at the session's Prefect API (no server start per run)."""
    from prefect.settings import PREFECT_API_URL

    return {**os.environ, "PYTHONUNBUFFERED": "1", "PREFECT_API_URL": PREFECT_API_URL.value() or ""}


def _cli(*args: str, **kwargs) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "flows.cli", *args], env=_env(), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True, **kwargs)


def kill_after_batch(args: list[str], batch: int, delay: float) -> None:
    """Start a run, wait for its log line of the given batch, then SIGKILL it `delay` seconds later.

    The whole process group is killed, as when the machine or the container goes: the run and
    every process it started.
    """
    process = _cli(*args)
    try:
        for line in process.stdout:
            if f"batch {batch}/" in line:
                break
        time.sleep(delay)
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def _snapshot(out) -> dict[str, list[tuple]]:
    """Every table's rows without the columns that name the run."""
    keep = {name: [c for c in table.column_names if c not in ("run_id", "started_at", "finished_at", "seconds",
                                                                "imported_at")]
            for name, table in TABLES.items() if name not in ("runs", "files", "quarantine")}
    return {name: sorted(sql(out, f"SELECT {', '.join(cols)} FROM {name}"), key=repr) for name, cols in keep.items()}


@pytest.mark.slow
def test_sigkill_at_ten_moments_never_corrupts_and_the_next_run_completes(tmp_path, dev_corpus):
    clean = tmp_path / "clean"
    run(dev_corpus, clean, batch_size=3)
    expected = _snapshot(clean)

    out = tmp_path / "killed"
    moments = random.Random(7).sample([(b, d) for b in range(1, 11) for d in (0.0, 0.01, 0.05, 0.2)], 10)
    partial = []
    for batch, delay in moments:
        kill_after_batch(["run", str(dev_corpus), "--output", str(out), "--batch-size", "3"], batch, delay)
        for name in TABLES:  # readable after every kill, never a half-written file in a table
            assert not list((out / name).glob(".*.tmp")), name
            sql(out, f"SELECT count(*) FROM {name}")
        partial.append(sql(out, "SELECT count(*) FROM documents")[0][0])
    assert any(0 < n < len(expected["documents"]) for n in partial)  # kills landed mid-run
    run(dev_corpus, out, batch_size=3)
    after = _snapshot(out)
    for name in expected:  # the same rows, each as often
        missing, extra = Counter(expected[name]) - Counter(after[name]), Counter(after[name]) - Counter(expected[name])
        assert not missing and not extra, (name, list(missing)[:3], list(extra)[:3])
    from flows.cli import main

    assert main(["check", "--processed", str(out)]) == 0


@pytest.mark.slow
def test_two_runs_at_once_one_refuses_and_rows_never_interleave(tmp_path, dev_corpus):
    out = tmp_path / "out"
    runs = [_cli("run", str(dev_corpus), "--output", str(out), "--batch-size", "2") for _ in range(2)]
    outputs = [process.communicate(timeout=300)[0] for process in runs]
    codes = sorted(process.returncode for process in runs)
    assert codes == [0, 1], outputs
    refused = outputs[[p.returncode for p in runs].index(1)]
    assert "another kommunnlp run is writing" in refused
    assert sql(out, "SELECT count(*) FROM runs") == [(1,)]
    assert sql(out, "SELECT count(*), count(DISTINCT doc_id) FROM documents")[0] == (33, 33)


def _limit_file_size():
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a too-large write fails with EFBIG instead of killing
    resource.setrlimit(resource.RLIMIT_FSIZE, (20_000, 20_000))


@pytest.mark.slow
def test_a_failing_write_is_a_clear_error_and_earlier_outputs_stay_intact(tmp_path, dev_corpus):
    out = tmp_path / "out"
    run(EXAMPLES, out)
    before = _snapshot(out)
    process = _cli("run", str(dev_corpus), "--output", str(out), preexec_fn=_limit_file_size)
    output, _ = process.communicate(timeout=300)
    assert process.returncode == 1
    assert "could not write outputs" in output and "Earlier outputs are intact" in output
    assert _snapshot(out) == before
    for name in TABLES:
        assert not list((out / name).glob(".*.tmp"))


@pytest.mark.slow
def test_a_killed_run_is_marked_crashed_by_the_next_one_and_the_lock_file_names_it(tmp_path, dev_corpus):
    import json

    from prefect.client.orchestration import get_client

    out = tmp_path / "out"
    kill_after_batch(["run", str(dev_corpus), "--output", str(out), "--batch-size", "3"], 2, 0.0)
    holder = json.loads((out / ".kommunnlp.lock.json").read_text())
    assert holder["run_id"] and holder["flow_run_id"]  # the lock file says which run held the folder
    with get_client(sync_client=True) as client:
        assert client.read_flow_run(holder["flow_run_id"]).state.name == "Running"  # Prefect cannot tell
    run(dev_corpus, out, batch_size=3)
    with get_client(sync_client=True) as client:
        state = client.read_flow_run(holder["flow_run_id"]).state
    assert state.name == "Crashed" and "found by the next run" in state.message
    assert not (out / ".kommunnlp.lock.json").exists()
