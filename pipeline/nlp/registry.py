"""The registry of Swedish government agencies (`data/myndigheter.tsv.gz`): every written form → the body.

Built from civictechsweden/myndighetsdata (../shared/reference/myndigheter, CC0) by
`python -m pipeline.nlp.registry`. Each row is a form as running text writes it ("Försäkringskassan",
"FK", "Swedish Social Insurance Agency", "Folkhälsoinstitutet"), the official name it resolves to, the
body's Wikidata id (else its organisation number) and the kind of form. The organisation component
adds the rows to its gazetteer, so a form is found in text and named by its official name, with its
id in `entities.kb_id`.

The rules, each for a class of forms (the words they need are in `data/registry.yaml`):

- an earlier name resolves to the same body only when the registry says the body was renamed (its
  own old names); a body another one replaced is its own entry, so "Arbetsmarknadsverket" is not
  Arbetsförmedlingen;
- a form two bodies share is dropped (it names neither for sure);
- abbreviations of bodies that no longer exist are dropped, and so are those that are common words
  or terms in running text (`ambiguous_abbreviations`);
- a name the sources give wrongly (a board the agency hosts listed as its other name) is left out
  (`wrong_forms`);
- forms written in capitals throughout but longer than an abbreviation (SCB's register style,
  "SVENSKA KRAFTNÄT") are not how text writes a name and are left out.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from pipeline.resources import DATA_DIR

REGISTRY_FILE = DATA_DIR / "myndigheter.tsv.gz"
RULES_FILE = DATA_DIR / "registry.yaml"
SOURCE = Path("reference") / "myndigheter"
MAX_ABBREVIATION = 6
KINDS = ("official", "short", "english", "former")
HEADER = ("# Swedish government agencies: form\tname\tkb_id\tkind. Built by `python -m pipeline.nlp.registry` from\n"
          "# civictechsweden/myndighetsdata (CC0). kb_id: Wikidata id, else the organisation number.\n")


@dataclass(frozen=True)
class RegistryEntry:
    form: str
    name: str
    kb_id: str | None
    kind: str


def load_registry(path: Path = REGISTRY_FILE) -> list[RegistryEntry]:
    if not Path(path).exists():
        return []
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        rows = [line for line in handle if not line.startswith("#")]
    return [RegistryEntry(r["form"], r["name"], r["kb_id"] or None, r["kind"])
            for r in csv.DictReader(rows, delimiter="\t")]


def build_registry(shared: Path) -> tuple[list[RegistryEntry], dict[str, int]]:
    """The entries, and how many forms each rule left out."""
    from pipeline.nlp.lexicons import read_yaml

    rules = read_yaml(RULES_FILE, "registry rules")
    ambiguous = {str(a).casefold() for a in rules.get("ambiguous_abbreviations", [])}
    wrong_forms = {str(f) for f in rules.get("wrong_forms", [])}
    merged = json.loads((shared / SOURCE / "merged.json").read_text(encoding="utf-8"))
    wikidata = json.loads((shared / SOURCE / "wd.json").read_text(encoding="utf-8"))
    wikidata, short_names = _joined(wikidata, merged)
    bodies = {name: _facts(name, merged.get(name, {}), wikidata.get(name)) for name in {*merged, *wikidata}}
    for name, short in short_names:
        bodies[name]["names"].append((short, "short"))
    for facts in list(bodies.values()):  # a body another replaced is its own entry, named by itself
        for predecessor in facts["replaces"]:
            bodies.setdefault(predecessor, {"kb_id": None, "ended": True, "names": [], "replaces": []})
    candidates: dict[str, set[tuple[str, str | None, str]]] = defaultdict(set)
    dropped: dict[str, int] = defaultdict(int)
    for name, facts in bodies.items():
        for form, kind in [(name, "official"), *facts["names"]]:
            form = " ".join(str(form).split()).rstrip(".,;")
            if form in wrong_forms:
                dropped["source error"] += 1
                continue
            if len(form) < 2 or (form == name and kind != "official"):
                continue
            abbreviation = form.isupper() and len(form) <= MAX_ABBREVIATION
            if form.isupper() and not abbreviation:
                dropped["register capitals"] += 1
                continue
            if abbreviation and (facts["ended"] or form.casefold() in ambiguous):
                dropped["ambiguous or ended abbreviation"] += 1
                continue
            candidates[form].add((name, facts["kb_id"], "short" if abbreviation and kind != "official" else kind))
    entries = []
    for form, named in sorted(candidates.items()):
        if len({n for n, _, _ in named}) > 1:
            dropped["form of two bodies"] += 1
            continue
        name, kb_id, kind = sorted(named, key=lambda e: KINDS.index(e[2]))[0]
        entries.append(RegistryEntry(form, name, kb_id, kind))
    return entries, dict(dropped)


def _joined(wikidata: dict, merged: dict) -> tuple[dict, list[tuple[str, str]]]:
    """Wikidata's records keyed by the official names. Wikidata names many bodies by the name text uses
    ("Skolverket", "Sida", "SCB") where the other sources use the official one ("Statens skolverk"); the
    organisation number says which body a record is, and its name becomes the body's short form."""
    by_number = {_digits(number): name for name, record in merged.items() for number in _numbers(record)}
    joined, short_names = {}, []
    for name, record in wikidata.items():
        official = name if name in merged else by_number.get(_digits(record.get("org_nr")))
        if official and official != name:
            short_names.append((official, name))
            if isinstance(merged[official].get("wd"), dict):
                continue  # the merged record carries its own Wikidata entry
        joined[official or name] = record
    return joined, short_names


def _numbers(record: dict) -> list[str]:
    return [str(entry["org_nr"]) for source in record.values()
            for entry in (source if isinstance(source, list) else [source])
            if isinstance(entry, dict) and entry.get("org_nr")]


def _digits(number: object) -> str:
    return "".join(c for c in str(number or "") if c.isdigit()) or "-"


def _facts(name: str, record: dict, wikidata: dict | None) -> dict:
    """kb_id, whether the body has ended, its own other names (form, kind), and the bodies it replaced."""
    esv = _own(record.get("esv"), record)
    wd = wikidata or _own(record.get("wd"), record)
    sfs = _own(record.get("sfs"), record)
    kb_id = wd.get("id") or esv.get("org_nr") or wd.get("org_nr") or None
    names: list[tuple[str, str]] = []
    if esv.get("short_name"):
        names.append((esv["short_name"], "short"))
    for english in (esv.get("name_en"), wd.get("name_en")):
        if english:
            names.append((english, "english"))
    for source in (esv, wd, sfs, _own(record.get("stkt"), record)):
        for other in source.get("old_names") or source.get("other_names") or []:
            names.append((other, "former"))
    replaces = [*(wd.get("replaces") or []), *(sfs.get("replaces") or [])]
    ended = bool(esv.get("end") or wd.get("end") or sfs.get("end"))
    return {"kb_id": kb_id, "ended": ended, "names": names, "replaces": [r for r in replaces if r != name]}


def _own(source: object, record: dict) -> dict:
    """A source's record of this body. Where sources merged several records into a list, the one with the
    body's organisation number (the others belong to a predecessor or another body)."""
    if isinstance(source, dict):
        return source
    if not isinstance(source, list):
        return {}
    digits = _digits((record.get("esv") or {}).get("org_nr") or (record.get("scb") or {}).get("org_nr"))
    own = [s for s in source if isinstance(s, dict) and _digits(s.get("org_nr")) == digits]
    current = [s for s in source if isinstance(s, dict) and not s.get("end")]
    return (own or current or [{}])[0]


def write_registry(entries: list[RegistryEntry], path: Path = REGISTRY_FILE) -> None:
    buffer = io.StringIO()
    buffer.write(HEADER)
    writer = csv.writer(buffer, delimiter="\t", lineterminator="\n")
    writer.writerow(["form", "name", "kb_id", "kind"])
    writer.writerows([e.form, e.name, e.kb_id or "", e.kind] for e in entries)
    # no time stamp or file name in the header: the same data, the same bytes
    with open(path, "wb") as raw, gzip.GzipFile(filename="", fileobj=raw, mode="wb", mtime=0) as handle:
        handle.write(buffer.getvalue().encode("utf-8"))


if __name__ == "__main__":
    from collections import Counter

    from pipeline.resources import shared_dir

    built, left_out = build_registry(shared_dir())
    write_registry(built)
    print(f"{len(built)} forms of {len({e.name for e in built})} bodies written to {REGISTRY_FILE}: "
          f"{dict(Counter(e.kind for e in built))}; left out: {left_out}")
