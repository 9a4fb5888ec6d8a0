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
NEEDS_LABEL = {"fel typ"}
ENTITY_SHEET, ROLE_SHEET, HELP_SHEET = "Entiteter", "Roller", "Instruktioner"
REVIEWER_COLUMNS = ("verdict", "corrected_label", "corrected_normalized", "comment")
ENTITY_COLUMNS = ("review_id", "title", "source_path", "label", "text", "normalized", "kb_id", "score", "source",
                  "context", *REVIEWER_COLUMNS)
ROLE_COLUMNS = ("review_id", "title", "source_path", "person", "role", "party", "org", "score", "evidence",
                *REVIEWER_COLUMNS)
WIDTHS = {"review_id": 16, "title": 30, "source_path": 28, "context": 70, "evidence": 70, "text": 22,
          "normalized": 24, "role": 28, "person": 22, "comment": 30, "corrected_normalized": 24,
          "corrected_label": 16, "verdict": 16}
LOW_SCORE = 0.7
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Limits for untrusted workbooks.
MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024
MAX_COMPRESSION_RATIO = 100
MAX_ROWS = 100_000
INSTRUCTIONS = [
    ("Så granskar du", ""),
    ("1.", "Gå igenom raderna i bladen Entiteter och Roller. De osäkraste (lägst score) står först."),
    ("2.", "Välj ett omdöme i kolumnen verdict. Lämna raden tom om du inte hunnit granska den."),
    ("3.", "Spara arbetsboken och lämna den till analytikern, som läser in den med "
           "`kommunnlp review import`."),
    ("", ""),
    ("Omdöme", "Betydelse"),
    ("rätt", "Entiteten (eller rollen) är rätt funnen, rätt typ och rätt normaliserad."),
    ("fel typ", "Det är en entitet men av en annan typ. Välj rätt typ i corrected_label."),
    ("ej entitet", "Det är ingen entitet alls (menyord, vanligt ord, webbadress …). Den tas bort i nästa körning."),
    ("fel avgränsning", "Rätt sak men fel ord med. Skriv det rätta namnet i corrected_normalized."),
    ("osäker", "Du vet inte. Raden kommer med i nästa granskning igen."),
    ("", ""),
    ("corrected_normalized", "Valfritt: det rätta normaliserade namnet (t.ex. hela namnet på en organisation)."),
    ("comment", "Valfritt: en kommentar till analytikern."),
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
    help_sheet = workbook.create_sheet(HELP_SHEET)
    for row in INSTRUCTIONS:
        help_sheet.append([v for v in row])
    help_sheet.column_dimensions["A"].width = 24
    help_sheet.column_dimensions["B"].width = 100
    for cell in ("A1", "A6", "B6"):
        help_sheet[cell].font = Font(bold=True)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"granskning-{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%SZ}.xlsx"
    tmp = path.with_name(f".{path.name}.tmp")
    workbook.save(tmp)
    tmp.replace(path)
    return path, len(entities), len(roles)


def _fill_sheet(sheet, title: str, columns: tuple[str, ...], items: list[dict]) -> None:
    sheet.title = title
    sheet.append(list(columns))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
    for item in items:
        sheet.append([item.get(c) for c in columns])
    for index, column in enumerate(columns, 1):
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = WIDTHS.get(column, 12)
        if column in ("context", "evidence", "title"):
            for cell in sheet[letter][1:]:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
    last = max(len(items) + 1, 2)
    verdict = DataValidation(type="list", formula1='"' + ",".join(VERDICTS) + '"', allow_blank=True)
    verdict.error, verdict.errorTitle = "Välj ett omdöme ur listan.", "Ogiltigt omdöme"
    label = DataValidation(type="list", formula1='"' + ",".join(ENTITY_LABELS) + '"', allow_blank=True)
    sheet.add_data_validation(verdict)
    sheet.add_data_validation(label)
    verdict.add(f"{_letter(columns, 'verdict')}2:{_letter(columns, 'verdict')}{last}")
    label.add(f"{_letter(columns, 'corrected_label')}2:{_letter(columns, 'corrected_label')}{last}")
    score = _letter(columns, "score")
    sheet.conditional_formatting.add(
        f"{score}2:{score}{last}",
        CellIsRule(operator="lessThan", formula=[str(LOW_SCORE)], fill=PatternFill("solid", fgColor="FCE4D6")),
    )
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{last}"
    # openpyxl stores a string starting with "=" as a formula: extracted text is data, so store it
    # as a string, with Excel's quote prefix so editing the cell does not turn it into one either.
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            if isinstance(cell.value, str) and cell.value.startswith(FORMULA_STARTS):
                cell.data_type = "s"
                cell.quotePrefix = True


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
        rule = _rule_for(item, row)
        if rule:
            rules.append(rule)
        if row["verdict"] == "ej entitet" and item["table"] == "entities":
            not_entities[(item["label"], item["normalized"])].add(item["doc_id"])
    for (label, normalized), docs in sorted(not_entities.items()):
        if len(docs) >= curation.suppress_everywhere_after:
            rules.append({"table": "entities", "doc_id": EVERYWHERE, "label": label, "normalized": normalized,
                          "action": "suppress", "from_review": "repeated"})
    save_curation(path, Curation(hand_written + rules, curation.suppress_everywhere_after))


def _rule_for(item: dict, row: dict) -> dict | None:
    verdict, new_label, new_name = row["verdict"], row["corrected_label"], row["corrected_normalized"]
    if item["table"] == "person_roles":
        base = {"table": "person_roles", "doc_id": item["doc_id"], "person": item["person"],
                "role": item["normalized"], "from_review": row["review_id"]}
        if verdict in ("ej entitet", "fel typ"):
            return {**base, "action": "suppress"}
        if new_name:
            return {**base, "action": "rename", "new_role": new_name}
        return {**base, "action": "confirm"} if verdict == "rätt" else None
    base = {"table": "entities", "doc_id": item["doc_id"], "label": item["label"], "normalized": item["normalized"],
            "from_review": row["review_id"]}
    if verdict == "ej entitet" or (verdict == "fel avgränsning" and not new_name):
        return {**base, "action": "suppress"}
    if verdict == "fel typ":
        return {**base, "action": "relabel", "new_label": new_label, "new_normalized": new_name}
    if new_name:
        return {**base, "action": "rename", "new_normalized": new_name}
    return {**base, "action": "confirm"} if verdict == "rätt" else None
