"""The dev-set targets, asserted through the `kommunnlp evaluate` command on a real run over the dev corpus."""

import json

import pytest
from conftest import needs_shared, run, sql

from flows.cli import main
from pipeline.outputs.evaluate import Score, match_role_lists, roles_match

# The dev-set targets of issues 16 and 17 (the own test split's figures are reported, not asserted: they are
# what users get, and a test that held them would invite tuning on the split).
TARGETS = {
    "MUNICIPALITY": 0.97,
    "PERSON": 0.93,
    "ORGANISATION": 0.85,
    "person_roles": 0.90,
    "dialogue_methods": 0.82,
    "cooperation_themes": 0.80,
}


@pytest.fixture(scope="module")
def dev_output(tmp_path_factory):
    import shutil

    source = needs_shared("corpus", "dev")
    corpus = tmp_path_factory.mktemp("dev")
    for path in source.iterdir():
        if path.suffix in (".md", ".markdown"):
            shutil.copy(path, corpus / path.name)
    output = tmp_path_factory.mktemp("processed")
    run(corpus, output)
    return output


def test_dev_set_targets_hold(dev_output, capsys):
    gold = needs_shared("corpus", "dev", "gold.jsonl")
    assert main(["evaluate", "--gold", str(gold), "--processed", str(dev_output), "--json"]) == 0
    scores = json.loads(capsys.readouterr().out)
    for key, target in TARGETS.items():
        assert scores[key]["f1"] >= target - 1e-9, (key, scores[key])
    assert scores["language"]["f1"] == 1.0


def test_every_row_is_traceable_and_its_offsets_slice_the_text(dev_output):
    bad = sql(dev_output, """
        SELECT e.label, e.text FROM entities e JOIN documents d USING (doc_id)
        WHERE substr(d.text, e.start_char + 1, e.end_char - e.start_char) <> e.text
           OR e.model IS NULL OR e.run_id IS NULL OR e.source IS NULL OR e.pipeline_version IS NULL""")
    assert bad == []
    for table in ("dialogue_methods", "cooperation_themes"):
        bad = sql(dev_output, f"""
            SELECT l.label FROM {table} l JOIN documents d USING (doc_id)
            WHERE strpos(l.evidence, substr(d.text, l.start_char + 1, l.end_char - l.start_char)) = 0""")
        assert bad == [], table
    assert sql(dev_output, "SELECT count(*) FROM entities WHERE doc_id NOT IN (SELECT doc_id FROM documents)") == [(0,)]


def test_evaluate_lists_misses(dev_output, capsys):
    gold = needs_shared("corpus", "dev", "gold.jsonl")
    main(["evaluate", "--gold", str(gold), "--processed", str(dev_output), "--misses"])
    out = capsys.readouterr().out
    assert "MUNICIPALITY" in out and "language accuracy" in out and "party accuracy" in out


def test_party_accuracy_counts_matched_roles_whose_gold_names_a_party():
    item = {"persons": [{"name": "Anna Berg", "aliases": []}, {"name": "Per Holm", "aliases": []}],
            "person_roles": [{"person": "Anna Berg", "role": "kommunalråd", "party": "S"},
                             {"person": "Per Holm", "role": "oppositionsråd", "party": "M"},
                             {"person": "Per Holm", "role": "ledamot", "party": None}]}
    rows = [{"person": "Anna Berg", "role": "kommunalråd", "party": "S"},
            {"person": "Per Holm", "role": "oppositionsråd", "party": None},
            {"person": "Per Holm", "role": "ledamot", "party": None}]
    roles, party = Score(), Score()
    match_role_lists(roles, "doc.md", item, rows, party)
    assert (roles.tp, roles.fp, roles.fn) == (3, 0, 0)
    assert (party.tp, party.fn) == (1, 1)  # the pair without a gold party does not count
    assert party.misses == ["doc.md: 'Per Holm' party None (gold 'M')"]


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("minister", "ministern", True),
        ("grundare", "grundarna", True),
        ("expert", "expert på medborgarinkludering och delägare", True),
        ("bostadsbolagets utvecklingsledare", "utvecklingsledare", True),
        ("projektledare", "forskare", False),
        ("ordförande", "vice ordförandeskap", False),
    ],
)
def test_role_matching_follows_the_guidelines(a, b, same):
    assert roles_match(a, b) is same
