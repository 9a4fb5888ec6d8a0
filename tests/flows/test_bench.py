"""The benchmark command end to end on a small size (the full sizes are run by hand; see README)."""

import json

from conftest import needs_shared

from flows.cli import main


def test_bench_measures_both_pipelines_and_writes_json(tmp_path, capsys):
    archive = needs_shared("bench", "regeringen-pressmeddelanden.tar.gz")
    out = tmp_path / "bench.json"
    assert main(["bench", "--archive", str(archive), "--sizes", "40", "--workers", "1",
                 "--work-dir", str(tmp_path / "work"), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "bare docs/s" in printed and "no-change s" in printed
    report = json.loads(out.read_text())
    [result] = report["results"]
    assert result["size"] == 40
    assert result["bare"]["documents"] == 40 and result["bare"]["tokens"] > 1_000
    assert result["full"]["documents"] == 40 and result["full"]["peak_rss_mib"] > 0
    assert 0 < result["full"]["flow_ms_per_doc"] < result["full"]["ms_per_doc"]
    assert result["ratio_full_to_bare"] > 0
    assert result["no_change_unchanged"] == 40
