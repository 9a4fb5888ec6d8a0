"""The Swedish government-agency registry: every written form of an agency's name → the body it names.

Built from civictechsweden/myndighetsdata (CC0), which merges ESV's, Statskontoret's, SCB's, SFS's,
Arbetsgivarverket's, handlingar.se's and Wikidata's lists of agencies, universities and länsstyrelser into
one entry per official name (`merged.json`). The merge is by organisation number and fuzzy name, so an
entry also carries its predecessors' names, a successor's Wikidata record or another body's statistics;
`matchlist.csv`, derived from an older merge, maps every old name to the newest body. The rules below sort
that out once, at build time (`python -m pipeline.nlp.registry`), and `data/myndigheter.tsv.gz` keeps only
the result (2.6 MB of source → 25 kB), so components and extraction read one small file (`load_registry()`).

The rules, each for a whole class of names (word lists in `data/registry.yaml`):

* A body is an entry of `merged.json`, with entries that are one body merged: the same Wikidata item, the
  same organisation number (the courts share Domstolsverket's, which stays Domstolsverket's), or the same
  name. Official names that only `matchlist.csv` has (the hyresnämnder) are bodies too.
* Every official name, short name or abbreviation, English name and earlier name resolves to the body it
  names. An earlier name is the same body (a rename: Datainspektionen → Integritetsskyddsmyndigheten)
  unless the sources say it was another: Wikidata's item `replaces` it; it ended in or before the year the
  body began (Arbetsmarknadsverket ended 2008, Arbetsförmedlingen began 2008); it is another entry with an
  identity of its own; or it is an abbreviation that fits such a name and none of the body's own
  (AMV, Arbetsmarknadsverket). That predecessor is its own body and its name resolves to itself.
* A source that lists each body once (all but SFS) and still gives one entry two records has merged two
  bodies: a record with another organisation number is that body's, and the record that carries a name of
  its own beside a plain one is not evidence for the entry (Jönköping University in Linköpings universitet).
* Forms that mislead are dropped: one form naming two bodies ("Statskontoret": ESV took the name in 2026
  from the body it replaced, so both keep their other forms), abbreviations that are common words,
  abbreviations of bodies that no longer exist (they get reused: AI, SJ), forms shorter than 2 characters,
  and forms in capitals that are SCB's register spelling when no source spells them properly. Capitals are
  re-cased from another source's spelling of the same name, else to a capital initial when the sources write
  every later word small elsewhere ("SVENSKA KRAFTNÄT" → "Svenska kraftnät", not "… VID STUDSVIK").
* Genitives are not added here; the components add "Försäkringskassans" and "MSB:s" themselves.

`kb_id` is the body's Wikidata id when it has one, else its organisation number, else empty.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import re
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from pipeline.resources import DATA_DIR, shared_dir

REGISTRY_FILE = DATA_DIR / "myndigheter.tsv.gz"
RULES_FILE = DATA_DIR / "registry.yaml"
SOURCE_DIR = Path("reference") / "myndigheter"  # inside the shared folder
KINDS = ("official", "short", "english", "former")
COLUMNS = ("form", "name", "kb_id", "kind")


@dataclass(frozen=True, order=True)
class RegistryEntry:
    """One written form of a body's name: `form` as text writes it, `name` the body's official name."""

    form: str
    name: str
    kb_id: str | None
    kind: str  # one of KINDS


# --- reading and writing the shipped file ---------------------------------------------------------
def write_registry(entries: Iterable[RegistryEntry], path: Path = REGISTRY_FILE) -> None:
    """Write a gzip'd TSV: a comment naming source and licence, a header, a row per form. The gzip header
    carries no time stamp or file name, so the same entries give the same bytes and a rebuild shows no diff."""
    rules = _rules()
    buffer = io.StringIO()
    buffer.write(f"# Swedish government agencies: form, official name, Wikidata id or organisation number, kind. "
                 f"Source: {rules['source']}; licence {rules['licence']}. "
                 f"Built by `python -m pipeline.nlp.registry`.\n")
    buffer.write("\t".join(COLUMNS) + "\n")
    for entry in sorted(entries, key=_sort_key):
        buffer.write("\t".join((entry.form, entry.name, entry.kb_id or "", entry.kind)) + "\n")
    data = gzip.compress(buffer.getvalue().encode("utf-8"), compresslevel=9, mtime=0)
    Path(path).write_bytes(data)


def load_registry(path: Path = REGISTRY_FILE) -> list[RegistryEntry]:
    """The registry's entries, in the file's order (by official name, then kind, then form)."""
    entries = []
    try:
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            lines = (line for line in handle if not line.startswith("#"))
            header = next(lines).rstrip("\n").split("\t")
            if tuple(header) != COLUMNS:
                raise ValueError(f"expected columns {COLUMNS}, found {header}")
            for number, line in enumerate(lines, start=3):
                values = line.rstrip("\n").split("\t")
                if len(values) != len(COLUMNS) or values[3] not in KINDS:
                    raise ValueError(f"line {number}: {line!r}")
                form, name, kb_id, kind = values
                entries.append(RegistryEntry(form, name, kb_id or None, kind))
    except (OSError, EOFError, StopIteration, ValueError) as error:
        raise ValueError(f"invalid agency registry {path}: {error}") from error
    return entries


def _sort_key(entry: RegistryEntry) -> tuple:
    return (entry.name.casefold(), entry.name, KINDS.index(entry.kind), entry.form.casefold(), entry.form)


@lru_cache(maxsize=1)
def _rules() -> dict:
    from pipeline.nlp.lexicons import read_yaml

    data = read_yaml(RULES_FILE, "registry rules file")
    for key in ("source", "licence", "common_words", "not_bodies", "wrong_names", "former_markers",
                "max_abbreviation_length",
                "register_role_joiners", "hyphen_conjunctions", "spelling_variants"):
        if key not in data:
            raise ValueError(f"invalid registry rules file {RULES_FILE}: no `{key}`")
    return data


# --- building ---------------------------------------------------------------------------------------
def build_registry(shared: Path) -> list[RegistryEntry]:
    """The registry from the shared folder's copy of myndighetsdata (`shared/reference/myndigheter`)."""
    return _Builder(_source_dir(shared)).build()[0]


def _source_dir(shared: Path) -> Path:
    shared = Path(shared)
    return shared if (shared / "merged.json").exists() else shared / SOURCE_DIR


@dataclass
class _Body:
    """One body while the registry is built: its names with the evidence each came with."""

    name: str
    qid: str | None = None
    org_nr: str | None = None
    start: int | None = None  # the year it began (Wikidata, else ESV)
    end: int | None = None  # the year it ceased, when it has
    ended: bool = False
    tags: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))  # name → evidence
    years: dict[str, int] = field(default_factory=dict)  # name → the year SFS says it ended or was replaced
    keys: list[str] = field(default_factory=list)  # the merged.json entries it is made of
    groups: list[list[str]] = field(default_factory=list)  # the names each ended SFS instruction gives

    def add(self, name: str, tag: str, year: int | None = None) -> None:
        self.tags[name].add(tag)
        if year is not None:
            self.years[name] = max(year, self.years.get(name, year))

    @property
    def kb_id(self) -> str | None:
        return self.qid or self.org_nr


# Evidence a name is the body's own now (never a predecessor's), and evidence it is an earlier name.
OWN = {"official", "short_name", "name_en"}
EARLIER = {"old", "merged_old"}
REPLACED = {"replaced", "wd_replaced"}
PRECEDENCE = ("official", "former", "english", "short")  # the kind a form keeps when sources disagree


class _Builder:
    """The rules of the module docstring, in order; `drops` lists what was left out, by reason."""

    def __init__(self, source: Path):
        try:
            self.merged: dict = json.loads((source / "merged.json").read_text(encoding="utf-8"))
            self.wikidata: dict = json.loads((source / "wd.json").read_text(encoding="utf-8"))
            with (source / "matchlist.csv").open(encoding="utf-8") as handle:
                self.matchlist = list(csv.DictReader(handle))
        except (OSError, ValueError) as error:
            raise ValueError(f"cannot read the agency sources in {source}: {error}") from error
        rules = _rules()
        self.common_words = {str(w).casefold() for w in rules["common_words"]}
        self.not_bodies = {str(w).casefold() for w in rules["not_bodies"]}
        self.former_markers = [str(w).casefold() for w in rules["former_markers"]]
        self.wrong_names = {str(k).casefold(): {str(n).casefold() for n in v or []}
                            for k, v in (rules["wrong_names"] or {}).items()}
        self.max_abbreviation = int(rules["max_abbreviation_length"])
        self.role_joiners = [str(w).casefold() for w in rules["register_role_joiners"]]
        self.spelling_variants = {str(k).casefold(): str(v).casefold() for k, v in rules["spelling_variants"].items()}
        conjunctions = "|".join(re.escape(str(w)) for w in rules["hyphen_conjunctions"])
        self.line_break = re.compile(rf"(\w)- (?!(?:{conjunctions})\b)(?=[a-zåäö])")
        self.drops: dict[str, list[str]] = defaultdict(list)  # reason → what was left out
        self.folded_names: set[str] = set()  # every name in the sources, folded
        self.shared_org_nrs: set[str] = set()  # organisation numbers several entries give (the courts')
        self.small_words: set[str] = set()  # words the sources write small inside a name ("kraftnät")
        self.spellings = self._spellings()

    # -- the steps ------------------------------------------------------------------------------------
    def build(self) -> tuple[list[RegistryEntry], dict[str, list[str]]]:
        entries = self._entries()
        bodies = self._bodies(entries)
        bodies += self._matchlist_bodies(bodies)
        verdicts = self._verdicts(bodies)
        bodies += self._predecessors(bodies, verdicts)
        return self._forms(bodies, verdicts), self.drops

    def _entries(self) -> dict[str, dict[str, list[dict]]]:
        """merged.json's entries as source → records, with records that belong to another entry moved there."""
        entries = {key: {source: [dict(r) for r in _records(value)] for source, value in data.items()}
                   for key, data in self.merged.items() if self._clean(key)[0].casefold() not in self.not_bodies}
        for key in self.merged.keys() - entries.keys():
            self._drop("entries that are not one body (registry.yaml not_bodies)", key)
        primary = {key: _primary_org_nr(records) for key, records in entries.items()}
        by_org_nr = defaultdict(list)
        for key, org_nr in primary.items():
            if org_nr:
                by_org_nr[org_nr].append(key)
        self.shared_org_nrs = {org_nr for org_nr, keys in by_org_nr.items() if len(keys) > 1}
        for key, records in entries.items():
            for source, listed in records.items():
                listed = [r for r in listed if not r.get("moved")]
                if source == "sfs" or len(listed) < 2:
                    continue  # SFS lists a body once per instruction; the others once
                own = [r for r in listed if not r.get("other_names")] or listed[:1]
                for record in listed:
                    org_nr = _org_nr(record.get("org_nr"))
                    foreign = (org_nr and org_nr != primary[key]) or (not org_nr and record not in own)
                    if not foreign:
                        continue
                    record["foreign"] = True
                    owners = [k for k in by_org_nr.get(org_nr or "", []) if k != key]
                    if len(owners) == 1:  # another entry's record: it goes there
                        entries[owners[0]].setdefault(source, []).append({**record, "foreign": False, "moved": True})
        labels = {item["id"]: label for label, item in self.wikidata.items()}
        keys = {self._clean(key)[0].casefold(): key for key in entries}
        identity = {key: primary[key] or next((r["id"] for r in records.get("wd", [])), None)
                    for key, records in entries.items()}
        for key, records in entries.items():
            for record in list(records.get("sfs", [])):
                # an SFS record names its body: one naming another entry with an identity of its own is that
                # entry's instruction, merged here by a similar name (Rättshjälpsmyndigheten's in Domstolsverket)
                owners = {keys.get(_tidy(n).casefold()) for n in record.get("other_names") or []} - {None, key}
                owners = {o for o in owners if identity[o] and identity[o] != identity[key]}
                if len(owners) == 1:
                    records["sfs"].remove(record)
                    entries[owners.pop()].setdefault("sfs", []).append(record)
        for key, records in list(entries.items()):
            for record in list(records.get("wd", [])):
                label = _tidy(labels.get(record.get("id"), key)).casefold()
                owner = keys.get(label)
                if owner and label != self._clean(key)[0].casefold() and not entries[owner].get("wd"):
                    # Wikidata's record of another entry's body, merged here by a similar name
                    entries[owner]["wd"] = [record]
                    records["wd"].remove(record)
        return entries

    def _bodies(self, entries: dict[str, dict[str, list[dict]]]) -> list[_Body]:
        """One body per entry, then entries that are one body merged."""
        primary = {key: _primary_org_nr(records) for key, records in entries.items()}
        sharers = defaultdict(list)
        for key, org_nr in primary.items():
            if org_nr:
                sharers[org_nr].append(key)
        groups = _UnionFind(entries)
        for org_nr, keys in sharers.items():
            in_esv = [k for k in keys if any(_org_nr(r.get("org_nr")) == org_nr for r in entries[k].get("esv", []))]
            if len(keys) > 1 and len(in_esv) == 1:  # the courts: Domstolsverket's number, not theirs
                for key in keys:
                    if key != in_esv[0]:
                        primary[key] = None
            else:
                for key in keys[1:]:
                    groups.union(keys[0], key)
        by_qid = defaultdict(list)
        for key, records in entries.items():
            for record in records.get("wd", []):
                by_qid[record["id"]].append(key)
        for keys in by_qid.values():
            for key in keys[1:]:
                groups.union(keys[0], key)
        by_name = defaultdict(list)
        for key in entries:
            by_name[self._proper(self._clean(key)[0]).casefold()].append(key)
        for keys in by_name.values():
            for key in keys[1:]:
                if _identities(entries, primary, groups.members(keys[0]) + groups.members(key)) <= 1:
                    groups.union(keys[0], key)
        bodies = []
        for members in groups.groups():
            body = self._body(members, entries, primary)
            if body is not None:
                bodies.append(body)
        return bodies

    def _body(self, members: list[str], entries: dict, primary: dict) -> _Body | None:
        def rank(key: str) -> tuple:
            records = entries[key]
            return (_ended(records), "esv" not in records, key.isupper(), -len(records), key)

        members = sorted(members, key=rank)
        name = self._proper(self._clean(members[0])[0])
        if not _cased(name):
            self._drop("bodies with only a name in capitals (SCB's register spelling)", name)
            return None
        body = _Body(name=name, keys=members)
        body.org_nr = next((primary[k] for k in members if primary[k]), None)
        body.qid = next((r["id"] for k in members for r in entries[k].get("wd", [])), None)
        body.ended = _ended(entries[members[0]])
        body.start = next((y for k in members for s in ("wd", "esv") for r in entries[k].get(s, [])
                           if (y := _year(r.get("start"))) is not None), None)
        body.end = _end_year(entries[members[0]])
        self._add(body, name, "official")
        for key in members:
            self._add(body, key, "official" if key == members[0] else "merged_old" if _ended(entries[key]) else "alias")
            for source, records in entries[key].items():
                for record in records:
                    if not record.get("foreign"):
                        self._evidence(body, source, record)
                    else:
                        for other in record.get("other_names") or []:
                            self._add(body, other, "foreign")
        return body

    def _evidence(self, body: _Body, source: str, record: dict) -> None:
        """What one record says about the body's names."""
        if source == "sfs":
            ended, start = _year(record.get("end")), _year(record.get("start"))
            for name in record.get("other_names") or []:
                self._add(body, name, "old" if ended is not None else "alias", ended)
            if ended is not None and len(record.get("other_names") or []) > 1:
                body.groups.append([self._clean(n)[0] for n in record["other_names"]])
            for name in record.get("replaces") or []:
                self._add(body, name, "replaced", start)
            return
        self._add(body, record.get("short_name"), "short_name")
        self._add(body, record.get("name_en"), "name_en")
        # SCB files the courts under Domstolsverket's number, and closed courts as its old names
        shared = source == "scb" and _org_nr(record.get("org_nr")) in self.shared_org_nrs
        for name in record.get("old_names") or []:
            self._add(body, name, "foreign" if shared else "old")
        for name in record.get("other_names") or []:
            self._add(body, name, "wd_alias" if source == "wd" else "alias")
        if source == "wd":
            for name in record.get("replaces") or []:
                self._add(body, name, "wd_replaced")

    def _matchlist_bodies(self, bodies: list[_Body]) -> list[_Body]:
        """Official names only matchlist.csv has: bodies of their own, when no body has the name already."""
        known = {name.casefold() for body in bodies for name in body.tags}
        known |= {name.casefold() for body in bodies for key in body.keys for name in (key, self._clean(key)[0])}
        found = []
        for official in dict.fromkeys(row["official_name"] for row in self.matchlist):
            name = self._proper(self._clean(official)[0])
            if name.casefold() in known or _tidy(official).casefold() in known or self._truncated(official):
                continue
            if name.casefold() in self.not_bodies or not _cased(name):
                self._drop("matchlist names that are not one body or only in capitals", name)
                continue
            body = _Body(name=name, keys=[official])
            self._add(body, name, "official")
            found.append(body)
            known.add(name.casefold())
        for row in self.matchlist:
            if row["name"] not in self.folded_names:
                self._drop("matchlist names no other source has, known only in lower case", row["name"])
        return found

    def _verdicts(self, bodies: list[_Body]) -> dict[int, dict[str, bool]]:
        """For each body, each name → True when it is the body's own (now or earlier), False when the name
        of another body (a predecessor, or one with an identity of its own)."""
        official = {body.name.casefold(): body for body in bodies}
        verdicts: dict[int, dict[str, bool]] = {}
        for body in bodies:
            own: dict[str, bool] = {}
            for name, tags in body.tags.items():
                if name.casefold() == body.name.casefold() or tags & OWN:
                    own[name] = True
                    continue
                other = official.get(name.casefold())
                if tags <= {"foreign"}:
                    continue  # another body's record: no evidence either way
                year = max((y for y in (body.years.get(name), other.end if other else None) if y is not None),
                           default=None)
                own[name] = not (
                    "wd_replaced" in tags
                    or tags <= REPLACED | {"foreign"}
                    or (year is not None and body.start is not None and year <= body.start)
                    or (other is not None and other is not body and other.kb_id and other.kb_id != body.kb_id)
                )
            verdicts[id(body)] = own
        self._fold(bodies, verdicts, official)
        for body in bodies:  # an abbreviation that fits a predecessor's name and none of the body's own
            own = verdicts[id(body)]
            mine = [n for n, v in own.items() if v and body.tags[n] & OWN and not self._abbreviation(n)]
            theirs = [n for n, v in own.items() if not v and not self._abbreviation(n)]
            for name, verdict in own.items():
                if (verdict and self._abbreviation(name) and not body.tags[name] & OWN
                        and any(_fits(name, n) for n in theirs) and not any(_fits(name, n) for n in mine)):
                    own[name] = False
        return verdicts

    def _fold(self, bodies: list[_Body], verdicts: dict[int, dict[str, bool]], official: dict[str, _Body]) -> None:
        """An entry with no identity of its own (an old SFS instruction) whose name a body calls its own
        earlier name is that body's record: "Kriminalvårdsverket" joins Kriminalvården."""
        folded: set[int] = set()
        for body in bodies:
            if id(body) in folded:
                continue
            for name, verdict in list(verdicts[id(body)].items()):
                other = official.get(name.casefold())
                if not verdict or other is None or other is body or other.kb_id or id(other) in folded:
                    continue
                folded.add(id(other))
                for other_name, tags in other.tags.items():
                    body.tags[other_name] |= (tags - {"official"}) | {"merged_old" if other.ended else "alias"}
                    verdicts[id(body)].setdefault(other_name, verdicts[id(other)].get(other_name, True))
                for other_name, year in other.years.items():
                    body.years[other_name] = max(year, body.years.get(other_name, year))
                body.keys += other.keys
                body.groups += other.groups
        bodies[:] = [body for body in bodies if id(body) not in folded]

    def _predecessors(self, bodies: list[_Body], verdicts: dict[int, dict[str, bool]]) -> list[_Body]:
        """Predecessors that have no entry of their own: a body each, ended, known by its name only."""
        known = {name.casefold() for body in bodies for name, v in verdicts[id(body)].items() if v}
        labels = {_tidy(label).casefold(): item["id"] for label, item in self.wikidata.items()}
        used = {body.qid for body in bodies if body.qid}
        found: dict[str, _Body] = {}
        for body in bodies:
            different = [n for n, v in verdicts[id(body)].items() if not v and n.casefold() not in known]
            done: set[str] = set()
            for name in different:
                if name in done:
                    continue
                # the names one ended SFS instruction gives are one body: "Handisam", "Myndigheten för
                # handikappolitisk samordning"
                group = next((g for g in body.groups if name in g), [name])
                names = [n for n in group if n in different] or [name]
                done.update(names)
                full = [n for n in names if not self._abbreviation(n)]
                if not full:
                    for other in names:
                        self._drop("abbreviations of predecessors (bodies that no longer exist)", other)
                    continue
                main = self._proper(max(full, key=len))
                predecessor = found.get(main.casefold())
                if predecessor is None:
                    predecessor = _Body(name=main, ended=True, keys=[main])
                    qid = labels.get(main.casefold())
                    predecessor.qid = qid if qid and qid not in used else None
                    self._add(predecessor, main, "official")
                    found[main.casefold()] = predecessor
                for other in names:
                    if other.casefold() != main.casefold():
                        self._add(predecessor, other, "alias")
                verdicts[id(predecessor)] = dict.fromkeys(predecessor.tags, True)
        return list(found.values())

    def _forms(self, bodies: list[_Body], verdicts: dict[int, dict[str, bool]]) -> list[RegistryEntry]:
        """Each body's own names as forms, one spelling per form, without the forms that mislead."""
        candidates: dict[str, dict[str, tuple[str, str, _Body]]] = defaultdict(dict)  # folded form → body → …
        for body in bodies:
            chosen: dict[str, tuple[str, str]] = {}
            wrong = self.wrong_names.get(body.name.casefold(), set())
            for name, verdict in verdicts[id(body)].items():
                if not verdict:
                    continue
                if name.casefold() in self.not_bodies or name.casefold() in wrong:
                    self._drop("names of groups, posts, buildings or hosted boards (registry.yaml)", name)
                    continue
                form = self._written(name)
                if form is None:
                    continue
                kind = self._kind(body, name, form)
                folded = form.casefold()
                if folded not in chosen or PRECEDENCE.index(kind) < PRECEDENCE.index(chosen[folded][1]):
                    chosen[folded] = (form, kind)
            for folded, (form, kind) in chosen.items():
                candidates[folded][id(body)] = (form, kind, body)
        entries = []
        for by_body in candidates.values():
            kept = {}
            for key, (form, kind, body) in by_body.items():
                reason = self._misleading(form, kind, body)
                if reason:
                    self._drop(reason, form)
                else:
                    kept[key] = (form, kind, body)
            if len(kept) > 1:
                for form, _, body in kept.values():
                    self._drop("forms naming two or more bodies", f"{form} ({body.name})")
                continue
            for form, kind, body in kept.values():
                entries.append(RegistryEntry(form, body.name, body.kb_id, kind))
        return sorted(entries, key=_sort_key)

    def _add(self, body: _Body, name: str | None, tag: str, year: int | None = None) -> None:
        """Note a name with its evidence, cleaned of what is not part of it: a line break in a word
        ("Skatteför- valtningen"), Excel's "_x000D_", a final full stop, a parenthesis (an abbreviation is
        noted too), a note that it is a former name ("fd. Statens maritima museer")."""
        name, inner = self._clean(name)
        if inner and self._abbreviation(inner):  # "Nordiska hälsovårdshögskolan (NHV)"
            body.add(inner, "short_name" if tag in ("official", "alias", "merged_old") else tag, year)
        for marker in self.former_markers:
            if name.casefold().startswith(marker + " "):
                name, tag = name[len(marker) + 1:].strip(), "old" if tag in ("alias", "wd_alias") else tag
        if name:
            body.add(name, tag, year)

    def _drop(self, reason: str, what: str) -> None:
        self.drops[reason].append(what)

    def _clean(self, name: str | None) -> tuple[str, str | None]:
        """(the name without what is not part of it, the parenthesis it ended in)."""
        name, inner = _unbracket(self.line_break.sub(r"\1", _tidy(str(name or "").replace("_x000D_", " "))))
        name = _tidy(name)
        if re.search(r"[^\W\d_]{3}\.$", name) and name.count(".") == 1:
            name = name[:-1]
        return name, inner

    # -- the rules for one form -------------------------------------------------------------------------
    def _written(self, name: str) -> str | None:
        """The name as text writes it, or None (with the reason counted)."""
        form = name
        if "?" in form or not any(c.isalpha() for c in form):
            self._drop("forms with no letters or a mangled character (?)", form)
            return None
        if len(form) < 2:
            self._drop("forms shorter than 2 characters", form)
            return None
        form = self._proper(form)
        if not _cased(form) and not self._abbreviation(form):
            self._drop("forms in capitals with no properly cased spelling (SCB's register)", form)
            return None
        return form

    def _proper(self, form: str) -> str:
        """A form's proper spelling. In capitals: another source's spelling of it, else a capital initial and
        small letters when the sources write every later word small in other names ("SVENSKA KRAFTNÄT" →
        "Svenska kraftnät"; not "LOKALA SÄKERHETSNÄMNDEN VID STUDSVIK", a place), else left in capitals.
        A small initial (a Wikidata alias) → a capital one."""
        if _cased(form) or self._abbreviation(form):
            if form[:1].islower() and (" " in form or not any(c.isupper() for c in form)):
                return self.spellings.get(form.casefold(), form[:1].upper() + form[1:])
            return form
        spelt = self.spellings.get(form.casefold()) or self._truncated(form)
        if spelt:
            return spelt
        first, *rest = form.split(" ")
        if all(word.lower() in self.small_words for word in rest):
            return " ".join((first[:1] + first[1:].lower(), *(word.lower() for word in rest)))
        return form

    def _truncated(self, form: str) -> str | None:
        """SCB's register name of a court, "KAMMARRÄTTEN I STOCKHOLM OCH MIGRATIONSÖVERDOMST" → its name."""
        if _cased(form):
            return None
        folded = form.casefold()
        for joiner in self.role_joiners:
            head, sep, _ = folded.partition(f" {joiner} ")
            while sep:
                if head in self.spellings:
                    return self.spellings[head]
                head, sep, _ = head.rpartition(f" {joiner} ")
        return None

    def _kind(self, body: _Body, name: str, form: str) -> str:
        tags = body.tags[name]
        if form.casefold() == body.name.casefold() or self._variant(form) == self._variant(body.name):
            return "official"
        if self._abbreviation(form):
            return "short"
        if tags & (EARLIER | REPLACED):
            return "former"
        if "short_name" in tags:
            return "short"
        if "name_en" in tags:
            return "english"
        return "short" if len(form) < len(body.name) else "former"

    def _variant(self, form: str) -> str:
        words = re.sub(r"[-,]", " ", form.casefold()).split()
        return " ".join(self.spelling_variants.get(w, w) for w in words)

    def _misleading(self, form: str, kind: str, body: _Body) -> str | None:
        if form.casefold() in self.common_words:
            return "abbreviations that are common words or terms (registry.yaml common_words)"
        if body.ended and kind == "short" and self._abbreviation(form):
            return "abbreviations of bodies that no longer exist"
        return None

    def _abbreviation(self, form: str) -> bool:
        """"MSB", "FoHM", "HaV", "RPS/Säk": one word, mostly capitals, short."""
        return (" " not in form and sum(c.isupper() for c in form) >= 2
                and len(form) <= self.max_abbreviation and any(c.isalpha() for c in form))

    def _spellings(self) -> dict[str, str]:
        """Folded name → its proper spelling, from every cased name in the sources (official names first)."""
        spellings: dict[str, str] = {}

        def note(name: str | None) -> None:
            self.folded_names.add(_tidy(name or "").casefold())
            name = self._clean(name)[0]
            if name and _cased(name) and not name[:1].islower():
                spellings.setdefault(name.casefold(), name)
                self.small_words.update(w for w in name.split(" ")[1:] if w == w.lower() and w.isalpha())

        for key in self.merged:
            note(key)
        for row in self.matchlist:
            note(row["official_name"])
        for data in self.merged.values():
            for source, value in data.items():
                for record in _records(value):
                    for name in _names(record, source):
                        note(name)
        for label, item in self.wikidata.items():
            for name in (label, *(item.get("other_names") or [])):
                note(name)
        return spellings


# --- small helpers ----------------------------------------------------------------------------------
def _records(value) -> list[dict]:
    """A source's record or records in an entry (merged ones are a list)."""
    listed = value if isinstance(value, list) else [value]
    return [r for r in listed if isinstance(r, dict)]


def _names(record: dict, source: str) -> Iterator[str]:
    yield from (record.get(f) for f in ("short_name", "name_en") if record.get(f))
    for key in ("old_names", "other_names", "replaces"):
        yield from record.get(key) or []


def _tidy(name: str) -> str:
    return " ".join(str(name).split())


def _unbracket(name: str) -> tuple[str, str | None]:
    """"Nordiska hälsovårdshögskolan (NHV)" → ("Nordiska hälsovårdshögskolan", "NHV"): a trailing
    parenthesis is an abbreviation or a note ("Statskontoret (gamla)"), not part of the written name."""
    match = re.fullmatch(r"(.*\S)\s*\(([^()]*)\)", str(name).strip())
    return (match.group(1), match.group(2).strip()) if match else (str(name), None)


def _cased(form: str) -> bool:
    """Not written in capitals only (a form with small letters, or none at all)."""
    return any(c.islower() for c in form)


def _org_nr(value) -> str | None:
    digits = re.sub(r"\D", "", str(value or ""))
    return f"{digits[:6]}-{digits[6:]}" if len(digits) == 10 else None


def _primary_org_nr(records: dict[str, list[dict]]) -> str | None:
    """ESV's organisation number, else the one most of the entry's records give."""
    for record in records.get("esv", []):
        if _org_nr(record.get("org_nr")):
            return _org_nr(record.get("org_nr"))
    counts = Counter(_org_nr(r.get("org_nr")) for s, rs in records.items() if s != "sfs" for r in rs)
    counts.pop(None, None)
    return counts.most_common(1)[0][0] if counts else None


def _year(value) -> int | None:
    match = re.match(r"\d{4}", str(value or ""))
    return int(match.group()) if match else None


def _ended(records: dict[str, list[dict]]) -> bool:
    """A source says the body ended, or every SFS instruction of it has."""
    if any(r.get("end") for s in ("esv", "stkt", "scb", "wd") for r in records.get(s, [])):
        return True
    sfs = records.get("sfs", [])
    return bool(sfs) and all(r.get("end") for r in sfs)


def _end_year(records: dict[str, list[dict]]) -> int | None:
    if not _ended(records):
        return None
    return max((y for rs in records.values() for r in rs if (y := _year(r.get("end"))) is not None), default=None)


def _identities(entries: dict, primary: dict, keys: list[str]) -> int:
    """How many different bodies the entries' Wikidata ids and organisation numbers point to."""
    qids = {r["id"] for k in keys for r in entries[k].get("wd", [])}
    org_nrs = {primary[k] for k in keys if primary[k]}
    return max(len(qids), len(org_nrs))


def _fits(abbreviation: str, name: str) -> bool:
    """"AMV" fits "Arbetsmarknadsverket": its letters in order, the first the name's first."""
    letters = [c for c in abbreviation.casefold() if c.isalpha()]
    text = name.casefold()
    if not letters or not text.startswith(letters[0]):
        return False
    position = 0
    for letter in letters:
        position = text.find(letter, position)
        if position < 0:
            return False
        position += 1
    return True


class _UnionFind:
    def __init__(self, keys: Iterable[str]):
        self.parent = {key: key for key in keys}

    def find(self, key: str) -> str:
        while self.parent[key] != key:
            self.parent[key] = self.parent[self.parent[key]]
            key = self.parent[key]
        return key

    def union(self, a: str, b: str) -> None:
        self.parent[self.find(b)] = self.find(a)

    def members(self, key: str) -> list[str]:
        root = self.find(key)
        return [k for k in self.parent if self.find(k) == root]

    def groups(self) -> list[list[str]]:
        found = defaultdict(list)
        for key in self.parent:
            found[self.find(key)].append(key)
        return list(found.values())


def main(argv: list[str] | None = None) -> int:
    """Rebuild the shipped file from the shared folder and print what it holds and what was left out."""
    shared = Path(argv[0]) if argv else shared_dir()
    entries, drops = _Builder(_source_dir(shared)).build()
    write_registry(entries, REGISTRY_FILE)
    kinds = Counter(entry.kind for entry in entries)
    print(f"{len(entries)} forms of {len({e.name for e in entries})} names written to {REGISTRY_FILE} "
          f"({REGISTRY_FILE.stat().st_size:,} bytes)")
    for kind in KINDS:
        print(f"  {kind:9} {kinds[kind]:5}")
    print("left out:")
    for reason, what in sorted(drops.items(), key=lambda item: -len(item[1])):
        shown = sorted(set(what))
        examples = ", ".join(shown if len(shown) <= 12 else [*shown[:4], "…"])
        print(f"  {len(what):5}  {reason}: {examples}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
