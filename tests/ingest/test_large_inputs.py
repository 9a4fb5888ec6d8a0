"""Inputs a municipality's archive or a scraper really produces: long documents, deep HTML, big JSON Lines."""

from __future__ import annotations

import json

import pytest
from conftest import run, sql

from pipeline.ingest.formats import ParseError, nesting_depth, parse_html
from pipeline.ingest.jsonl import lines_of, segments

SENTENCE = ("Kommunstyrelsens ordförande Anna Karlsson (S) i Ale kommun bjöd in till ett dialogmöte om "
            "den nya skolan.")


@pytest.mark.parametrize("content", [b"", b"a\nb\nc", b"a\nb\nc\n", b"\n\n", b"x" * 50 + b"\nkort\n" + b"y" * 30,
                                     b"a\r\nbb\r\n", b"z" * 21, b"z" * 20 + b"\n" + b"q" * 21 + b"\n"])
@pytest.mark.parametrize("per_segment", [1, 2, 3])
def test_segments_give_every_line_once_with_its_number_and_lines_over_the_limit_only_measured(
        tmp_path, content, per_segment):
    path = tmp_path / "export.jsonl"
    path.write_bytes(content)
    got = [(line.number, line.data, line.size) for segment in segments(path, per_segment)
           for line in lines_of(path, segment, max_bytes=20)]
    lines = content.split(b"\n")
    if lines[-1] == b"":
        lines = lines[:-1]
    assert got == [(n, line if len(line) <= 20 else None, len(line)) for n, line in enumerate(lines, 1)]


def test_a_json_lines_file_over_the_size_limit_is_read_record_by_record(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    articles = [json.dumps({"text": f"Nyhet nummer {n}: {SENTENCE}", "title": f"Nyhet {n}"}, ensure_ascii=False)
                for n in range(1, 131)]
    articles.insert(100, json.dumps({"text": "Ett mycket långt inlägg. " * 200}, ensure_ascii=False))
    (raw / "export.jsonl").write_text("\n".join(articles) + "\n", encoding="utf-8")
    assert (raw / "export.jsonl").stat().st_size > 4_000

    summary = run(raw, tmp_path / "out", max_bytes=4_000, batch_size=60)  # two segments, in three batches

    assert summary["files"] == 131 and summary["new"] == 130 and summary["quarantined"] == 1
    (path, reason), = sql(tmp_path / "out", "SELECT source_path, reason FROM quarantine")
    assert path == "export.jsonl#101" and reason.startswith("line is") and "over the" in reason
    assert sql(tmp_path / "out", "SELECT count(DISTINCT source_path) FROM files WHERE status = 'document'") == [(130,)]
    again = run(raw, tmp_path / "out", max_bytes=4_000, batch_size=60)
    assert again["unchanged"] == 131 and again["new"] == 0


DEEP = ("<html><head><title>Ny skola</title></head><body>" + "<div>" * 20_000
        + f"<p>{SENTENCE}</p><p>Andra stycket &amp; mer.</p>" + "</div>" * 20_000 + "</body></html>")


def test_html_nested_20000_deep_gives_its_text():
    assert nesting_depth(DEEP) == 20_003  # html, body, the divs, p
    parsed = parse_html(DEEP)
    assert SENTENCE in parsed.text and "Andra stycket & mer." in parsed.text
    assert parsed.metadata["title"] == "Ny skola"


def test_deep_html_without_text_says_how_deep_it_was():
    with pytest.raises(ParseError, match="nested 20002 elements deep"):
        parse_html("<html><body>" + "<div>" * 20_000 + "</div>" * 20_000 + "</body></html>")


def test_ordinary_html_is_not_flattened():
    page = "<html><body><div><ul><li><p>Text</p></li></ul></div></body></html>"
    assert nesting_depth(page) == 6


def test_a_deep_page_in_a_run_is_a_document(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "djup.html").write_text(DEEP, encoding="utf-8")
    summary = run(raw, tmp_path / "out")
    assert summary["new"] == 1 and summary["quarantined"] == 0
    (text,), = sql(tmp_path / "out", "SELECT text FROM documents")
    assert SENTENCE in text


@pytest.mark.slow
def test_a_long_document_is_analysed_in_parts_with_offsets_in_the_whole_text(tmp_path):
    """Three parts of at most PART_CHARS, over two workers: every entity slices the whole text, and a role or
    label the document gives in every part is one row. (That two workers give the rows one gives is
    tests/flows/test_scale.py's.)"""
    from pipeline import check
    from pipeline.analysis import PART_CHARS, parts_of
    from pipeline.ingest.formats import Parsed
    from pipeline.ingest.read import make_document

    text = " ".join([SENTENCE] * (2 * PART_CHARS // len(SENTENCE) + 50))
    parts = list(parts_of([make_document(Parsed(text), "arsredovisning.txt", "txt", "utf-8")]))
    assert len(parts) == 3 and "".join(p.document.text for p in parts) == text
    assert [p.offset for p in parts] == [0, len(parts[0].document.text), len(parts[0].document.text)
                                         + len(parts[1].document.text)]
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "arsredovisning.txt").write_text(text, encoding="utf-8")
    run(raw, tmp_path / "out", workers=2)
    assert check(tmp_path / "out").ok  # every entity's text is the slice of the whole text at its offsets
    starts = [row[0] for row in sql(tmp_path / "out", "SELECT start_char FROM entities WHERE label = 'PERSON'")]
    assert len(starts) == text.count("Anna Karlsson") and max(starts) > 2 * PART_CHARS
    roles = sql(tmp_path / "out", "SELECT person, role, party FROM person_roles")
    assert roles == [("Anna Karlsson", "ordförande", "S")]  # (the organisation, kommunstyrelsen, in org)
    assert sql(tmp_path / "out", "SELECT label FROM dialogue_methods") == [("dialogmote",)]
