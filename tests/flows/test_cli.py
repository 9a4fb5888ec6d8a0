"""The command's ergonomics: what a new user types first."""

from __future__ import annotations

from conftest import EXAMPLES, sql

import pipeline
from flows.cli import main


def test_version(capsys):
    try:
        main(["--version"])
    except SystemExit as done:
        assert done.code == 0
    assert capsys.readouterr().out.strip() == f"kommunnlp {pipeline.PIPELINE_VERSION}"


def test_run_takes_a_single_file(tmp_path):
    out = tmp_path / "out"
    assert main(["run", str(EXAMPLES / "nyhet-medborgarbudget-umea.md"), "--output", str(out)]) == 0
    assert sql(out, "SELECT source_path FROM documents") == [("nyhet-medborgarbudget-umea.md",)]
    assert main(["run", str(tmp_path / "nothing-here.txt"), "--output", str(out)]) == 2


def test_a_wide_query_result_is_shown_one_record_at_a_time_with_long_values_cut(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["run", str(EXAMPLES), "--output", str(out)]) == 0
    capsys.readouterr()
    assert main(["query", "SELECT source_path, title, text, language FROM documents ORDER BY 1",
                 "--processed", str(out)]) == 0
    printed = capsys.readouterr()
    lines = printed.out.splitlines()
    assert lines[0].startswith("── row 1") and any(line.startswith("text ") and line.endswith("…") for line in lines)
    assert max(len(line) for line in lines) <= 120
    assert "--format csv" in printed.err
    assert main(["query", "SELECT language, count(*) n FROM documents GROUP BY 1", "--processed", str(out)]) == 0
    assert "┃ language" in capsys.readouterr().out  # a narrow result stays a table
