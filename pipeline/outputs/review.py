"""Review sheets: export what the pipeline extracted to a workbook, import the reviewers' verdicts.

Export writes one `.xlsx` with the sheets Entiteter, Roller and Instruktioner.
Import validates the whole workbook before it writes anything, appends the
verdicts to the `reviews` table and turns them into curation rules
(`pipeline/curation.py`) that the next run applies.

Workbooks come from outside, so import reads them defensively: size and
compression limits before parsing (zip bombs), no formulas, no external links,
no macros, a bounded number of rows; openpyxl parses the XML with defusedxml.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import zipfile
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from openpyxl import Workbook, load_workbook
from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from pipeline import UserError
from pipeline.outputs.curation import EVERYWHERE, Curation, curation_path, load_curation, save_curation
from pipeline.store.folder import OutputStore
from pipeline.store.schemas import ENTITY_LABELS, to_arrow

VERDICTS = ("rätt", "fel typ", "ej entitet", "fel avgränsning", "osäker")
# What a reviewer reads in the header row; the import goes by the hidden key row above it (the column
# keys below), so a workbook reads back whatever its headers say, or whatever language they are in.
HEADERS = {"review_id": "id", "title": "rubrik", "source_path": "fil", "label": "typ", "text": "text",
           "normalized": "normaliserat namn", "kb_id": "kb-id", "score": "säkerhet", "source": "funnen av",
           "context": "sammanhang", "person": "person", "role": "roll", "party": "parti", "org": "organisation",
           "evidence": "belägg", "verdict": "omdöme", "corrected_label": "rätt typ",
           "corrected_normalized": "rätt namn", "comment": "kommentar"}
KEY_ROW, HEADER_ROW, FIRST_ROW = 1, 2, 3
REVIEW_ID = re.compile(r"^[ER]-[0-9a-f]{12}$")
NEEDS_LABEL = {"fel typ"}
ENTITY_SHEET, ROLE_SHEET, HELP_SHEET = "Entiteter", "Roller", "Instruktioner"
REVIEWER_COLUMNS = ("verdict", "corrected_label", "corrected_normalized", "comment")
ENTITY_COLUMNS = ("review_id", "title", "source_path", "label", "text", "normalized", "kb_id", "score", "source",
                  "context", *REVIEWER_COLUMNS)
ROLE_COLUMNS = ("review_id", "title", "source_path", "person", "role", "party", "org", "score", "evidence",
                *REVIEWER_COLUMNS)
# Column widths (characters) that together fit a landscape A4 page: the long texts wrap in theirs.
WIDTHS = {"review_id": 11, "title": 22, "source_path": 18, "label": 13, "text": 16, "normalized": 18, "kb_id": 7,
          "score": 7, "source": 11, "context": 46, "evidence": 46, "person": 16, "role": 20, "party": 5, "org": 16,
          "verdict": 12, "corrected_label": 13, "corrected_normalized": 16, "comment": 18}
WRAPPED = ("title", "context", "evidence", "text", "normalized", "role", "org", "source_path")
LOW_SCORE = 0.7
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Limits for untrusted workbooks.
MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024
MAX_COMPRESSION_RATIO = 100
MAX_ROWS = 100_000
INSTRUCTIONS = [
    ("Så granskar du", ""),
    ("1.", "Gå igenom raderna i bladen Entiteter och Roller. De osäkraste (lägst säkerhet) står först."),
    ("2.", "Välj ett omdöme i kolumnen omdöme. Lämna raden tom om du inte hunnit granska den."),
    ("3.", "Spara arbetsboken och lämna den till analytikern, som läser in den med kommunnlp review import."),
    ("", ""),
    ("Omdöme", "Betydelse"),
    ("rätt", "Rätt funnen, rätt typ och rätt normaliserat namn (eller rätt roll)."),
    ("fel typ", "En entitet, men av en annan typ: välj rätt typ i kolumnen rätt typ."),
    ("ej entitet", "Ingen entitet alls (menyord, vanligt ord, webbadress …): tas bort i nästa körning."),
    ("fel avgränsning", "Rätt sak men fel ord med: skriv det rätta namnet i rätt namn (annars tas raden bort)."),
    ("osäker", "Du vet inte: raden kommer med i nästa granskning igen."),
    ("", ""),
    ("Bladet Roller", "Omdömet gäller rollen: ej entitet tar bort rollen, rätt namn byter den mot det du skriver."),
    ("fel typ på Roller", "Personen är ingen person. Med rätt typ ORGANISATION (eller LOCATION) tas rollen bort och "
                          "namnet blir en organisation (plats) i det dokumentet; utan rätt typ tas bara rollen bort."),
    ("", ""),
    ("rätt namn", "Valfritt: det rätta normaliserade namnet (t.ex. hela namnet på en organisation)."),
    ("kommentar", "Valfritt: en kommentar till analytikern."),
    ("säkerhet", "Hur säker körningen var (0–1); under 0,7 är cellen färgad."),
]


class ReviewError(UserError, ValueError):
    """A workbook cannot be exported or imported; the message says where and why."""


# --- export -------------------------------------------------------------------------------
def entity_review_id(doc_id: str, label: str, normalized: str) -> str:
    return "E-" + hashlib.sha256(f"{doc_id}|{label}|{normalized}".encode()).hexdigest()[:12]


def role_review_id(doc_id: str, person: str, role: str) -> str:
    return "R-" + hashlib.sha256(f"{doc_id}|{person}|{role}".encode()).hexdigest()[:12]


def reviewed_ids(store: OutputStore) -> set[str]:
    """Items with a conclusive verdict ("osäker" is not one: those come back)."""
    return {r["review_id"] for r in store.read("reviews", ["review_id", "verdict"]).to_pylist()
            if r["verdict"] != "osäker"}


def export_items(store: OutputStore, run_id: str | None = None, labels: list[str] | None = None,
                 max_score: float | None = None) -> tuple[list[dict], list[dict]]:
    """Distinct unreviewed entities (document, label, normalized) and roles, least certain first."""
    titles = {r["doc_id"]: r["title"] for r in store.read("documents", ["doc_id", "title"]).to_pylist()}
    done = reviewed_ids(store)

    def wanted(row: dict) -> bool:
        return (row["review_status"] == "unreviewed" and (run_id is None or row["run_id"] == run_id)
                and (max_score is None or row["score"] <= max_score))

    entities: dict[str, dict] = {}
    for row in store.read("entities").to_pylist():
        if not wanted(row) or (labels and row["label"] not in labels):
            continue
        review_id = entity_review_id(row["doc_id"], row["extracted_label"], row["extracted_normalized"])
        if review_id in done or (review_id in entities and entities[review_id]["score"] <= row["score"]):
            continue
        entities[review_id] = {
            "review_id": review_id, "title": titles.get(row["doc_id"]), "source_path": row["source_path"],
            "label": row["label"], "text": row["text"], "normalized": row["normalized"], "kb_id": row["kb_id"],
            "score": row["score"], "source": row["source"], "context": _marked(row),
        }
    roles: dict[str, dict] = {}
    for row in store.read("person_roles").to_pylist():
        if not wanted(row) or (labels and "PERSON_ROLE" not in labels):
            continue
        review_id = role_review_id(row["doc_id"], row["person"], row["extracted_role"])
        if review_id in done or review_id in roles:
            continue
        roles[review_id] = {
            "review_id": review_id, "title": titles.get(row["doc_id"]), "source_path": row["source_path"],
            "person": row["person"], "role": row["role"], "party": row["party"], "org": row["org"],
            "score": row["score"], "evidence": row["evidence"],
        }
    return sorted(entities.values(), key=_least_certain_first), sorted(roles.values(), key=_least_certain_first)


def _least_certain_first(item: dict) -> tuple:
    return (item["score"], item["source_path"], item["review_id"])


def _marked(row: dict) -> str:
    """The sentence with the mention in «guillemets»."""
    sentence, text = row["sentence"] or row["text"], row["text"]
    at = sentence.find(text)
    return sentence if at < 0 else f"{sentence[:at]}«{text}»{sentence[at + len(text):]}"


def export_workbook(store: OutputStore, out_dir: Path, **filters) -> tuple[Path, int, int]:
    """Write the review workbook; returns (path, entity rows, role rows)."""
    entities, roles = export_items(store, **filters)
    workbook = Workbook()
    _fill_sheet(workbook.active, ENTITY_SHEET, ENTITY_COLUMNS, entities)
    _fill_sheet(workbook.create_sheet(ROLE_SHEET), ROLE_SHEET, ROLE_COLUMNS, roles)
    _fill_help(workbook.create_sheet(HELP_SHEET))
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"granskning-{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%SZ}.xlsx"
    tmp = path.with_name(f".{path.name}.tmp")
    workbook.save(tmp)
    tmp.replace(path)
    return path, len(entities), len(roles)


def _fill_sheet(sheet, title: str, columns: tuple[str, ...], items: list[dict]) -> None:
    """A sheet a reviewer can read on screen and on paper: a hidden row of column keys for the import, Swedish
    headers, wrapped long texts with rows tall enough for them, landscape pages as wide as the sheet."""
    sheet.title = title
    sheet.append(list(columns))
    sheet.append([HEADERS[c] for c in columns])
    sheet.row_dimensions[KEY_ROW].hidden = True
    for cell in sheet[HEADER_ROW]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for item in items:
        sheet.append([item.get(c) for c in columns])
    for index, column in enumerate(columns, 1):
        sheet.column_dimensions[get_column_letter(index)].width = WIDTHS.get(column, 12)
    for row in sheet.iter_rows(min_row=FIRST_ROW):
        lines = 1
        for column, cell in zip(columns, row, strict=True):
            cell.alignment = Alignment(wrap_text=column in WRAPPED, vertical="top")
            if column in WRAPPED and cell.value:
                lines = max(lines, -(-len(str(cell.value)) // int(WIDTHS.get(column, 12) * 1.1)))
        sheet.row_dimensions[row[0].row].height = 15 * min(lines, 8)  # points; 8 lines at most, then it scrolls
    last = max(len(items) + HEADER_ROW, FIRST_ROW)
    verdict = DataValidation(type="list", formula1='"' + ",".join(VERDICTS) + '"', allow_blank=True)
    verdict.error, verdict.errorTitle = "Välj ett omdöme ur listan.", "Ogiltigt omdöme"
    label = DataValidation(type="list", formula1='"' + ",".join(ENTITY_LABELS) + '"', allow_blank=True)
    sheet.add_data_validation(verdict)
    sheet.add_data_validation(label)
    verdict.add(f"{_letter(columns, 'verdict')}{FIRST_ROW}:{_letter(columns, 'verdict')}{last}")
    label.add(f"{_letter(columns, 'corrected_label')}{FIRST_ROW}:{_letter(columns, 'corrected_label')}{last}")
    score = _letter(columns, "score")
    sheet.conditional_formatting.add(
        f"{score}{FIRST_ROW}:{score}{last}",
        CellIsRule(operator="lessThan", formula=[str(LOW_SCORE)], fill=PatternFill("solid", fgColor="FCE4D6")),
    )
    sheet.freeze_panes = f"A{FIRST_ROW}"
    sheet.auto_filter.ref = f"A{HEADER_ROW}:{get_column_letter(len(columns))}{last}"
    _print_setup(sheet, landscape=True)
    sheet.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    # openpyxl stores a string starting with "=" as a formula: extracted text is data, so store it
    # as a string, with Excel's quote prefix so editing the cell does not turn it into one either.
    for row in sheet.iter_rows(min_row=FIRST_ROW):
        for cell in row:
            if isinstance(cell.value, str) and cell.value.startswith(FORMULA_STARTS):
                cell.data_type = "s"
                cell.quotePrefix = True


def _fill_help(sheet) -> None:
    """The instructions, on one printed page."""
    for row in INSTRUCTIONS:
        sheet.append(list(row))
    sheet.column_dimensions["A"].width = 20
    sheet.column_dimensions["B"].width = 90
    for row in sheet.iter_rows():
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        if row[0].value in ("Så granskar du", "Omdöme", "Bladet Roller"):
            for cell in row:
                cell.font = Font(bold=True)
    _print_setup(sheet, landscape=False, one_page=True)


def _print_setup(sheet, landscape: bool, one_page: bool = False) -> None:
    """A4, as wide as one page (and as tall, for one_page), with narrow margins."""
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.orientation = "landscape" if landscape else "portrait"
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 1 if one_page else 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.page_margins.left = sheet.page_margins.right = 0.4
    sheet.page_margins.top = sheet.page_margins.bottom = 0.5


def _letter(columns: tuple[str, ...], name: str) -> str:
    return get_column_letter(columns.index(name) + 1)


# --- import -------------------------------------------------------------------------------
@dataclass
class Verdict:
    review_id: str
    verdict: str
    corrected_label: str | None
    corrected_normalized: str | None
    comment: str | None
    sheet: str
    row: int


def check_workbook_file(path: Path) -> None:
    """Refuse a file before parsing it: too big, not a zip, a zip bomb, macros or external links."""
    if not path.is_file():
        raise ReviewError(f"{path}: no such file")
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise ReviewError(f"{path}: {size / 1e6:.1f} MB is over the {MAX_FILE_BYTES / 1e6:.0f} MB limit")
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except zipfile.BadZipFile:
        raise ReviewError(f"{path}: not an .xlsx workbook (not a zip archive)") from None
    total = sum(m.file_size for m in members)
    packed = sum(m.compress_size for m in members) or 1
    if total > MAX_UNCOMPRESSED_BYTES or total / packed > MAX_COMPRESSION_RATIO:
        raise ReviewError(f"{path}: refused: unpacks to {total / 1e6:.0f} MB "
                          f"({total / packed:.0f}× its size), which looks like a zip bomb")
    names = [m.filename.lower() for m in members]
    if any("vbaproject" in n for n in names):
        raise ReviewError(f"{path}: refused: the workbook contains macros")
    if any(n.startswith("xl/externallinks/") for n in names):
        raise ReviewError(f"{path}: refused: the workbook links to external workbooks")


def read_verdicts(path: Path, known: set[str] | None = None) -> list[Verdict]:
    """Every filled-in verdict in the workbook, or ReviewError listing every problem with sheet and row.

    With `known`, a review_id outside it is a problem too.
    """
    check_workbook_file(path)
    try:
        workbook = load_workbook(path, read_only=True, data_only=False, keep_links=False, keep_vba=False)
    except Exception as error:
        raise ReviewError(f"{path}: cannot be read as a workbook: {error}") from None
    problems: list[str] = []
    verdicts: list[Verdict] = []
    try:
        for sheet_name in (ENTITY_SHEET, ROLE_SHEET):
            if sheet_name not in workbook.sheetnames:
                problems.append(f"sheet {sheet_name!r} is missing")
                continue
            sheet = workbook[sheet_name]
            if (sheet.max_row or 0) > MAX_ROWS:
                problems.append(f"{sheet_name}: {sheet.max_row} rows is over the {MAX_ROWS} row limit")
                continue
            verdicts.extend(_sheet_verdicts(sheet, sheet_name, problems))
    finally:
        workbook.close()
    if known is not None:
        problems.extend(f"{v.sheet} row {v.row}: unknown review_id {v.review_id!r}" for v in verdicts
                        if v.review_id not in known)
    if problems:
        raise ReviewError(f"{path.name}: nothing imported:\n  " + "\n  ".join(problems))
    return verdicts


def _sheet_verdicts(sheet, sheet_name: str, problems: list[str]) -> list[Verdict]:
    """The filled-in rows. Columns are found by the hidden key row (the first row); a workbook exported
    before it had one has the keys as its header, and is read the same way."""
    rows = sheet.iter_rows(values_only=False)
    header = [c.value for c in next(rows, [])]
    missing = [c for c in ("review_id", *REVIEWER_COLUMNS) if c not in header]
    if missing:
        problems.append(f"{sheet_name}: columns missing: {', '.join(missing)}")
        return []
    at = {name: header.index(name) for name in header if name}
    found = []
    for cells in rows:
        if not cells or all(c.value in (None, "") for c in cells):
            continue
        number = cells[0].row
        if number > MAX_ROWS + 1:  # read-only sheets need not declare their size, so count as we go
            problems.append(f"{sheet_name}: more than {MAX_ROWS} rows is over the row limit")
            break
        if any(getattr(c, "data_type", None) == "f" for c in cells):
            problems.append(f"{sheet_name} row {number}: contains a formula; only values are accepted")
            continue
        identifier = cells[at["review_id"]].value if at["review_id"] < len(cells) else None
        if number == HEADER_ROW and not REVIEW_ID.match(str(identifier or "")):
            continue  # the visible header row, whatever a reviewer made of it
        values = {name: _clean(cells[i].value) if i < len(cells) else None for name, i in at.items()}
        value = values.get
        verdict = value("verdict")
        if verdict is None:
            continue
        if verdict not in VERDICTS:
            problems.append(f"{sheet_name} row {number}: verdict {verdict!r} is not one of {', '.join(VERDICTS)}")
            continue
        corrected_label = value("corrected_label")
        if verdict in NEEDS_LABEL and corrected_label is None and sheet_name == ENTITY_SHEET:
            problems.append(f"{sheet_name} row {number}: verdict {verdict!r} needs a corrected_label")
            continue
        if corrected_label is not None and corrected_label not in ENTITY_LABELS:
            problems.append(f"{sheet_name} row {number}: corrected_label {corrected_label!r} is not one of "
                            f"{', '.join(ENTITY_LABELS)}")
            continue
        review_id = value("review_id")
        if not review_id:
            problems.append(f"{sheet_name} row {number}: review_id is empty")
            continue
        found.append(Verdict(review_id, verdict, corrected_label, value("corrected_normalized"),
                             value("comment"), sheet_name, number))
    return found


def _clean(value) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def import_workbooks(store: OutputStore, paths: list[Path], reviewer: str | None) -> tuple[int, int]:
    """Validate every workbook, then append new verdicts and extend the curation. Returns (added, skipped)."""
    known = _known_items(store)
    batches: list[tuple[Path, list[Verdict]]] = []
    problems: list[str] = []
    for path in paths:
        try:
            batches.append((path, read_verdicts(path, set(known))))
        except ReviewError as error:
            problems.append(str(error))
    if problems:
        raise ReviewError("\n".join(problems))
    existing = {_key(r) for r in store.read("reviews").to_pylist()}
    now = dt.datetime.now(dt.UTC)
    rows = []
    for path, verdicts in batches:
        for v in verdicts:
            item = known[v.review_id]
            row = {"review_id": v.review_id, "doc_id": item["doc_id"], "label": item["label"],
                   "normalized": item["normalized"], "verdict": v.verdict, "corrected_label": v.corrected_label,
                   "corrected_normalized": v.corrected_normalized, "comment": v.comment, "reviewer": reviewer,
                   "imported_at": now, "sheet_file": path.name, "sheet_row": v.row}
            if _key(row) not in existing:
                existing.add(_key(row))
                rows.append(row)
    skipped = sum(len(v) for _, v in batches) - len(rows)
    if rows:
        store.commit(f"reviews-{now:%Y%m%dT%H%M%S%fZ}", {"reviews": to_arrow("reviews", rows)})
    _update_curation(store, known)
    return len(rows), skipped


def _key(row: dict) -> tuple:
    return (row["review_id"], row["verdict"], row["corrected_label"], row["corrected_normalized"], row["comment"])


def _known_items(store: OutputStore) -> dict[str, dict]:
    """review_id → what it names, from the entity and role rows as extracted."""
    items: dict[str, dict] = {}
    for row in store.read("entities", ["doc_id", "extracted_label", "extracted_normalized"]).to_pylist():
        review_id = entity_review_id(row["doc_id"], row["extracted_label"], row["extracted_normalized"])
        items[review_id] = {"doc_id": row["doc_id"], "label": row["extracted_label"],
                            "normalized": row["extracted_normalized"], "table": "entities"}
    for row in store.read("person_roles", ["doc_id", "person", "extracted_role"]).to_pylist():
        review_id = role_review_id(row["doc_id"], row["person"], row["extracted_role"])
        items[review_id] = {"doc_id": row["doc_id"], "label": "PERSON_ROLE", "normalized": row["extracted_role"],
                            "person": row["person"], "table": "person_roles"}
    return items


def _update_curation(store: OutputStore, known: dict[str, dict]) -> None:
    """Rebuild the reviewer-made rules from every imported verdict; keep the hand-written ones."""
    path = curation_path(store.root)
    curation = load_curation(path)
    hand_written = [r for r in curation.rules if not r.get("from_review")]
    latest: dict[str, dict] = {}
    for row in sorted(store.read("reviews").to_pylist(), key=lambda r: r["imported_at"]):
        latest[row["review_id"]] = row
    rules: list[dict] = []
    not_entities: dict[tuple[str, str], set[str]] = defaultdict(set)
    for review_id, row in latest.items():
        item = known.get(review_id)
        if item is None:
            continue
        rules.extend(_rules_for(item, row))
        if row["verdict"] == "ej entitet" and item["table"] == "entities":
            not_entities[(item["label"], item["normalized"])].add(item["doc_id"])
    for (label, normalized), docs in sorted(not_entities.items()):
        if len(docs) >= curation.suppress_everywhere_after:
            rules.append({"table": "entities", "doc_id": EVERYWHERE, "label": label, "normalized": normalized,
                          "action": "suppress", "from_review": "repeated"})
    save_curation(path, Curation(hand_written + rules, curation.suppress_everywhere_after))


def _rules_for(item: dict, row: dict) -> list[dict]:
    """The curation rules one verdict makes."""
    verdict, new_label, new_name = row["verdict"], row["corrected_label"], row["corrected_normalized"]
    if item["table"] == "person_roles":
        base = {"table": "person_roles", "doc_id": item["doc_id"], "person": item["person"],
                "role": item["normalized"], "from_review": row["review_id"]}
        if verdict == "fel typ" and new_label:  # "the person is an organisation": the name changes type too
            return [{**base, "action": "suppress"},
                    {"table": "entities", "doc_id": item["doc_id"], "label": "PERSON", "normalized": item["person"],
                     "action": "relabel", "new_label": new_label, "new_normalized": new_name,
                     "from_review": row["review_id"]}]
        if verdict in ("ej entitet", "fel typ"):
            return [{**base, "action": "suppress"}]
        if new_name:
            return [{**base, "action": "rename", "new_role": new_name}]
        return [{**base, "action": "confirm"}] if verdict == "rätt" else []
    base = {"table": "entities", "doc_id": item["doc_id"], "label": item["label"], "normalized": item["normalized"],
            "from_review": row["review_id"]}
    if verdict == "ej entitet" or (verdict == "fel avgränsning" and not new_name):
        return [{**base, "action": "suppress"}]
    if verdict == "fel typ":
        return [{**base, "action": "relabel", "new_label": new_label, "new_normalized": new_name}]
    if new_name:
        return [{**base, "action": "rename", "new_normalized": new_name}]
    return [{**base, "action": "confirm"}] if verdict == "rätt" else []
