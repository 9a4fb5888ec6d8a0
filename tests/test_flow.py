"""The ingest flow for real: Prefect flow runs, Parquet read back with DuckDB."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time

import pandas as pd
import pytest
from conftest import EXAMPLES, needs_shared, run, sql

from pipeline.schemas import TABLES

COUNTS = "SELECT n_files, n_new, n_unchanged, n_duplicates, n_quarantined FROM runs ORDER BY run_id"


def row_counts(output) -> dict[str, int]:
    return {name: sql(output, f"SELECT count(*) FROM {name}")[0][0] for name in TABLES}


def test_examples_fill_every_table_and_quarantine_the_broken_file(tmp_path):
    summary = run(EXAMPLES, tmp_path)
    assert summary["quarantined"] == 1
    assert sql(tmp_path, "SELECT source_path, stage FROM quarantine") == [("trasig-front-matter.md", "parse")]
    languages = dict(sql(tmp_path, "SELECT source_path, language FROM documents"))
    assert languages["english-news.txt"] == "en"
    assert languages["nyhet-medborgarbudget-umea.md"] == "sv"
    assert {"flera-nyheter.jsonl#1", "flera-nyheter.jsonl#2", "pressmeddelande-partnerskap.html"} <= set(languages)
    for name in TABLES:  # every table exists with its schema, readable as a whole by pandas
        frame = pd.read_parquet(tmp_path / name)
        assert list(frame.columns) == TABLES[name].column_names
    text = sql(tmp_path, "SELECT text FROM documents WHERE source_path LIKE 'skrapad%'")[0][0]
    assert "Hoppa till huvudinnehållet" not in text and "Chatta med oss" not in text
    assert "trygghetsvandring den 14 oktober" in text


def test_second_run_changes_nothing_but_runs_and_a_changed_file_is_processed_again(tmp_path):
    source = tmp_path / "in"
    shutil.copytree(EXAMPLES, source)
    out = tmp_path / "out"
    run(source, out)
    before = row_counts(out)

    second = run(source, out)
    after = row_counts(out)
    assert {k: v for k, v in after.items() if k != "runs"} == {k: v for k, v in before.items() if k != "runs"}
    assert after["runs"] == before["runs"] + 1
    n_files = second["files"]
    assert sql(out, COUNTS)[-1] == (n_files, 0, n_files, 0, 0)

    (source / "english-news.txt").write_text("A completely new English text about Gothenburg's budget.\n")
    third = run(source, out)
    assert (third["new"], third["unchanged"]) == (1, n_files - 1)

    forced = run(source, out, force=True)
    assert forced["unchanged"] == 0
    assert forced["duplicates"] == forced["files"] - forced["quarantined"]  # every text is known already


def test_same_text_under_two_paths_is_one_document_and_a_recorded_duplicate(tmp_path):
    source = tmp_path / "in"
    source.mkdir()
    (source / "a.txt").write_text("Göteborgs Stad inleder ett samarbete om stadsplanering i Biskopsgården.")
    (source / "kopia").mkdir()
    shutil.copy(source / "a.txt", source / "kopia" / "a.txt")
    summary = run(source, tmp_path / "out")
    assert (summary["new"], summary["duplicates"]) == (1, 1)
    assert sql(tmp_path / "out", "SELECT status FROM files ORDER BY source_path") == [("document",), ("duplicate",)]


def test_dev_corpus_languages_match_the_gold(tmp_path, dev_corpus):
    gold = [json.loads(line) for line in needs_shared("corpus", "dev", "gold.jsonl").open()]
    run(dev_corpus, tmp_path)
    found = dict(sql(tmp_path, "SELECT source_path, language FROM documents"))
    assert len(found) == len(gold)
    agree = sum(found[g["doc"]] == g["language"] for g in gold)
    assert agree / len(gold) >= 0.97


def test_strict_mode_fails_the_flow_after_writing(tmp_path):
    from flows.ingest import StrictModeError

    with pytest.raises(StrictModeError):
        run(EXAMPLES, tmp_path, strict=True)
    assert sql(tmp_path, "SELECT count(*) FROM quarantine")[0][0] == 1
    assert sql(tmp_path, "SELECT count(*) FROM runs")[0][0] == 1


def _cli(*args: str) -> subprocess.Popen:
    """The real command in a subprocess, pointed at the session's Prefect API."""
    from prefect.settings import PREFECT_API_URL

    env = {**os.environ, "PYTHONUNBUFFERED": "1", "PREFECT_API_URL": PREFECT_API_URL.value() or ""}
    return subprocess.Popen([sys.executable, "-m", "flows.cli", *args], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)


def kill_after_batch(args: list[str], batch: int, delay: float) -> None:
    """Start a run, wait for its log line of the given batch, then SIGKILL it `delay` seconds later.

    The whole process group is killed, as when the machine or the container goes: the run and
    every process it started (worker processes, an ephemeral Prefect server).
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


def _document_rows(out) -> list[tuple]:
    return sorted(sql(out, "SELECT doc_id, source_path, language, n_tokens FROM documents"))


@pytest.mark.slow
def test_a_run_killed_with_sigkill_leaves_readable_outputs_and_the_next_run_completes(tmp_path, dev_corpus):
    clean = tmp_path / "clean"
    run(dev_corpus, clean, batch_size=3)
    expected = _document_rows(clean)

    out = tmp_path / "killed"
    seen = []
    for batch, delay in ((1, 0.0), (3, 0.05), (6, 0.2)):
        kill_after_batch(["run", str(dev_corpus), "--output", str(out), "--batch-size", "3"], batch, delay)
        for name in TABLES:  # readable after every kill, and never a half-written file in a table
            sql(out, f"SELECT count(*) FROM {name}")
            assert not list((out / name).glob(".*.tmp"))
        seen.append(len(_document_rows(out)))
    assert 0 < seen[0] < len(expected)  # the kills landed mid-run, not before or after it
    run(dev_corpus, out, batch_size=3)
    assert _document_rows(out) == expected
    assert sql(out, "SELECT count(*) FROM files")[0][0] == sql(clean, "SELECT count(*) FROM files")[0][0]
