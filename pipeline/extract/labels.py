"""Document labels from editable taxonomies: dialogue methods and cooperation themes.

A label is earned by evidence: cue words that name the method or theme,
counted on word forms and lemmas so inflections and compounds match
("samhällsvandringarna", "dialogmötena", "kvartersbudget"). Cues in link
lists and menus do not count; repeats count less and less; a cue in the title
counts more. The taxonomy files say how (`pipeline/taxonomies/*.yaml`).
"""

from __future__ import annotations

import hashlib
import math
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml
from spacy.attrs import IDX, IS_SPACE, LEMMA, LENGTH, LOWER
from spacy.strings import StringStore
from spacy.tokens import Doc

from pipeline import UserError
from pipeline.nlp.text import sentence_bounds, sentence_text, text_of
from pipeline.resources import TAXONOMY_DIR, inflection_endings, taxonomy_files

STRONG, WEAK = 1.0, 0.4
TITLE_FACTOR = 1.5
MAX_LIST_LINE_WORDS = 6
NAME_LABELS = {"PER", "PRS"}  # product and platform names ("Decidim") are cues of their own
# A taxonomy's file name is its table's name, and a table's name is an SQL view's.
_TABLE_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
_RESERVED = {"documents", "entities", "person_roles", "partnerships", "files", "quarantine", "runs", "reviews"}


class TaxonomyError(UserError, ValueError):
    """A taxonomy file is invalid; the message names the file and the problem."""


@dataclass(frozen=True)
class Cue:
    words: tuple[str, ...]
    weight: float

    @property
    def text(self) -> str:
        return " ".join(self.words)


@dataclass(frozen=True)
class Label:
    id: str
    name: str
    description: str
    cues: tuple[Cue, ...]
    negatives: tuple[Cue, ...]
    not_in_sentence: tuple[str, ...] = ()  # a cue in a sentence with one of these words does not count
    needs_actor: frozenset[str] = frozenset()  # cues that count only in a sentence naming one of `actors`
    actors: tuple[str, ...] = ()  # who must do it: "invånarna kan lämna förslag", not "myndigheten ska …"
    threshold: float | None = None  # this label's own threshold (None: the taxonomy's)


@dataclass(frozen=True, eq=False)  # hashed by identity: the caches below are asked per document
class Taxonomy:
    name: str
    threshold: float
    labels: tuple[Label, ...]
    title: str = ""  # the heading of its report section
    what: str = ""  # what its labels are, for the data dictionary
    digest: str = ""  # SHA-256 of the file: a changed taxonomy makes earlier label rows out of date


@dataclass
class Hit:
    label: str
    cue: Cue
    start: int  # character offsets within the spaCy doc
    end: int
    factor: float
    sentence: str


@dataclass
class LabelResult:
    label: str
    score: float
    evidence: str
    start: int
    end: int
    hits: list[Hit] = field(default_factory=list)


# --- loading ------------------------------------------------------------------------
def load_taxonomy(path: Path) -> Taxonomy:
    """One taxonomy file, validated; the message of a broken file names it and the problem.

    Read again when the file changes (a served deployment lives for days while analysts edit taxonomies).
    """
    path = Path(path)
    try:
        stat = path.stat()
    except OSError as error:
        raise TaxonomyError(f"{path}: cannot read taxonomy: {error}") from error
    return _load_taxonomy(path, stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=16)
def _load_taxonomy(path: Path, mtime_ns: int, size: int) -> Taxonomy:
    if not _TABLE_NAME.match(path.stem) or path.stem in _RESERVED:
        raise TaxonomyError(f"{path}: the file name is the table's name: lower-case letters, digits and _, "
                            f"not one of {', '.join(sorted(_RESERVED))}")
    try:
        raw = path.read_bytes()
        data = yaml.safe_load(raw.decode("utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        raise TaxonomyError(f"{path}: cannot read taxonomy: {error}") from error
    if not isinstance(data, dict) or not isinstance(data.get("labels"), list):
        raise TaxonomyError(f"{path}: expected a mapping with a list under 'labels'")
    threshold = _threshold(data.get("threshold"), f"{path}: 'threshold'")
    labels, seen = [], set()
    for index, entry in enumerate(data["labels"], 1):
        where = f"{path}: label {index}"
        if not isinstance(entry, dict):
            raise TaxonomyError(f"{where}: expected a mapping")
        for key in ("id", "name", "description", "strong"):
            if not entry.get(key):
                raise TaxonomyError(f"{where}: missing '{key}'")
        if entry["id"] in seen:
            raise TaxonomyError(f"{where}: duplicate id {entry['id']!r}")
        seen.add(entry["id"])
        labels.append(Label(
            id=str(entry["id"]), name=str(entry["name"]), description=str(entry["description"]),
            cues=(*_cues(entry["strong"], STRONG, where), *_cues(entry.get("weak") or [], WEAK, where)),
            negatives=_cues(entry.get("not") or [], 0.0, where),
            not_in_sentence=tuple(str(w).casefold() for w in entry.get("not_in_sentence") or []),
            needs_actor=_needs_actor(entry, where),
            actors=tuple(str(w).casefold() for w in entry.get("actors") or []),
            threshold=_threshold(entry.get("threshold"), f"{where}: threshold") if "threshold" in entry else None,
        ))
    return Taxonomy(path.stem, float(threshold), tuple(labels), str(data.get("title") or path.stem),
                    str(data.get("what") or path.stem.replace("_", " ")), hashlib.sha256(raw).hexdigest())


def _needs_actor(entry: dict, where: str) -> frozenset[str]:
    """The cues that count only with an actor: those listed, or every cue of the label ("all")."""
    value = entry.get("needs_actor") or []
    if value == "all":
        value = [*entry["strong"], *(entry.get("weak") or [])]
    if not isinstance(value, list):
        raise TaxonomyError(f"{where}: 'needs_actor' must be a list of cues or 'all'")
    if value and not entry.get("actors"):
        raise TaxonomyError(f"{where}: 'needs_actor' without 'actors'")
    return frozenset(" ".join(str(w).casefold().split()) for w in value)


def _threshold(value: object, where: str) -> float:
    if not isinstance(value, int | float) or value <= 0:
        raise TaxonomyError(f"{where} must be a positive number, got {value!r}")
    return float(value)


def _cues(values: object, weight: float, where: str) -> tuple[Cue, ...]:
    if not isinstance(values, list) or not all(isinstance(v, str) and v.strip() for v in values):
        raise TaxonomyError(f"{where}: cues must be a list of words or phrases")
    return tuple(Cue(tuple(v.casefold().split()), weight) for v in values)


def load_taxonomies(directory: Path | str | None = None) -> dict[str, Taxonomy]:
    """Every taxonomy in a folder (default: the shipped ones), validated: a broken file stops a run early."""
    folder = Path(directory) if directory else TAXONOMY_DIR
    files = taxonomy_files(folder)
    if not files:
        raise TaxonomyError(f"{folder}: no taxonomy files (*.yaml) found")
    return {path.stem: load_taxonomy(path) for path in files}


# --- matching -----------------------------------------------------------------------
def word_matches(cue_word: str, form: str, last: bool = True) -> bool:
    """Does a word form carry this cue word, as itself, an inflection, or the tail of a compound?"""
    if len(cue_word) <= 3:
        return form == cue_word
    if form.startswith(cue_word) and (len(form) - len(cue_word) <= 4 or len(cue_word) >= 6):
        return True
    return last and len(cue_word) >= 6 and any(form.endswith(cue_word + e) for e in inflection_endings())


Words = tuple[frozenset[str], frozenset[str]]
NO_WORDS: Words = (frozenset(), frozenset())


class CueIndex:
    """Which cue words a word form carries, computed once per distinct form.

    Checking every cue against every token is too slow for large corpora; a
    form's candidates are the cue words that are its prefix or, after an
    inflection ending, its suffix, found by length-indexed look-ups.
    """

    def __init__(self, words: Iterable[str]):
        self.words = frozenset(words)
        self.by_length: dict[int, set[str]] = {}
        for word in self.words:
            self.by_length.setdefault(len(word), set()).add(word)
        self.cache: dict[str, Words] = {}
        self.by_hashes: dict[tuple[int, int], Words | None] = {}

    def words_in(self, form: str) -> Words:
        """(cue words matched anywhere in a cue, cue words matched only as a cue's last word)."""
        found = self.cache.get(form)
        if found is None:
            candidates = {form[:n] for n in self.by_length if len(form) >= n} | {
                form[: len(form) - len(e)][-n:] for e in inflection_endings() if form.endswith(e)
                for n in self.by_length
            }
            words = candidates & self.words  # a cue word of 3 letters or less must equal the form: a candidate
            inner = frozenset(w for w in words if word_matches(w, form, last=False))
            last = frozenset(w for w in words if word_matches(w, form, last=True))
            found = self.cache[form] = (inner, last)
        return found

    def token_words(self, lower: int, lemma: int, strings: StringStore) -> Words | None:
        """Cue words a token carries in its form or its lemma (spaCy string hashes); None when none."""
        key = (lower, lemma)
        if key not in self.by_hashes:
            form = strings[lower]
            inner, last = self.words_in(form)
            lemma_form = strings[lemma].casefold() if lemma else ""
            if lemma_form and lemma_form != form:
                lemma_inner, lemma_last = self.words_in(lemma_form)
                inner, last = inner | lemma_inner, last | lemma_last
            self.by_hashes[key] = (inner, last) if inner or last else None
        return self.by_hashes[key]


@lru_cache(maxsize=8)
def cue_index(*taxonomies: Taxonomy) -> CueIndex:
    """One index over the cue words of the taxonomies given: a document's tokens are looked up once for all."""
    return CueIndex(w for taxonomy in taxonomies for label in taxonomy.labels
                    for cue in (*label.cues, *label.negatives) for w in cue.words)


_UNSEEN = object()  # a form not yet looked up


def doc_words(rows: list[list[int]], index: CueIndex, strings: StringStore) -> list:
    """Per token, the cue words it carries (None for spaces and most words), from spaCy's arrays.

    Labelling looks at every token of every document; reading hashes from
    `Doc.to_array` and caching per (form, lemma) avoids building a Token object
    per word, and the plain dictionary look-up keeps a method call off the
    common path (a form seen before).
    """
    seen = index.by_hashes.get
    words = [None if space else seen((lower, lemma), _UNSEEN) for lower, lemma, space, _, _ in rows]
    if _UNSEEN in words:
        for i, (lower, lemma, *_) in enumerate(rows):
            if words[i] is _UNSEEN:
                words[i] = index.token_words(lower, lemma, strings)
    return words


Matched = list[Words]
Positions = dict[tuple[str, bool], list[int]]


def positions_of(matched: Matched) -> Positions:
    """(cue word, as last word?) → token indexes that carry it: where a cue can start."""
    positions: Positions = defaultdict(list)
    for i, (inner, last) in enumerate(matched):
        for word in inner:
            positions[(word, False)].append(i)
        for word in last:
            positions[(word, True)].append(i)
    return positions


def find_cue(cue: Cue, matched: Matched, positions: Positions) -> Iterable[tuple[int, int]]:
    """(first, last) token indexes where the cue's words stand in a row."""
    n = len(cue.words)
    for i in positions.get((cue.words[0], n == 1), ()):
        if i + n <= len(matched) and all(cue.words[k] in matched[i + k][1 if k == n - 1 else 0]
                                         for k in range(1, n)):
            yield i, i + n - 1


def list_lines(text: str) -> list[tuple[int, int]]:
    """Character ranges of lines that belong to a link list or menu: runs of three or more short lines."""
    lines, position = [], 0
    for line in text.split("\n"):
        if line.strip():
            lines.append((position, position + len(line), line.strip()))
        position += len(line) + 1
    short = [len(s.split()) <= MAX_LIST_LINE_WORDS and not s.endswith((".", "!", "?", ":")) for _, _, s in lines]
    ranges, run = [], []
    for (start, end, _), is_short in zip(lines, short, strict=True):
        if is_short:
            run.append((start, end))
            continue
        if len(run) >= 3:
            ranges.extend(run)
        run = []
    if len(run) >= 3:
        ranges.extend(run)
    return ranges


@lru_cache(maxsize=8)
def cue_starts(taxonomy: Taxonomy) -> dict[tuple[str, bool], list[tuple[Label, Cue]]]:
    """(first cue word, single-word cue?) → the cues that start with it, so a sentence checks only its own."""
    starts: dict[tuple[str, bool], list[tuple[Label, Cue]]] = defaultdict(list)
    for label in taxonomy.labels:
        for cue in label.cues:
            starts[(cue.words[0], len(cue.words) == 1)].append((label, cue))
    return starts


def find_hits(doc: Doc, taxonomies: Mapping[str, Taxonomy], title_end: int) -> dict[str, list[Hit]]:
    """Every cue hit outside lists and negative phrases, with its position factor, per taxonomy."""
    excluded = list_lines(text_of(doc))
    starts = {name: cue_starts(taxonomy) for name, taxonomy in taxonomies.items()}
    hits: dict[str, list[Hit]] = {name: [] for name in taxonomies}
    rows = doc.to_array([LOWER, LEMMA, IS_SPACE, IDX, LENGTH]).tolist()  # per token; IDX: its character offset
    words = doc_words(rows, cue_index(*taxonomies.values()), doc.vocab.strings)
    for ent in doc.ents:  # a cue inside a person's name is the name, not the topic: "Krister", "Kristina"
        if ent.label_ in NAME_LABELS:
            words[ent.start : ent.end] = [None] * len(ent)
    for first_token, end_token in sentence_bounds(doc) or [(0, len(doc))]:
        if not any(words[first_token:end_token]):
            continue
        kept = [i for i in range(first_token, end_token) if not rows[i][2]]  # the sentence's non-space tokens
        tokens = [rows[i] for i in kept]
        matched = [words[i] or NO_WORDS for i in kept]
        positions = positions_of(matched)
        sentence = sentence_text(doc, first_token, end_token)
        for name, first_words in starts.items():
            candidates = [pair for key in positions if key in first_words for pair in first_words[key]]
            for label, cue, first, last in unblocked_cues(candidates, matched, positions):
                start, end = tokens[first][3], tokens[last][3] + tokens[last][4]
                if any(s <= start < e for s, e in excluded):
                    continue
                factor = TITLE_FACTOR if start < title_end else 1.0
                hits[name].append(Hit(label.id, cue, start, end, factor, sentence))
    return hits


def unblocked_cues(candidates: list[tuple[Label, Cue]], matched: Matched,
                   positions: Positions) -> Iterator[tuple[Label, Cue, int, int]]:
    """Where each candidate cue stands in a sentence (first, last token), except inside one of its
    label's `not:` phrases ("utbildning för" is training, not the theme utbildning)."""
    blocked: dict[str, list[tuple[int, int]]] = {}
    for label, cue in candidates:
        if label.id not in blocked:
            blocked[label.id] = [span for neg in label.negatives for span in find_cue(neg, matched, positions)]
        for first, last in find_cue(cue, matched, positions):
            if not any(b_first <= last and first <= b_last for b_first, b_last in blocked[label.id]):
                yield label, cue, first, last


def score_labels(hits: list[Hit], taxonomy: Taxonomy) -> list[LabelResult]:
    """Sum each cue's evidence (repeats halve), keep labels at or above their threshold.

    A label on weak cues alone ("träffar", "budget": words that support a label the text names) needs
    twice its threshold: a common word that recurs a few times is not the method. A cue in a sentence
    holding one of the label's `not_in_sentence` words does not count ("enligt en enkät" cites a survey,
    "utredaren ska lämna förslag" is an inquiry's proposal, not residents'), and a cue in `needs_actor` counts
    only in a sentence naming one of its `actors` ("hyresgästerna kan lämna förslag").
    """
    results = []
    for label in taxonomy.labels:
        mine = [h for h in hits if h.label == label.id and not _blocked_sentence(h.sentence, label)
                and (h.cue.text not in label.needs_actor or _names_actor(h.sentence, label))]
        if not mine:
            continue
        # math.fsum over a fixed order: the score must not depend on set order (string hashing differs
        # between processes), or a label right at the threshold would come and go between runs.
        contributions = []
        for cue in sorted({h.cue for h in mine}, key=lambda c: (c.text, c.weight)):
            cue_hits = sorted((h for h in mine if h.cue == cue), key=lambda h: (-h.factor, h.start))
            contributions.extend(cue.weight * h.factor * 0.5**i for i, h in enumerate(cue_hits))
        score = round(math.fsum(contributions), 6)
        needed = (label.threshold or taxonomy.threshold) * (1 if any(h.cue.weight >= STRONG for h in mine) else 2)
        if score >= needed:
            best = max(mine, key=lambda h: (h.cue.weight * h.factor, -h.start))
            results.append(LabelResult(label.id, round(score, 3), best.sentence, best.start, best.end, mine))
    return results


def _names_actor(sentence: str, label: Label) -> bool:
    """Whether a word of the sentence begins with one of the label's actors (a short actor such as "vi" or
    "man" must be the whole word; one of several words, the words in a row)."""
    words = re.findall(r"\w+", sentence.casefold())
    joined = f" {' '.join(words)} "
    return any(f" {actor} " in joined if len(actor) <= 3 or " " in actor else any(w.startswith(actor) for w in words)
               for actor in label.actors)


def _blocked_sentence(sentence: str, label: Label) -> bool:
    if not label.not_in_sentence:
        return False
    text = f" {sentence.casefold()} "
    return any(f" {word}" in text for word in label.not_in_sentence)


def labels_in_phrase(phrase: str, taxonomy: Taxonomy) -> list[str]:
    """The ids of the labels a short phrase names by its cues ("vatten och avlopp, utbildning"): for lists
    such as a partnership's "Samarbetsområde:" line, where every cue counts and no threshold applies."""
    index = cue_index(taxonomy)
    matched = [index.words_in(word) for word in phrase.casefold().replace(",", " ").split()]
    positions = positions_of(matched)
    return sorted({label.id for label in taxonomy.labels
                   if any(next(iter(find_cue(cue, matched, positions)), None) for cue in label.cues)})


def title_end(text: str) -> int:
    """End of the first line when it reads as a heading (short, no full stop), else 0."""
    first = text.split("\n", 1)[0]
    return len(first) if len(first.split()) <= 15 and not first.rstrip().endswith(".") else 0


def classify(docs: list[tuple[int, Doc]], taxonomies: Mapping[str, Taxonomy]) -> dict[str, list[LabelResult]]:
    """Labels of every taxonomy for one document analysed in chunks; offsets are absolute."""
    hits: dict[str, list[Hit]] = {name: [] for name in taxonomies}
    for offset, doc in docs:
        heading = title_end(text_of(doc)) if offset == 0 else 0
        for name, found in find_hits(doc, taxonomies, heading).items():
            for hit in found:
                hit.start += offset
                hit.end += offset
            hits[name].extend(found)
    return {name: score_labels(hits[name], taxonomy) for name, taxonomy in taxonomies.items()}
