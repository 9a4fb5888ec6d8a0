"""Reading inputs: every file ends as a document, unchanged, skipped or quarantined with a reason."""

from pipeline.ingest.discover import discover
from pipeline.ingest.read import read_inputs


def _by_path(outcomes):
    return {o.source_path: o for o in outcomes}


def test_bad_inputs_are_quarantined_with_stage_and_reason(tmp_path):
    (tmp_path / "bra.txt").write_text("Umeå kommun bygger en ny skola i centrum.", encoding="utf-8")
    (tmp_path / "tom.txt").write_bytes(b"")
    (tmp_path / "blank.txt").write_text(" \n\t\n")
    (tmp_path / "pdf.txt").write_bytes(b"%PDF-1.4\n%\xe2\xe3\n")
    (tmp_path / "trasig.txt").write_bytes("Luleå".encode() + b"\xff\xfe")
    (tmp_path / "stor.txt").write_text("ord " * 3000)
    (tmp_path / "fm.md").write_text('---\ntitle: "x\n---\ntext')
    (tmp_path / "bild.pdf").write_bytes(b"%PDF-1.4")
    items = discover(tmp_path)
    (tmp_path / "bra.txt").rename(tmp_path / "flyttad.txt")  # vanishes between discovery and reading
    outcomes = _by_path(read_inputs(items, {}, max_bytes=10_000))

    expected = {
        "bra.txt": ("read", "vanished"),
        "tom.txt": ("read", "empty file"),
        "blank.txt": ("read", "only white space"),
        "pdf.txt": ("decode", "PDF"),
        "trasig.txt": ("decode", "invalid UTF-8"),
        "stor.txt": ("read", "over the"),
        "fm.md": ("parse", "front matter"),
        "bild.pdf": ("discover", "unsupported file type .pdf"),
    }
    for path, (stage, reason) in expected.items():
        outcome = outcomes[path]
        assert outcome.status in ("quarantined", "skipped"), path
        assert outcome.stage == stage, path
        assert reason in outcome.reason, (path, outcome.reason)


def test_unchanged_inputs_are_not_reparsed_and_force_reparses(tmp_path):
    (tmp_path / "a.txt").write_text("Västerås kommun har fått en ny stadsdirektör.")
    (tmp_path / "b.jsonl").write_text('{"text": "Kiruna flyttar sin stadskärna."}\n{"text": \n')
    first = _by_path(read_inputs(discover(tmp_path), {}))
    assert first["a.txt"].status == "new"
    assert first["b.jsonl#1"].status == "new"
    assert first["b.jsonl#2"].status == "quarantined"
    previous = {p: o.file_sha256 for p, o in first.items()}

    again = read_inputs(discover(tmp_path), previous)
    assert {o.status for o in again} == {"unchanged"}
    forced = _by_path(read_inputs(discover(tmp_path), previous, force=True))
    assert forced["a.txt"].status == "new"


def test_same_text_has_the_same_doc_id(tmp_path):
    (tmp_path / "a.txt").write_text("Borås kommun inviger en ny park.\n")
    (tmp_path / "b.txt").write_text("Borås kommun inviger en ny park.\r\n\r\n")
    a, b = read_inputs(discover(tmp_path), {})
    assert a.document.doc_id == b.document.doc_id
