"""Annotation worksheets: a document's text with its spans marked inline, for an annotator to correct.

A worksheet is a plain text file an annotator edits in any editor:

    <!-- id: bench:pressmeddelanden/2023/02/x.md -->
    <!-- sha256: 5e1f… -->
    === TEXT ===
    [[Socialtjänstministern|…]] … säger [[Camilla Waltersson Grönvall|PER]], socialtjänstminister.
    Besöket i [[Skellefteå kommun|MUN|Skellefteå]] …
    === ANNOTATION ===
    language: sv
    person_roles:
    - {person: Camilla Waltersson Grönvall, role: socialtjänstminister, party: null, org: null}
    dialogue_methods: []
    cooperation_themes: [halsa_omsorg]

A span is `[[surface|LABEL]]` or `[[surface|LABEL|canonical]]`: LABEL is PER,
ORG, LOC or MUN (a municipality: LOC or ORG in NER terms, a MUNICIPALITY in
the product's); the canonical name defaults to the surface form. Removing the
markup must give back the text exactly (`read_worksheet` checks it against
the SHA-256), so offsets computed from it slice `documents.text`.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import yaml

SPAN_LABELS = ("PER", "ORG", "LOC", "MUN")
_SPAN = re.compile(r"\[\[([^\[\]|]+?)\|([A-Z]{3})(?:\|([^\[\]|]+?))?\]\]")
_HEADER = re.compile(r"<!--\s*(\w+):\s*(.*?)\s*-->")
TEXT_MARK, ANNOTATION_MARK = "=== TEXT ===", "=== ANNOTATION ==="
DOC_FIELDS = ("language", "person_roles", "dialogue_methods", "cooperation_themes")


class WorksheetError(ValueError):
    """A worksheet cannot be read back; the message says where and why."""


@dataclass
class Span:
    start: int
    end: int
    label: str
    canonical: str

    def as_list(self) -> list:
        return [self.start, self.end, self.label, self.canonical]


@dataclass
class Annotation:
    id: str
    sha256: str
    spans: list[Span] = field(default_factory=list)
    language: str = "sv"
    person_roles: list[dict] = field(default_factory=list)
    dialogue_methods: list[str] = field(default_factory=list)
    cooperation_themes: list[str] = field(default_factory=list)
    notes: str = ""


def to_markup(text: str, spans: list[Span]) -> str:
    """The text with each span written as [[surface|LABEL(|canonical)]]; overlapping spans are dropped."""
    parts, position = [], 0
    for span in sorted(spans, key=lambda s: (s.start, -s.end)):
        if span.start < position or span.end <= span.start:
            continue
        surface = text[span.start : span.end]
        if "|" in surface or "[" in surface or "]" in surface or "\n" in surface:
            continue
        parts.append(text[position : span.start])
        canonical = "" if span.canonical == surface else f"|{span.canonical}"
        parts.append(f"[[{surface}|{span.label}{canonical}]]")
        position = span.end
    parts.append(text[position:])
    return "".join(parts)


def parse_markup(marked: str) -> tuple[str, list[Span]]:
    """(plain text, spans with offsets into it); an unknown label is an error naming the span."""
    parts, spans, position, length = [], [], 0, 0
    for match in _SPAN.finditer(marked):
        before = marked[position : match.start()]
        parts.append(before)
        length += len(before)
        surface, label, canonical = match.group(1), match.group(2), match.group(3)
        if label not in SPAN_LABELS:
            raise WorksheetError(f"unknown label {label!r} in {match.group(0)!r} (use {', '.join(SPAN_LABELS)})")
        spans.append(Span(length, length + len(surface), label, (canonical or surface).strip()))
        parts.append(surface)
        length += len(surface)
        position = match.end()
    parts.append(marked[position:])
    text = "".join(parts)
    leftover = re.search(r"\[\[|\]\]", text)
    if leftover:
        context = text[max(0, leftover.start() - 30) : leftover.start() + 30]
        raise WorksheetError(f"broken span markup near {context!r}")
    return text, spans


def write_worksheet(annotation: Annotation, text: str) -> str:
    fields = {
        "language": annotation.language,
        "person_roles": annotation.person_roles,
        "dialogue_methods": annotation.dialogue_methods,
        "cooperation_themes": annotation.cooperation_themes,
        "notes": annotation.notes,
    }
    body = yaml.safe_dump(fields, allow_unicode=True, sort_keys=False, width=200, default_flow_style=None)
    return (f"<!-- id: {annotation.id} -->\n<!-- sha256: {annotation.sha256} -->\n{TEXT_MARK}\n"
            f"{to_markup(text, annotation.spans)}\n{ANNOTATION_MARK}\n{body}")


def read_worksheet(content: str) -> tuple[Annotation, str]:
    """(annotation, plain text); the text must hash to the worksheet's sha256."""
    from pipeline.training.corpus import text_sha256

    headers = dict(_HEADER.findall(content.split(TEXT_MARK, 1)[0]))
    if TEXT_MARK not in content or ANNOTATION_MARK not in content or "id" not in headers:
        raise WorksheetError("expected the id and sha256 lines, then '=== TEXT ===' and '=== ANNOTATION ==='")
    marked = content.split(TEXT_MARK, 1)[1].split(ANNOTATION_MARK, 1)[0]
    marked = marked.removeprefix("\n").removesuffix("\n")
    text, spans = parse_markup(marked)
    if text_sha256(text) != headers.get("sha256"):
        raise WorksheetError(f"{headers['id']}: the text without markup differs from the document "
                             f"(only add, remove or change [[…]] spans; {_first_difference_hint(text)})")
    try:
        data = yaml.safe_load(content.split(ANNOTATION_MARK, 1)[1]) or {}
    except yaml.YAMLError as error:
        raise WorksheetError(f"{headers['id']}: annotation block is not valid YAML: {error}") from None
    annotation = Annotation(headers["id"], headers["sha256"], spans)
    annotation.language = str(data.get("language") or "sv")
    annotation.person_roles = [_role(r, headers["id"]) for r in data.get("person_roles") or []]
    annotation.dialogue_methods = sorted({str(x) for x in data.get("dialogue_methods") or []})
    annotation.cooperation_themes = sorted({str(x) for x in data.get("cooperation_themes") or []})
    annotation.notes = str(data.get("notes") or "")
    return annotation, text


def _first_difference_hint(text: str) -> str:
    return f"{len(text)} characters after removing the markup"


ROLE_KEYS = ("person", "role", "party", "org")


def _role(entry: object, where: str) -> dict:
    if not isinstance(entry, dict) or not entry.get("person") or not entry.get("role"):
        raise WorksheetError(f"{where}: each person_roles entry needs person and role, got {entry!r}")
    extra = set(entry) - set(ROLE_KEYS)
    if extra:  # "{role: gymnasie-, högskole- och forskningsminister}": YAML split the value at its comma
        raise WorksheetError(f"{where}: person_roles entry with unknown keys {sorted(extra)}: put a value that "
                             "holds a comma in quotes")
    return {"person": str(entry["person"]).strip(), "role": str(entry["role"]).strip(),
            "party": str(entry["party"]).strip() if entry.get("party") else None,
            "org": str(entry["org"]).strip() if entry.get("org") else None}


def gold_lists(annotation: Annotation, text: str) -> dict:
    """The document-level lists of the annotation guidelines, from the spans: each distinct entity once,
    named by its canonical form, with the other surface forms as aliases."""
    keys = {"MUN": "municipalities", "PER": "persons", "ORG": "organisations"}
    forms: dict[tuple[str, str], list[str]] = defaultdict(list)
    for span in annotation.spans:
        if span.label in keys:
            surface = text[span.start : span.end]
            entity = forms[(span.label, span.canonical)]
            if surface != span.canonical and surface not in entity:
                entity.append(surface)
    lists: dict = {key: [] for key in keys.values()}
    for (label, name), aliases in forms.items():
        lists[keys[label]].append({"name": name, "aliases": aliases})
    return {"language": annotation.language, **lists, "person_roles": annotation.person_roles,
            "dialogue_methods": annotation.dialogue_methods, "cooperation_themes": annotation.cooperation_themes}


def as_record(annotation: Annotation, text: str, split: str, genre: str, annotator: str) -> dict:
    """The stored form: no text, only offsets, its hash and the document-level lists."""
    return {
        "id": annotation.id, "split": split, "genre": genre, "sha256": annotation.sha256, "n_chars": len(text),
        "annotator": annotator, "language": annotation.language,
        "spans": [s.as_list() for s in sorted(annotation.spans, key=lambda s: s.start)],
        "person_roles": annotation.person_roles, "dialogue_methods": annotation.dialogue_methods,
        "cooperation_themes": annotation.cooperation_themes, **({"notes": annotation.notes} if annotation.notes
                                                                 else {}),
    }


def from_record(record: dict) -> Annotation:
    return Annotation(
        record["id"], record["sha256"], [Span(*s) for s in record.get("spans", [])], record.get("language", "sv"),
        record.get("person_roles", []), record.get("dialogue_methods", []), record.get("cooperation_themes", []),
        record.get("notes", ""),
    )


# --- worksheets from the current pipeline, and back --------------------------------------
_DRAFT_LABELS = {"MUNICIPALITY": "MUN", "PERSON": "PER", "ORGANISATION": "ORG", "LOCATION": "LOC"}


def draft(text: str, doc_id: str, nlp) -> Annotation:
    """The current pipeline's reading of a text, as a worksheet's starting point (a draft to correct)."""
    from pipeline.extract.document import extract_document
    from pipeline.extract.labels import load_taxonomies
    from pipeline.ingest.read import DocumentRecord
    from pipeline.nlp.lexicons import Lexicons
    from pipeline.nlp.text import chunks, remember_text
    from pipeline.training.corpus import text_sha256

    record = DocumentRecord(doc_id, doc_id, None, None, "sv", 1.0, text, "markdown", "utf-8")
    rows = extract_document(record, [(o, remember_text(nlp(p), p)) for o, p in chunks(text)], Lexicons.of(nlp),
                            load_taxonomies())
    spans = [Span(r.start_char, r.end_char, _DRAFT_LABELS[r.label], r.normalized) for r in rows["entities"]]
    roles = [{"person": r.person, "role": r.role, "party": r.party, "org": r.org} for r in rows["person_roles"]]
    return Annotation(doc_id, text_sha256(text), spans, "sv", roles,
                      sorted({r.label for r in rows["dialogue_methods"]}),
                      sorted({r.label for r in rows["cooperation_themes"]}))


def check_worksheet(content: str) -> list[str]:
    """Problems a worksheet has (empty when it reads back cleanly): markup, YAML, ids, parties, names."""
    from pipeline.extract.labels import load_taxonomies
    from pipeline.nlp.lexicons import MunicipalityLexicon

    try:
        annotation, text = read_worksheet(content)
    except WorksheetError as error:
        return [str(error)]
    problems = []
    taxonomies = load_taxonomies()
    municipalities = MunicipalityLexicon.from_files()
    for key in ("dialogue_methods", "cooperation_themes"):
        known = {label.id for label in taxonomies[key].labels}
        problems += [f"{key}: unknown id {x!r}" for x in getattr(annotation, key) if x not in known]
    for role in annotation.person_roles:
        if role["party"] and role["party"] not in ("S", "M", "C", "L", "KD", "V", "MP", "SD"):
            problems.append(f"person_roles: party must be a party letter, got {role['party']!r}")
        if role["role"] != role["role"].lower():
            problems.append(f"person_roles: role must be lower case: {role['role']!r}")
    swedish = {m.name for m in municipalities.municipalities}
    for span in annotation.spans:
        surface = text[span.start : span.end]
        if surface != surface.strip() or not surface:
            problems.append(f"span {surface!r}: starts or ends with white space")
        if span.label == "MUN" and municipalities.lookup(surface) and span.canonical not in swedish:
            problems.append(f"span {surface!r}: canonical of a Swedish municipality is its SCB name "
                            f"({municipalities.lookup(surface).name}), got {span.canonical!r}")
    persons = {s.canonical for s in annotation.spans if s.label == "PER"}
    problems += [f"person_roles: {r['person']!r} is not a PER span's canonical name" for r in annotation.person_roles
                 if r["person"] not in persons]
    return problems


def import_worksheets(files: list[Path], annotator: str) -> list[dict]:
    """Stored records (offsets, no text) of finished worksheets, with their split and genre."""
    from pipeline.training.corpus import GENRES, split_of

    records = []
    for path in files:
        annotation, text = read_worksheet(Path(path).read_text(encoding="utf-8"))
        genre = GENRES[annotation.id.split(":", 1)[0]]
        records.append(as_record(annotation, text, split_of(annotation.id), genre, annotator))
    return records


def main(argv: list[str] | None = None) -> int:
    """`python -m pipeline.training.annotation check FILE…` (annotators) | `import` (the team)."""
    import argparse

    from pipeline.training.corpus import load_records, save_records

    parser = argparse.ArgumentParser(prog="python -m pipeline.training.annotation")
    sub = parser.add_subparsers(dest="command", required=True)
    check = sub.add_parser("check", help="check worksheets")
    check.add_argument("files", nargs="+")
    imp = sub.add_parser("import", help="store finished worksheets in an annotation file (offsets, no texts)")
    imp.add_argument("files", nargs="+")
    imp.add_argument("--annotator", required=True, help="who annotated them (a short id)")
    imp.add_argument("--into", required=True, help="the annotation file (JSON Lines) to add them to")
    args = parser.parse_args(argv)
    if args.command == "import":
        found = {r["id"]: r for r in import_worksheets([Path(f) for f in args.files], args.annotator)}
        kept = [r for r in load_records(Path(args.into)) if r["id"] not in found]
        save_records([*kept, *found.values()], Path(args.into))
        print(f"{len(found)} documents stored in {args.into} ({len(kept)} others kept)")
        return 0
    failed = 0
    for name in args.files:
        problems = check_worksheet(Path(name).read_text(encoding="utf-8"))
        print(f"{'ok  ' if not problems else 'FAIL'} {name}")
        for problem in problems:
            print(f"     - {problem}")
        failed += bool(problems)
    print(f"{len(args.files) - failed} ok, {failed} with problems")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
