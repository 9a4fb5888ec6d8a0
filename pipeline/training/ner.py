"""Train kommunnlp's own Swedish NER pipeline (PER, ORG, LOC) from three corpora.

- The Swedish NER corpus (klintan/swedish-ner-corpus, news, CC BY 4.0): one
  token per line with IO tags (``0`` is outside). spaCy trains on BIO/BILUO
  spans, so runs of the same IO tag become one entity (IO cannot tell two
  adjacent entities of one type apart; joining them is the conventional reading).
  Its MISC is read as outside: the product has no such label.
- UNER Swedish-Talbanken (prose of many genres, CC BY-SA 4.0): IOB2, PER/LOC/ORG.
- The team's annotated corpus (`pipeline/training/annotations`): whole
  documents of the product's own genres, MUN spans trained as LOC (the
  municipality component, not the model, tells a municipality from a place).

Training uses their train parts; the model is chosen on the team's corpus's
dev split and reported on the three test parts, which no step sees before.
"""

from __future__ import annotations

import json
import random
import shutil
from dataclasses import dataclass
from pathlib import Path

import spacy
from spacy.tokens import Doc, DocBin
from spacy.training import iob_to_biluo

from pipeline import PIPELINE_VERSION
from pipeline.resources import CONFIG_DIR, SHIPPED_MODEL_DIR

NER_CONFIG = CONFIG_DIR / "ner.cfg"
CORPUS_LABELS = ("PER", "ORG", "LOC", "MISC")
OUTSIDE = {"0", "O"}
TRAINED_LABELS = ("PER", "ORG", "LOC")
SPAN_TO_NER = {"PER": "PER", "ORG": "ORG", "LOC": "LOC", "MUN": "LOC"}
SNC = Path("training") / "swedish-ner-corpus"
UNER = Path("training") / "uner-swedish-talbanken"


@dataclass(frozen=True)
class Sentence:
    words: list[str]
    io_tags: list[str]


def read_io_corpus(path: Path) -> list[Sentence]:
    """Read a token-per-line IO file; an unknown tag is an error naming the line."""
    sentences: list[Sentence] = []
    words: list[str] = []
    tags: list[str] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            if words:
                sentences.append(Sentence(words, tags))
                words, tags = [], []
            continue
        parts = line.split()
        if len(parts) < 2:
            # The train file has one stray token without a tag ("bn", line 90310):
            # read it as outside rather than dropping the sentence.
            parts.append("0")
        word, tag = " ".join(parts[:-1]), parts[-1]
        if tag not in OUTSIDE and tag not in CORPUS_LABELS:
            raise ValueError(f"{path}:{number}: unknown tag {tag!r}")
        words.append(word)
        tags.append(tag)
    if words:
        sentences.append(Sentence(words, tags))
    return sentences


def io_to_bio(io_tags: list[str]) -> list[str]:
    """IO → BIO: a tag starts an entity unless the previous token had the same type."""
    bio: list[str] = []
    previous = "O"
    for tag in io_tags:
        if tag in OUTSIDE:
            bio.append("O")
            previous = "O"
        else:
            bio.append(("I-" if previous == tag else "B-") + tag)
            previous = tag
    return bio


def to_doc(nlp: spacy.language.Language, sentence: Sentence) -> Doc:
    doc = Doc(nlp.vocab, words=sentence.words)
    biluo = iob_to_biluo(io_to_bio(sentence.io_tags))
    doc.ents = spacy.training.biluo_tags_to_spans(doc, biluo)
    return doc


def read_iob2(path: Path) -> list[Sentence]:
    """UNER's IOB2 files as sentences (tags stay BIO)."""
    from pipeline.outputs.iob2 import read_iob2 as sentences

    return [Sentence(words, tags) for words, tags in sentences(path)]


def bio_doc(nlp: spacy.language.Language, words: list[str], bio: list[str]) -> Doc:
    """A Doc with the BIO tags as entities; labels the model is not trained on (MISC) are outside."""
    kept = [tag if tag[2:] in TRAINED_LABELS else "O" for tag in bio]
    doc = Doc(nlp.vocab, words=words)
    doc.ents = spacy.training.biluo_tags_to_spans(doc, iob_to_biluo(kept))
    return doc


def corpus_doc(nlp: spacy.language.Language, text: str, spans: list[list]) -> Doc:
    """A document of the team's corpus with its spans as entities.

    A span that does not fall on token boundaries ("Vinnova" in "Vinnova-projekt")
    leaves its tokens *missing*, not outside: the model is neither taught that
    they are an entity nor that they are not.
    """
    doc = nlp.make_doc(text)
    entities, missing = [], []
    for start, end, label, _ in spans:
        span = doc.char_span(start, end, label=SPAN_TO_NER[label])
        if span is not None:
            entities.append(span)
        else:
            loose = doc.char_span(start, end, alignment_mode="expand")
            if loose is not None:
                missing.append(loose)
    entities = spacy.util.filter_spans(entities)
    taken = {i for span in entities for i in range(span.start, span.end)}
    missing = [m for m in spacy.util.filter_spans(missing) if not any(i in taken for i in range(m.start, m.end))]
    doc.set_ents(entities, missing=missing, default="outside")
    return doc


def write_docbins(work_dir: Path, shared: Path, dev_share: float = 0.1, seed: int = 42, ours_weight: int = 2,
                  annotations: Path | None = None) -> dict[str, Path]:
    """DocBins: `train` (all three corpora's training parts, the team's documents `ours_weight` times), `dev`
    (the team's dev split: model selection), and one test set per corpus (`test_corpus`, `test_uner`,
    `test_snc`), never seen in training or selection."""
    from pipeline.training import corpus

    nlp = spacy.blank("sv")
    snc_train = read_io_corpus(shared / SNC / "train_corpus.txt")
    random.Random(seed).shuffle(snc_train)  # as before: a share of the news corpus stays out as its own dev
    snc_train = snc_train[int(len(snc_train) * dev_share):]
    news = lambda sentences: [bio_doc(nlp, s.words, io_to_bio(s.io_tags)) for s in sentences]  # noqa: E731
    prose = lambda sentences: [bio_doc(nlp, s.words, s.io_tags) for s in sentences]  # noqa: E731
    records = corpus.load_records(annotations or corpus.CORPUS_FILE)
    sources = corpus.find_sources([r["id"] for r in records], shared)
    ours: dict[str, list[Doc]] = {split: [] for split in corpus.SPLITS}
    for record in records:
        text = corpus.document_text(sources[record["id"]])
        if corpus.text_sha256(text) != record["sha256"]:
            raise ValueError(f"{record['id']}: the text in ../shared is not the text that was annotated")
        if record["language"] == "sv":
            ours[record["split"]].append(corpus_doc(nlp, text, record["spans"]))
    sets = {
        "train": [*news(snc_train), *prose(read_iob2(shared / UNER / "sv_talbanken-ud-train.iob2")),
                  *ours["train"] * ours_weight],
        "dev": ours["dev"],
        "test_corpus": ours["test"],
        "test_uner": prose(read_iob2(shared / UNER / "sv_talbanken-ud-test.iob2")),
        "test_snc": news(read_io_corpus(shared / SNC / "test_corpus.txt")),
    }
    work_dir.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    for name, docs in sets.items():
        paths[name] = work_dir / f"{name}.spacy"
        DocBin(docs=docs).to_disk(paths[name])
    return paths


TEST_SETS = {"test_corpus": "the team's annotated corpus, test split", "test_uner": "UNER Swedish-Talbanken test",
             "test_snc": "Swedish NER corpus test (PER/ORG/LOC; MISC read as outside)"}


def train_model(
    docbins: dict[str, Path], output_dir: Path, vectors: Path | None = None, init_tok2vec: Path | None = None,
    max_steps: int | None = None,
) -> Path:
    """Train with spaCy's own trainer; returns the best model's folder (chosen on dev, not test)."""
    from spacy.cli.train import train as spacy_train

    overrides = {"paths.train": str(docbins["train"]), "paths.dev": str(docbins["dev"])}
    if vectors:
        overrides["paths.vectors"] = str(vectors)
    else:
        overrides["components.tok2vec.model.embed.include_static_vectors"] = False
    if init_tok2vec:
        overrides["paths.init_tok2vec"] = str(init_tok2vec)
    if max_steps:
        overrides["training.max_steps"] = max_steps
    spacy_train(NER_CONFIG, output_path=output_dir, overrides=overrides)
    return output_dir / "model-best"


def evaluate_model(model_dir: Path, docbin: Path) -> dict:
    """Span-level precision, recall and F1, overall and per type, of the bare model on one gold set."""
    from spacy.training import Example

    nlp = spacy.load(model_dir)
    gold_docs = list(DocBin().from_disk(docbin).get_docs(nlp.vocab))
    scores = nlp.evaluate([Example(nlp.make_doc(doc.text), doc) for doc in gold_docs])
    return {
        "n_docs": len(gold_docs),
        "ents_p": scores["ents_p"],
        "ents_r": scores["ents_r"],
        "ents_f": scores["ents_f"],
        "per_type": scores["ents_per_type"],
    }


def evaluate_all(model_dir: Path, docbins: dict[str, Path]) -> dict:
    """The model on its dev set and on every test set."""
    return {name: evaluate_model(model_dir, docbins[name]) for name in ("dev", *TEST_SETS)}


def package_model(model_dir: Path, metrics: dict, target: Path = SHIPPED_MODEL_DIR) -> Path:
    """Copy the trained model into the package with provenance in meta.json."""
    nlp = spacy.load(model_dir)
    nlp.meta.update(
        {
            "name": "kommunnlp_ner",
            "version": PIPELINE_VERSION,
            "description": "kommunnlp's Swedish NER pipeline (floret vectors, tok2vec + ner for PER/ORG/LOC, "
                           "sentencizer, lookup lemmatizer).",
            "sources": [
                {
                    "name": "Swedish NER corpus (Webbnyheter 2012, Språkbanken; klintan/swedish-ner-corpus)",
                    "url": "https://github.com/klintan/swedish-ner-corpus",
                    "license": "CC BY 4.0",
                    "author": "Andreas Klintberg; Språkbanken",
                },
                {
                    "name": "UNER Swedish-Talbanken (Universal NER over UD Swedish-Talbanken)",
                    "url": "https://github.com/UniversalNER/UNER_Swedish-Talbanken",
                    "license": "CC BY-SA 4.0",
                    "author": "Universal NER project; UD Swedish-Talbanken",
                },
                {"name": "kommunnlp annotated corpus (press releases, Almedalen events, government texts, posts)",
                 "license": "annotations by the kommunnlp team"},
                {"name": "floret vectors trained by kommunnlp on Swedish government documents and Almedalen "
                         "events (civictechsweden g0vse, almedalsdata: public documents, CC0)"},
                {"name": "spacy-lookups-data (sv_lemma_lookup)", "license": "MIT"},
            ],
            "license": "CC BY-SA 4.0 (trained on UNER Swedish-Talbanken, CC BY-SA 4.0: shared alike)",
            "performance": metrics,
        }
    )
    for key in list(nlp.config["paths"]):  # build-machine paths mean nothing to a user
        nlp.config["paths"][key] = None
    tmp = target.with_name(target.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    nlp.to_disk(tmp)
    (tmp / "metrics.json").write_text(json.dumps(metrics, indent=2, ensure_ascii=False) + "\n")
    shutil.rmtree(target, ignore_errors=True)
    tmp.rename(target)
    return target


def format_metrics(metrics: dict) -> str:
    """One block per gold set: overall and per type."""
    lines = []
    for name, scores in metrics.items():
        if not isinstance(scores, dict) or "ents_f" not in scores:
            continue
        lines.append(f"{name} ({TEST_SETS.get(name, 'model selection')}): {scores['n_docs']} documents/sentences")
        lines.append(f"  {'type':<6}{'P':>8}{'R':>8}{'F1':>8}")
        lines.append(f"  {'ALL':<6}{_f(scores['ents_p'])}{_f(scores['ents_r'])}{_f(scores['ents_f'])}")
        for label, s in sorted((scores["per_type"] or {}).items()):
            lines.append(f"  {label:<6}{_f(s['p'])}{_f(s['r'])}{_f(s['f'])}")
    return "\n".join(lines)


def _f(value: float | None) -> str:
    return f"{value:>8.3f}" if value is not None else f"{'—':>8}"


__all__ = [
    "Sentence",
    "evaluate_all",
    "evaluate_model",
    "format_metrics",
    "io_to_bio",
    "package_model",
    "read_io_corpus",
    "train_model",
    "write_docbins",
]


def write_pretraining_text(bench_archive: Path, target: Path, exclude: set[str] = frozenset()) -> int:
    """Paragraphs of the press-release archive as JSONL for `spacy pretrain`.

    Raw, unlabelled in-domain text teaches the token-to-vector layer Swedish
    word shapes and contexts the small NER corpus lacks. Files named in
    `exclude` (the dev documents) are left out.
    """
    import tarfile

    count = 0
    target.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(bench_archive) as archive, target.open("w", encoding="utf-8") as out:
        for member in archive:
            if not member.isfile() or not member.name.endswith(".md"):
                continue
            if Path(member.name).name in exclude:
                continue
            text = archive.extractfile(member).read().decode("utf-8", errors="replace")
            for paragraph in text.split("\n\n"):
                paragraph = " ".join(paragraph.replace("#", " ").split())
                if len(paragraph) > 40:
                    out.write(json.dumps({"text": paragraph}, ensure_ascii=False) + "\n")
                    count += 1
    return count


def pretrain_tok2vec(raw_text: Path, output_dir: Path, epochs: int, vectors: Path | None = None) -> Path:
    """`spacy pretrain` on raw text; returns the last epoch's weights for init_tok2vec."""
    from spacy.training.pretrain import pretrain

    overrides = {"paths.raw_text": str(raw_text), "pretraining.max_epochs": epochs}
    if vectors:
        overrides["paths.vectors"] = str(vectors)
    else:
        overrides["components.tok2vec.model.embed.include_static_vectors"] = False
    raw = spacy.util.load_config(NER_CONFIG, overrides=overrides, interpolate=False)
    output_dir.mkdir(parents=True, exist_ok=True)
    raw.to_disk(output_dir / "config.cfg")
    pretrain(raw.interpolate(), output_dir, silent=False)
    return sorted(output_dir.glob("model*.bin"), key=lambda p: int(p.stem.removeprefix("model").split("-")[0] or 0))[-1]
