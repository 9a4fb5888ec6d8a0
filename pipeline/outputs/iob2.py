"""The full pipeline against a public NER benchmark: span-level F1 on a file in IOB2 (UNER's format).

Each sentence is analysed as a document of its own (spaCy, kommunnlp's
components, extraction with its rules); the entity rows are mapped to the
benchmark's labels (PERSON→PER, ORGANISATION→ORG, MUNICIPALITY and LOCATION→LOC)
and compared, span by span, with the gold: a hit needs the same characters and
the same label. The bare model is scored the same way, so the two can be
compared: the rules should never make the pipeline worse than its model.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict
from pathlib import Path

from pipeline.outputs.evaluate import Score

TO_BENCHMARK = {"PERSON": "PER", "ORGANISATION": "ORG", "MUNICIPALITY": "LOC", "LOCATION": "LOC",
                "PER": "PER", "PRS": "PER", "ORG": "ORG", "LOC": "LOC", "GPE": "LOC"}


def read_iob2(path: Path) -> list[tuple[list[str], list[str]]]:
    """(words, BIO tags) per sentence: `# …` comment lines, then `index<TAB>token<TAB>tag…`, blank lines between."""
    sentences: list[tuple[list[str], list[str]]] = []
    words: list[str] = []
    tags: list[str] = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            continue
        if not line.strip():
            if words:
                sentences.append((words, tags))
                words, tags = [], []
            continue
        columns = line.split("\t")
        words.append(columns[1])
        tags.append(columns[2])
    if words:
        sentences.append((words, tags))
    return sentences


def gold_spans(words: list[str], tags: list[str]) -> tuple[str, set[tuple[int, int, str]]]:
    """The sentence's text (words joined by spaces) and its entities as (start, end, label) character spans."""
    spans, offset, current = set(), 0, None
    starts = []
    for word in words:
        starts.append(offset)
        offset += len(word) + 1
    for i, tag in enumerate([*tags, "O"]):
        if current and not (tag.startswith("I-") and tag[2:] == current[2]):
            spans.add((current[0], starts[i - 1] + len(words[i - 1]), current[2]))
            current = None
        if tag.startswith("B-") or (tag.startswith("I-") and current is None):
            current = (starts[i], None, tag[2:])
    return " ".join(words), {s for s in spans if s[2] in ("PER", "ORG", "LOC")}


def evaluate_iob2(path: Path, model: str | None = None) -> dict[str, dict[str, Score]]:
    """{"pipeline": scores, "model": scores}, each per label and ALL (micro), over every sentence."""
    import pipeline
    from pipeline.extract.document import extract_document
    from pipeline.extract.labels import load_taxonomies
    from pipeline.ingest.read import DocumentRecord
    from pipeline.nlp.lexicons import Lexicons
    from pipeline.nlp.text import remember_text

    nlp = pipeline.load_pipeline(model)
    lexicons, taxonomies = Lexicons.of(nlp), load_taxonomies()
    sentences = [gold_spans(words, tags) for words, tags in read_iob2(path)]
    scores: dict[str, dict[str, Score]] = {"pipeline": defaultdict(Score), "model": defaultdict(Score)}
    for (text, gold), doc in zip(sentences, nlp.pipe(t for t, _ in sentences), strict=True):
        record = DocumentRecord("iob2", "iob2", None, None, "sv", 1.0, text, "txt", "utf-8")
        rows = extract_document(record, [(0, remember_text(doc, text))], lexicons, taxonomies)["entities"]
        found = {"pipeline": {(r.start_char, r.end_char, TO_BENCHMARK[r.label]) for r in rows},
                 "model": {(e.start_char, e.end_char, TO_BENCHMARK[e.label_]) for e in doc.ents
                           if e.label_ in TO_BENCHMARK}}
        for system, predicted in found.items():
            for label in ("ALL", "PER", "ORG", "LOC"):
                keep = (lambda s: True) if label == "ALL" else (lambda s, label=label: s[2] == label)
                g, p = {s for s in gold if keep(s)}, {s for s in predicted if keep(s)}
                score = scores[system][label]
                score.tp += len(g & p)
                score.fp += len(p - g)
                score.fn += len(g - p)
                if label == "ALL":
                    score.misses += [f"missed {text[s:e]!r} {lab}" for s, e, lab in sorted(g - p)]
                    score.misses += [f"extra {text[s:e]!r} {lab}" for s, e, lab in sorted(p - g)]
    return {system: dict(per_label) for system, per_label in scores.items()}


def format_iob2(path: Path, scores: dict[str, dict[str, Score]]) -> str:
    lines = [f"{Path(path).name}: span-level, PERSON→PER, ORGANISATION→ORG, MUNICIPALITY and LOCATION→LOC",
             f"{'':<22}{'P':>7}{'R':>7}{'F1':>7}{'TP':>6}{'FP':>6}{'FN':>6}"]
    for system, per_label in scores.items():
        for label in ("ALL", "PER", "ORG", "LOC"):
            s = per_label.get(label, Score())
            lines.append(f"{system + ' ' + label:<22}{s.precision:>7.3f}{s.recall:>7.3f}{s.f1:>7.3f}"
                         f"{s.tp:>6}{s.fp:>6}{s.fn:>6}")
    return "\n".join(lines)


def as_json(scores: dict[str, dict[str, Score]]) -> dict:
    return {system: {label: {k: v for k, v in asdict(s).items() if k != "misses"} | {"f1": s.f1}
                     for label, s in per_label.items()} for system, per_label in scores.items()}
