"""The title lexicon (`pipeline/data/role_titles.tsv`): real Swedish titles, and how each was found.

Two sources, both read at build time only:

- Almedalen's speaker lists (../shared/corpus/text/almedalen-events.jsonl.gz, CC0): 11,787 strings
  written as "Name, Role, Organisation". In a line of three parts or more, the parts between the
  name and the organisation are titles ("Anna Berg, vice ordförande, Föreningen X"); in a line of
  two, the second part is a title when a role word ends it (else it is an organisation).
- The team's annotated corpus: every role an annotator gave a person.

A part that reads as an organisation (a registered form, several capitalised words, a legal form
or a municipality suffix) or holds a digit is left out. `python -m pipeline.training.role_titles`
rebuilds the file and prints how many titles each source gave.
"""

from __future__ import annotations

import csv
import gzip
import json
import re
from collections import Counter
from pathlib import Path

from pipeline.nlp.lexicons import ROLE_TITLES_FILE, RoleLexicon
from pipeline.resources import shared_dir
from pipeline.training import corpus

_BRACKETS = re.compile(r"\([^)]*\)")
_ORG_MARKERS = re.compile(r"\b(AB|kommun|kommuns|region|universitet|högskola|förening|förbund|stiftelse|"
                          r"myndighet|departement|stad)\b", re.IGNORECASE)
MAX_WORDS = 6
HEADER = ("# Titles people hold, lower case, and how each was found (a count per source). Built by\n"
          "# `python -m pipeline.training.role_titles` from Almedalen's speaker lists (civictechsweden/almedalsdata,\n"
          "# CC0) and the kommunnlp team's annotated corpus; analysts may add titles by hand (source: manual).\n")


def title_of(part: str) -> str | None:
    """The part as a title (lower case, brackets and extra spaces gone), or None when it is not one."""
    text = " ".join(_BRACKETS.sub(" ", part).split()).strip(" .;:-–\"'”“»«")
    words = text.split()
    if not words or len(words) > MAX_WORDS or any(c.isdigit() for c in text) or "@" in text:
        return None
    if _ORG_MARKERS.search(text) or sum(w[:1].isupper() for w in words) >= 2:
        return None  # "Umeå kommun", "Kantar Sifo": organisations, not titles
    return text.lower()


def from_speaker_lists(path: Path, lexicon: RoleLexicon) -> Counter:
    """Titles from "Name, Role, Organisation" strings. The part after the name is the title; further parts
    before the organisation only when they hold a role word ("Name, Arkitekt, SAR/MSA, OKK+" names two
    bodies after the title). A candidate that stands more often in the organisation's place of other
    strings is an organisation ("SKR", "Gotland")."""
    found: Counter = Counter()
    as_organisation: Counter = Counter()
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        for line in handle:
            for speaker in json.loads(line).get("speakers") or []:
                parts = [p.strip() for p in str(speaker).split(",")]
                if len(parts) >= 3:
                    as_organisation[" ".join(_BRACKETS.sub(" ", parts[-1]).split()).lower()] += 1
                    candidates = [parts[1], *(p for p in parts[2:-1] if _has_role_word(p, lexicon))]
                elif len(parts) == 2:
                    candidates = [p for p in parts[1:] if _has_role_word(p, lexicon)]
                else:
                    candidates = []
                for part in candidates:
                    title = title_of(part)
                    if title and not lexicon.party_of(title):  # "Centerpartiet" stands there too
                        found[title] += 1
    return Counter({title: n for title, n in found.items() if as_organisation[title] <= n})


def _has_role_word(part: str, lexicon: RoleLexicon) -> bool:
    return any(lexicon.is_role_word(word.strip("(),.")) for word in part.split())


def from_annotations() -> Counter:
    """The titles of the annotated corpus's train and dev splits: the test split stays unseen, or the
    lexicon would carry its answers."""
    return Counter(role["role"].lower() for record in corpus.load_records() if record["split"] != "test"
                   for role in record["person_roles"])


def build(shared: Path | None = None) -> dict[str, dict[str, int]]:
    """title → {source: count}; hand-added titles already in the file are kept."""
    lexicon = RoleLexicon.from_file(titles=Path("/dev/null/none"))  # role words only: the build must not feed on itself
    sources = {"almedalen": from_speaker_lists((shared or shared_dir()) / corpus.ALMEDALEN, lexicon),
               "corpus": from_annotations()}
    titles: dict[str, dict[str, int]] = {}
    for source, counts in sources.items():
        for title, n in counts.items():
            titles.setdefault(title, {})[source] = n
    for title, found in read_titles().items():
        if "manual" in found:
            titles.setdefault(title, {})["manual"] = found["manual"]
    return titles


def read_titles(path: Path = ROLE_TITLES_FILE) -> dict[str, dict[str, int]]:
    if not path.exists():
        return {}
    rows = [line for line in path.read_text(encoding="utf-8").splitlines() if line and not line.startswith("#")]
    found = {}
    for row in csv.DictReader(rows, delimiter="\t"):
        found[row["title"]] = {s: int(row[s]) for s in ("almedalen", "corpus", "manual") if row.get(s)}
    return found


def write(titles: dict[str, dict[str, int]], path: Path = ROLE_TITLES_FILE) -> None:
    lines = [HEADER.rstrip("\n"), "title\talmedalen\tcorpus\tmanual"]
    for title in sorted(titles):
        found = titles[title]
        lines.append("\t".join([title, *(str(found.get(s, "")) for s in ("almedalen", "corpus", "manual"))]))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    built = build()
    write(built)
    by_source = Counter(s for found in built.values() for s in found)
    print(f"{len(built)} titles written to {ROLE_TITLES_FILE}: {dict(by_source)}")
