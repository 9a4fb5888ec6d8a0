"""Score the output tables against a gold file, as the annotation guidelines define matching.

Entities are compared per document as sets of distinct entities: a predicted
entity (its normalized name and every surface form) matches a gold entity when
any form equals the gold name or an alias, case-insensitively after collapsing
white space. Person roles match on the person and on a role where one contains
the other as whole words, words that differ only in an inflection ending
counting as equal. Labels are compared as (document, label) pairs.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.resources import inflection_endings
from pipeline.store.folder import OutputStore

ENTITY_KEYS = {"MUNICIPALITY": "municipalities", "PERSON": "persons", "ORGANISATION": "organisations"}
# Endings that make two forms of one word ("minister"/"ministern", "grundare"/"grundarna").


@dataclass
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    misses: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def norm(text: str) -> str:
    return " ".join(str(text).split()).casefold()


def load_gold(path: Path) -> list[dict]:
    return [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]


def evaluate(gold_path: Path, processed: Path) -> dict[str, Score]:
    """Scores per entity type, person_roles, each label table, and language."""
    gold = load_gold(gold_path)
    store = OutputStore(processed)
    documents = {
        r["source_path"]: r for r in store.read("documents", ["doc_id", "source_path", "language"]).to_pylist()
    }
    entities = _by_doc(store.read("entities").to_pylist())
    roles = _by_doc(store.read("person_roles").to_pylist())
    # the label tables the gold annotates (a taxonomy the gold does not know is not scored)
    labels = {key: _by_doc(store.read(key).to_pylist()) for key in store.taxonomies() if any(key in g for g in gold)}

    scores: dict[str, Score] = defaultdict(Score)
    for item in gold:
        document = documents.get(item["doc"])
        doc_id = document["doc_id"] if document else None
        language = scores["language"]
        if document and document["language"] == item["language"]:
            language.tp += 1
        else:
            language.fn += 1
            language.misses.append(
                f"{item['doc']}: {document['language'] if document else 'missing'} (gold {item['language']})"
            )
        for label, key in ENTITY_KEYS.items():
            predicted = _predicted_entities(entities.get(doc_id, []), label)
            match_entity_lists(scores[label], item["doc"], item.get(key, []), predicted)
        match_role_lists(scores["person_roles"], item["doc"], item, roles.get(doc_id, []), scores[PARTY_KEY])
        for key in labels:
            gold_labels, found = set(item.get(key, [])), {r["label"] for r in labels[key].get(doc_id, [])}
            match_labels(scores[key], item["doc"], gold_labels, found)
            for label in gold_labels | found:  # per label: which ones carry the errors
                match_labels(scores[f"{key} · {label}"], item["doc"], gold_labels & {label}, found & {label})
            if item.get("language", "sv") == "sv" and not gold_labels:  # documents that describe none
                none = scores[f"{key} · none in gold"]
                none.tp, none.fp = none.tp + (not found), none.fp + bool(found)
                if found:
                    none.misses.append(f"{item['doc']}: {', '.join(sorted(found))}")
    return dict(scores)


def _by_doc(rows: list[dict]) -> dict[str, list[dict]]:
    grouped: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        grouped[row["doc_id"]].append(row)
    return grouped


def _predicted_entities(rows: list[dict], label: str) -> dict[str, set[str]]:
    """normalized → every form it was written in."""
    forms: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        if row["label"] == label:
            forms[row["normalized"]].update({norm(row["normalized"]), norm(row["text"])})
    return forms


def match_entity_lists(score: Score, doc: str, gold: list[dict], predicted: dict[str, set[str]]) -> None:
    """Distinct predicted entities (name → every form) against the gold's (name and aliases)."""
    unmatched = {g["name"]: {norm(g["name"]), *(norm(a) for a in g.get("aliases", []))} for g in gold}
    for name, forms in predicted.items():
        hit = next((g for g, gold_forms in unmatched.items() if forms & gold_forms), None)
        if hit is None:
            score.fp += 1
            score.misses.append(f"{doc}: extra {name!r}")
        else:
            score.tp += 1
            del unmatched[hit]
    score.fn += len(unmatched)
    score.misses.extend(f"{doc}: missed {g!r}" for g in unmatched)


def match_role_lists(score: Score, doc: str, item: dict, rows: list[dict], party: Score | None = None) -> None:
    """Predicted (person, role) pairs against the gold item's person_roles (its persons give the aliases);
    with `party`, each matched pair whose gold names a party counts there as right (tp) or wrong (fn)."""
    person_forms = {
        norm(p["name"]): {norm(p["name"]), *(norm(a) for a in p.get("aliases", []))} for p in item.get("persons", [])
    }
    unmatched = list(item.get("person_roles", []))
    for row in {(r["person"], r["role"]): r for r in rows}.values():
        hit = next(
            (
                g
                for g in unmatched
                if _same_person(row["person"], g["person"], person_forms) and roles_match(row["role"], g["role"])
            ),
            None,
        )
        if hit is None:
            score.fp += 1
            score.misses.append(f"{doc}: extra {row['person']!r} = {row['role']!r}")
        else:
            score.tp += 1
            unmatched.remove(hit)
            if party is not None and hit.get("party"):
                if row.get("party") == hit["party"]:
                    party.tp += 1
                else:
                    party.fn += 1
                    party.misses.append(f"{doc}: {row['person']!r} party {row.get('party')!r} (gold {hit['party']!r})")
    score.fn += len(unmatched)
    score.misses.extend(f"{doc}: missed {g['person']!r} = {g['role']!r}" for g in unmatched)


def _same_person(predicted: str, gold: str, person_forms: dict[str, set[str]]) -> bool:
    return norm(predicted) in person_forms.get(norm(gold), {norm(gold)})


def roles_match(a: str, b: str) -> bool:
    """One role contains the other as whole words; inflected forms of a word count as the same word."""
    x, y = norm(a).split(), norm(b).split()
    if len(x) > len(y):
        x, y = y, x
    return bool(x) and any(
        all(_same_word(p, q) for p, q in zip(x, y[i : i + len(x)], strict=True)) for i in range(len(y) - len(x) + 1)
    )


def _same_word(a: str, b: str) -> bool:
    if a == b:
        return True
    common = 0
    while common < min(len(a), len(b)) and a[common] == b[common]:
        common += 1
    endings = inflection_endings()
    return common >= 4 and a[common:] in endings and b[common:] in endings


def match_labels(score: Score, doc: str, gold: set[str], predicted: set[str]) -> None:
    score.tp += len(gold & predicted)
    score.fp += len(predicted - gold)
    score.fn += len(gold - predicted)
    score.misses.extend(f"{doc}: extra {label}" for label in sorted(predicted - gold))
    score.misses.extend(f"{doc}: missed {label}" for label in sorted(gold - predicted))


PARTY_KEY = "person_roles · party"  # tp: the party right, fn: wrong or missing, over pairs whose gold has one


def party_accuracy(scores: dict[str, Score]) -> str | None:
    """ "0.967 (29/30)": of the matched role pairs whose gold names a party, how many got it; None if none."""
    party = scores.get(PARTY_KEY)
    if party is None or not party.tp + party.fn:
        return None
    return f"{party.recall:.3f} ({party.tp}/{party.tp + party.fn})"


def format_scores(scores: dict[str, Score], misses: bool = False, per_label: bool = False) -> str:
    """The table `kommunnlp evaluate` prints: entities, roles, each label table (micro), language accuracy;
    with per_label, each label's P/R, and how many documents whose gold has no label got one."""
    lines = [f"{'':<28}{'P':>7}{'R':>7}{'F1':>7}{'TP':>6}{'FP':>6}{'FN':>6}"]
    label_keys = [k for k in scores if k not in (*ENTITY_KEYS, "person_roles", "language") and " · " not in k]
    for key in ("MUNICIPALITY", "PERSON", "ORGANISATION", "person_roles", *label_keys):
        s = scores.get(key, Score())
        lines.append(f"{key:<28}{s.precision:>7.3f}{s.recall:>7.3f}{s.f1:>7.3f}{s.tp:>6}{s.fp:>6}{s.fn:>6}")
        if key == "person_roles" and (accuracy := party_accuracy(scores)):
            lines.append(f"{'  party accuracy':<28}{accuracy}  (of matched roles whose gold names a party)")
        none = scores.get(f"{key} · none in gold")
        if none is not None and none.tp + none.fp:
            lines.append(f"{'  false-positive rate':<28}{none.fp / (none.tp + none.fp):>7.3f}  ({none.fp} of "
                         f"{none.tp + none.fp} documents whose gold has none got one)")
        if per_label:
            for label in sorted(k for k in scores if k.startswith(f"{key} · ") and not k.endswith("none in gold")
                                and k != PARTY_KEY):
                s = scores[label]
                lines.append(f"{'  ' + label.split(' · ')[1]:<28}{s.precision:>7.3f}{s.recall:>7.3f}{s.f1:>7.3f}"
                             f"{s.tp:>6}{s.fp:>6}{s.fn:>6}")
    language = scores.get("language", Score())
    lines.append(f"{'language accuracy':<28}{language.recall:>7.3f}  ({language.tp}/{language.tp + language.fn})")
    if misses:
        for key, s in scores.items():
            for miss in s.misses:
                lines.append(f"[{key}] {miss}")
    return "\n".join(lines)


def as_json(scores: dict[str, Score]) -> dict:
    return {
        k: {"precision": s.precision, "recall": s.recall, "f1": s.f1, "tp": s.tp, "fp": s.fp, "fn": s.fn}
        for k, s in scores.items()
    }
