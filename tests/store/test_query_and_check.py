"""SQL over the outputs, the data dictionary, and the integrity check."""

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import EXAMPLES, REPO, run

from flows.cli import main
from pipeline.store.dictionary import render
from pipeline.store.query import QueryError, connect, run_query


@pytest.fixture(scope="module")
def examples_out(tmp_path_factory):
    out = tmp_path_factory.mktemp("out")
    run(EXAMPLES, out)
    return out


def test_query_command_answers_sql_over_every_table(examples_out, capsys):
    sql = "SELECT normalized, count(*) AS n FROM entities WHERE label='MUNICIPALITY' GROUP BY 1 ORDER BY 1"
    assert main(["query", sql, "--processed", str(examples_out), "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {"Umeå", "Falun", "Sundsvall"} <= {r["normalized"] for r in rows}
    for table in ("documents", "entities", "person_roles", "dialogue_methods", "cooperation_themes",
                  "partnerships", "reviews", "runs", "quarantine"):
        assert run_query(f"SELECT count(*) FROM {table}", examples_out)[1][0][0] >= 0


def test_query_errors_are_one_line_and_writes_are_refused(examples_out, capsys, tmp_path):
    assert main(["query", "SELEC nonsense", "--processed", str(examples_out)]) == 1
    message = capsys.readouterr().err.strip()
    assert message.startswith("kommunnlp: ") and "\n" not in message and "Traceback" not in message
    target = tmp_path / "leak.csv"
    for sql in (f"COPY (SELECT * FROM documents) TO '{target}'", "DROP VIEW documents",
                "CREATE TABLE x AS SELECT 1", "SELECT 1; SELECT 2"):
        with pytest.raises(QueryError):
            run_query(sql, examples_out)
    assert not target.exists()


def test_connect_gives_notebooks_the_same_views(examples_out):
    con = connect(examples_out)
    frame = con.sql("SELECT language, count(*) AS n FROM documents GROUP BY 1").df()
    assert set(frame["language"]) == {"sv", "en"}


def test_the_data_dictionary_is_up_to_date():
    committed = (REPO / "docs" / "data-dictionary.md").read_text(encoding="utf-8")
    assert committed == render(), "run `kommunnlp data-dictionary --write`"


def test_check_passes_on_a_real_run_and_the_flow_reports_it(tmp_path, capsys):
    summary = run(EXAMPLES, tmp_path)
    assert summary["integrity_ok"] is True
    assert main(["check", "--processed", str(tmp_path)]) == 0
    assert "all checks passed" in capsys.readouterr().out


def _append(path: Path, table: pa.Table) -> None:
    pq.write_table(table, path)


def test_check_finds_corruption(tmp_path, capsys):
    run(EXAMPLES, tmp_path)
    entities = pq.read_table(next(p for p in (tmp_path / "entities").glob("*-b*.parquet")))
    # a duplicated part: every entity row twice
    _append(tmp_path / "entities" / "zz-copy.parquet", entities)
    assert main(["check", "--processed", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "FAIL" in out and "no duplicate rows" in out
    (tmp_path / "entities" / "zz-copy.parquet").unlink()
    # an orphan row and an offset beyond the text
    broken = entities.slice(0, 1).to_pylist()[0] | {"doc_id": "no-such-doc", "start_char": 10**9,
                                                    "end_char": 10**9 + 3}
    _append(tmp_path / "entities" / "zz-orphan.parquet", pa.Table.from_pylist([broken], schema=entities.schema))
    assert main(["check", "--processed", str(tmp_path)]) == 1
    assert "references a document" in capsys.readouterr().out
    # a part file that is not Parquet at all
    (tmp_path / "entities" / "zz-orphan.parquet").write_bytes(b"not parquet")
    assert main(["check", "--processed", str(tmp_path)]) == 1
