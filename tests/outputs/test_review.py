"""The review loop for real: export a workbook, fill it in with openpyxl as a reviewer would, import, run again."""

from __future__ import annotations

import shutil
import subprocess
import zipfile

import pytest
import yaml
from conftest import EXAMPLES, run, sql
from openpyxl import load_workbook

from flows.cli import main
from pipeline.outputs.review import (
    ENTITY_SHEET,
    FIRST_ROW,
    HELP_SHEET,
    KEY_ROW,
    ROLE_SHEET,
    ReviewError,
    import_workbooks,
    read_verdicts,
)
from pipeline.store.folder import OutputStore


@pytest.fixture
def processed(tmp_path, dev_corpus):
    out = tmp_path / "processed"
    run(dev_corpus, out)
    return dev_corpus, out


def _export(out, tmp_path, *extra) -> object:
    assert main(["review", "export", "--processed", str(out), "--out", str(tmp_path / "sheets"), *extra]) == 0
    return sorted((tmp_path / "sheets").glob("*.xlsx"))[-1]


def _rows(sheet) -> list[dict]:
    """The data rows by column key (the hidden first row), below the visible Swedish header."""
    header = [c.value for c in sheet[KEY_ROW]]
    return [dict(zip(header, (c.value for c in row), strict=False)) | {"_row": row[0].row}
            for row in sheet.iter_rows(min_row=FIRST_ROW)]


def test_export_import_and_the_next_run_applies_the_verdicts(processed, tmp_path):
    corpus, out = processed
    path = _export(out, tmp_path)
    workbook = load_workbook(path)
    assert workbook.sheetnames == [ENTITY_SHEET, ROLE_SHEET, HELP_SHEET]
    sheet = workbook[ENTITY_SHEET]
    rows = _rows(sheet)
    assert [r["score"] for r in rows] == sorted(r["score"] for r in rows)  # least certain first
    assert sheet.freeze_panes == f"A{FIRST_ROW}" and sheet.auto_filter.ref
    assert sheet.row_dimensions[KEY_ROW].hidden and sheet["A2"].value == "id"  # Swedish headers on show
    assert any("«" in (r["context"] or "") for r in rows)
    header = [c.value for c in sheet[KEY_ROW]]
    col = {name: header.index(name) + 1 for name in header}

    person = next(r for r in rows if r["label"] == "PERSON")
    org = next(r for r in rows if r["label"] == "ORGANISATION")
    municipality = next(r for r in rows if r["label"] == "MUNICIPALITY")
    sheet.cell(person["_row"], col["verdict"], "ej entitet")
    sheet.cell(org["_row"], col["verdict"], "fel typ")
    sheet.cell(org["_row"], col["corrected_label"], "LOCATION")
    sheet.cell(municipality["_row"], col["verdict"], "rätt")
    workbook.save(path)

    assert main(["review", "import", str(path), "--processed", str(out), "--reviewer", "testare"]) == 0
    assert sql(out, "SELECT count(*) FROM reviews")[0][0] == 3
    assert main(["review", "import", str(path), "--processed", str(out)]) == 0  # twice: nothing more
    assert sql(out, "SELECT count(*) FROM reviews")[0][0] == 3

    run(corpus, out)  # the next run applies the curation
    doc = lambda r: f"source_path = '{r['source_path']}'"  # noqa: E731
    assert sql(out, f"SELECT count(*) FROM entities WHERE {doc(person)} AND normalized = "
                    f"'{person['normalized']}' AND label = 'PERSON'") == [(0,)]
    assert sql(out, f"SELECT DISTINCT label, review_status FROM entities WHERE {doc(org)} AND extracted_normalized = "
                    f"'{org['normalized']}' AND extracted_label = 'ORGANISATION'") == [("LOCATION", "corrected")]
    assert ("confirmed",) in sql(out, f"SELECT DISTINCT review_status FROM entities WHERE {doc(municipality)} AND "
                                      f"normalized = '{municipality['normalized']}'")
    again = {r["review_id"] for r in _rows(load_workbook(_export(out, tmp_path))[ENTITY_SHEET])}
    assert not again & {person["review_id"], org["review_id"], municipality["review_id"]}

    # an analyst takes the suppression back: the document is analysed again and the row comes back
    curation = out / "curation.yaml"
    rules = yaml.safe_load(curation.read_text(encoding="utf-8"))
    rules["rules"] = [rule for rule in rules["rules"] if rule["action"] != "suppress"]
    curation.write_text(yaml.safe_dump(rules, allow_unicode=True), encoding="utf-8")
    back = run(corpus, out)
    assert back["reprocessed_because"] == {"curation changed": 1}
    assert sql(out, f"SELECT count(*) FROM entities WHERE {doc(person)} AND normalized = "
                    f"'{person['normalized']}' AND label = 'PERSON'")[0][0] >= 1


def test_an_invalid_workbook_imports_nothing_and_names_sheet_and_rows(processed, tmp_path):
    _, out = processed
    path = _export(out, tmp_path)
    workbook = load_workbook(path)
    sheet = workbook[ENTITY_SHEET]
    header = [c.value for c in sheet[KEY_ROW]]
    verdict, review_id = header.index("verdict") + 1, header.index("review_id") + 1
    sheet.cell(3, verdict, "rätt")
    sheet.cell(4, verdict, "kanske")
    sheet.cell(5, verdict, "fel typ")
    sheet.cell(6, verdict, "rätt")
    sheet.cell(6, review_id, "E-finnsinte")
    workbook.save(path)
    with pytest.raises(ReviewError) as error:
        import_workbooks(OutputStore(out), [path], "testare")
    message = str(error.value)
    assert "Entiteter row 4" in message and "'kanske'" in message
    assert "Entiteter row 5" in message and "needs a corrected_label" in message
    assert "Entiteter row 6" in message and "unknown review_id" in message
    assert sql(out, "SELECT count(*) FROM reviews") == [(0,)]


def test_formula_looking_text_is_exported_as_text(tmp_path):
    source = tmp_path / "in"
    source.mkdir()
    (source / "a.txt").write_text("=HYPERLINK(\"http://x\") och Umeå kommun.\n\n"
                                  "Umeå kommun bjuder in till dialogmöte om stadsplanering i centrum.\n")
    out = tmp_path / "out"
    run(source, out)
    path = _export(out, tmp_path)
    with zipfile.ZipFile(path) as archive:
        sheet_xml = archive.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet_xml  # no cell is a formula
    workbook = load_workbook(path)
    contexts = [c.value for c in workbook[ENTITY_SHEET]["J"][FIRST_ROW - 1:]]
    assert any(str(v).startswith("=HYPERLINK") for v in contexts)


def test_a_real_spreadsheet_program_reads_the_export(processed, tmp_path):
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.skip("LibreOffice is not installed (.ci/run installs it)")
    _, out = processed
    path = _export(out, tmp_path)
    result = subprocess.run([soffice, "--headless", "--convert-to", "csv", "--outdir", str(tmp_path / "csv"),
                             str(path)], capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr
    csv_text = next((tmp_path / "csv").glob("*.csv")).read_text(encoding="utf-8", errors="replace")
    assert csv_text.splitlines()[0].startswith("review_id,title,source_path,label")  # the hidden key row
    assert csv_text.splitlines()[1].startswith("id,rubrik,fil,typ")
    assert len(csv_text.splitlines()) > 5


@pytest.mark.parametrize("kind", ["not-a-zip", "macros", "external-links", "zip-bomb", "formula", "xml-bomb",
                                  "oversized-sheet"])
def test_untrusted_workbooks_are_refused(tmp_path, kind):
    path = tmp_path / "sheet.xlsx"
    if kind == "not-a-zip":
        path.write_bytes(b"this is not a workbook")
        expected = "not an .xlsx"
    elif kind == "formula":
        from openpyxl import Workbook

        workbook = Workbook()
        sheet = workbook.active
        sheet.title = ENTITY_SHEET
        sheet.append(["review_id", "verdict", "corrected_label", "corrected_normalized", "comment"])
        sheet.append(["E-1", "=1+1", None, None, None])
        workbook.create_sheet(ROLE_SHEET).append(["review_id", "verdict", "corrected_label",
                                                  "corrected_normalized", "comment"])
        workbook.save(path)
        expected = "formula"
    elif kind == "oversized-sheet":
        from openpyxl import Workbook

        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet(ENTITY_SHEET)
        sheet.append(["review_id", "verdict", "corrected_label", "corrected_normalized", "comment"])
        for i in range(100_001):
            sheet.append([f"E-{i}", None, None, None, None])
        workbook.create_sheet(ROLE_SHEET).append(["review_id"])
        workbook.save(path)
        expected = "row limit"
    elif kind == "xml-bomb":
        from openpyxl import Workbook

        Workbook().save(path)
        laughs = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
                  + "".join(f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
                            for i in range(1, 10))
                  + ']><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                  '<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c></row></sheetData>'
                  "</worksheet>")
        with zipfile.ZipFile(path) as original:
            parts = {name: original.read(name) for name in original.namelist()}
        parts["xl/worksheets/sheet1.xml"] = laughs.encode()
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, data in parts.items():
                archive.writestr(name, data)
        expected = "cannot be read|sheet 'Entiteter' is missing|DTD|entit"
    else:
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("[Content_Types].xml", "<Types/>")
            if kind == "macros":
                archive.writestr("xl/vbaProject.bin", b"\x00" * 10)
                expected = "macros"
            elif kind == "external-links":
                archive.writestr("xl/externalLinks/externalLink1.xml", "<externalLink/>")
                expected = "external"
            else:
                archive.writestr("xl/worksheets/sheet1.xml", "<a>" + " " * 50_000_000 + "</a>")
                expected = "zip bomb"
    with pytest.raises(ReviewError, match=expected):
        read_verdicts(path)


def test_examples_export_has_instructions_in_swedish(tmp_path):
    out = tmp_path / "out"
    run(EXAMPLES, out)
    workbook = load_workbook(_export(out, tmp_path))
    text = " ".join(str(c.value) for row in workbook[HELP_SHEET].iter_rows() for c in row if c.value)
    assert "ej entitet" in text and "Omdöme" in text


def test_headers_in_any_language_import_and_fel_typ_on_roles_changes_the_name_too(processed, tmp_path):
    corpus, out = processed
    path = _export(out, tmp_path)
    workbook = load_workbook(path)
    sheet = workbook[ROLE_SHEET]
    for cell in sheet[2]:  # a reviewer rewrites the visible headers in English
        cell.value = f"column {cell.column}"
    role = _rows(sheet)[0]
    header = [c.value for c in sheet[KEY_ROW]]
    sheet.cell(role["_row"], header.index("verdict") + 1, "fel typ")
    sheet.cell(role["_row"], header.index("corrected_label") + 1, "ORGANISATION")
    workbook.save(path)
    assert main(["review", "import", str(path), "--processed", str(out)]) == 0
    run(corpus, out)
    where = f"source_path = '{role['source_path']}'"
    assert sql(out, f"SELECT count(*) FROM person_roles WHERE {where} AND person = '{role['person']}' "
                    f"AND extracted_role = '{role['role']}'") == [(0,)]
    assert ("ORGANISATION",) in sql(out, f"SELECT DISTINCT label FROM entities WHERE {where} "
                                         f"AND extracted_normalized = '{role['person']}'")


def test_the_workbook_prints_landscape_readably_and_the_instructions_fit_one_page(tmp_path):
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.skip("LibreOffice is not installed (.ci/run installs it)")
    from pypdf import PdfReader

    out = tmp_path / "out"
    run(EXAMPLES, out)
    path = _export(out, tmp_path)
    workbook = load_workbook(path)
    for name in (ENTITY_SHEET, ROLE_SHEET):
        setup = workbook[name].page_setup
        assert setup.orientation == "landscape" and setup.fitToWidth == 1
        assert workbook[name].print_title_rows in ("2:2", "$2:$2")  # the header on every page
    pdfs = {}
    for name in (ENTITY_SHEET, ROLE_SHEET, HELP_SHEET):  # each sheet alone, as a reviewer prints it
        single = load_workbook(path)
        for other in [s for s in single.sheetnames if s != name]:
            del single[other]
        sheet_path = tmp_path / f"{name}.xlsx"
        single.save(sheet_path)
        result = subprocess.run([soffice, "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path / "pdf"),
                                 str(sheet_path)], capture_output=True, text=True, timeout=180)
        assert result.returncode == 0, result.stderr
        pdfs[name] = PdfReader(tmp_path / "pdf" / f"{name}.pdf")
    rows = len(_rows(workbook[ENTITY_SHEET]))
    assert len(pdfs[HELP_SHEET].pages) == 1
    assert len(pdfs[ENTITY_SHEET].pages) <= max(1, rows // 8)  # not a page per row or two
    text = pdfs[HELP_SHEET].pages[0].extract_text()
    assert "fel typ på Roller" in text and "ORGANISATION" in text
    page = pdfs[ENTITY_SHEET].pages[0]
    assert page.mediabox.width > page.mediabox.height  # landscape
    assert "omdöme" in page.extract_text() and "sammanhang" in page.extract_text()
