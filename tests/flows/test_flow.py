"""The ingest flow for real: Prefect flow runs, Parquet read back with DuckDB."""

from __future__ import annotations

import json
import shutil

import pandas as pd
import pytest
from conftest import EXAMPLES, needs_shared, run, sql

from pipeline.store.schemas import TABLES

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


def test_force_analyses_every_document_again_and_rewrites_its_rows(tmp_path):
    out = tmp_path / "out"
    first = run(EXAMPLES, out)
    before = row_counts(out)
    forced = run(EXAMPLES, out, force=True)
    assert (forced["new"], forced["reprocessed"], forced["unchanged"]) == (0, first["new"], 0)
    assert forced["reprocessed_because"] == {"--force": first["new"]}
    assert {k: v for k, v in row_counts(out).items() if k not in ("runs", "files", "quarantine")} == {
        k: v for k, v in before.items() if k not in ("runs", "files", "quarantine")}  # replaced, not added
    for table in ("documents", "entities", "person_roles"):  # every row is the forced run's now
        assert sql(out, f"SELECT DISTINCT run_id FROM {table}") == [(forced["run_id"],)]
    assert sql(out, COUNTS)[-1] == (forced["files"], 0, 0, 0, forced["quarantined"])


def test_documents_made_by_other_taxonomies_are_analysed_again_and_the_summary_says_why(tmp_path):
    from pipeline.resources import TAXONOMY_DIR

    taxonomies = tmp_path / "taxonomies"
    shutil.copytree(TAXONOMY_DIR, taxonomies)
    out = tmp_path / "out"
    first = run(EXAMPLES, out, taxonomies=str(taxonomies))
    assert run(EXAMPLES, out, taxonomies=str(taxonomies))["reprocessed"] == 0
    methods = taxonomies / "dialogue_methods.yaml"
    methods.write_text(methods.read_text(encoding="utf-8").replace("trygghetsvandring, ", ""), encoding="utf-8")
    again = run(EXAMPLES, out, taxonomies=str(taxonomies))
    assert (again["new"], again["reprocessed"]) == (0, first["new"])
    assert again["reprocessed_because"] == {"taxonomies changed": first["new"]}
    assert sql(out, "SELECT count(*) FROM documents")[0][0] == first["new"]
    assert sql(out, "SELECT count(*) FROM documents WHERE fingerprint IS NULL")[0][0] == 0


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
