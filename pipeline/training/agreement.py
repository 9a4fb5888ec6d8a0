"""Inter-annotator agreement: how far two independent annotations of the same documents agree.

Spans agree when both annotators marked the same characters with the same
label (exact match); the document-level lists are compared as `kommunnlp
evaluate` compares outputs with gold, one annotation taking the place of the
gold. F1 is symmetric, so which is which does not matter.
"""

from __future__ import annotations

from collections import defaultdict

from pipeline.outputs.evaluate import Score, match_entity_lists, match_labels, match_role_lists, norm

SPAN_LABELS = ("PER", "ORG", "LOC", "MUN")
LIST_KEYS = {"MUNICIPALITY": "municipalities", "PERSON": "persons", "ORGANISATION": "organisations"}


def agreement(first: list[dict], second: list[dict], texts: dict[str, str]) -> dict[str, Score]:
    """Scores per span label (`span PER` …), per document-level list and label table, over the documents
    both annotated (matched by id and text hash); texts: id → document text, for the surface forms."""
    from pipeline.training.annotation import from_record, gold_lists

    other = {r["id"]: r for r in second}
    scores: dict[str, Score] = defaultdict(Score)
    for record in first:
        twin = other.get(record["id"])
        if twin is None or twin["sha256"] != record["sha256"]:
            continue
        scores["documents"].tp += 1
        a_spans = {tuple(s[:3]) for s in record["spans"]}
        b_spans = {tuple(s[:3]) for s in twin["spans"]}
        for label in SPAN_LABELS:
            score = scores[f"span {label}"]
            a = {s for s in a_spans if s[2] == label}
            b = {s for s in b_spans if s[2] == label}
            score.tp += len(a & b)
            score.fp += len(b - a)
            score.fn += len(a - b)
        gold = gold_lists(from_record(record), texts[record["id"]])
        other_lists = gold_lists(from_record(twin), texts[record["id"]])
        for label, key in LIST_KEYS.items():
            predicted = {e["name"]: {norm(e["name"]), *(norm(a) for a in e["aliases"])} for e in other_lists[key]}
            match_entity_lists(scores[label], record["id"], gold[key], predicted)
        match_role_lists(scores["person_roles"], record["id"], gold, other_lists["person_roles"])
        for key in ("dialogue_methods", "cooperation_themes"):
            match_labels(scores[key], record["id"], set(gold[key]), set(other_lists[key]))
    return dict(scores)


def format_agreement(scores: dict[str, Score]) -> str:
    lines = [f"{scores.get('documents', Score()).tp} documents annotated twice, independently",
             f"{'':<22}{'P':>7}{'R':>7}{'F1':>7}{'both':>6}{'only B':>7}{'only A':>7}"]
    for key, score in scores.items():
        if key != "documents":
            lines.append(f"{key:<22}{score.precision:>7.3f}{score.recall:>7.3f}{score.f1:>7.3f}"
                         f"{score.tp:>6}{score.fp:>7}{score.fn:>7}")
    return "\n".join(lines)
