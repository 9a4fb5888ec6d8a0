"""Train kommunnlp's own Swedish NER pipeline from the Swedish NER corpus.

The corpus (klintan/swedish-ner-corpus, Webbnyheter 2012, CC BY 4.0) comes as
one token per line with IO tags (``0`` is outside, otherwise PER/ORG/LOC/MISC)
and a blank line between sentences. spaCy trains on BIO/BILUO spans, so runs of
the same IO tag become one entity: IO cannot tell two adjacent entities of the
same type apart, and joining them is the conventional reading.
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


def write_docbins(corpus_dir: Path, work_dir: Path, dev_share: float = 0.1, seed: int = 42) -> dict[str, Path]:
    """Convert train/test to DocBins; hold out a seeded share of train as dev.

    The test split is never seen in training or model selection, so the
    figures reported on it are honest.
    """
    nlp = spacy.blank("sv")
    train = read_io_corpus(corpus_dir / "train_corpus.txt")
    test = read_io_corpus(corpus_dir / "test_corpus.txt")
    random.Random(seed).shuffle(train)
    n_dev = int(len(train) * dev_share)
    splits = {"train": train[n_dev:], "dev": train[:n_dev], "test": test}
    work_dir.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    for name, sentences in splits.items():
        paths[name] = work_dir / f"{name}.spacy"
        DocBin(docs=[to_doc(nlp, s) for s in sentences]).to_disk(paths[name])
    return paths


def train_model(
    docbins: dict[str, Path], output_dir: Path, init_tok2vec: Path | None = None, max_steps: int | None = None
) -> Path:
    """Train with spaCy's own trainer; returns the best model's folder (chosen on dev, not test)."""
    from spacy.cli.train import train as spacy_train

    overrides = {"paths.train": str(docbins["train"]), "paths.dev": str(docbins["dev"])}
    if init_tok2vec:
        overrides["paths.init_tok2vec"] = str(init_tok2vec)
    if max_steps:
        overrides["training.max_steps"] = max_steps
    spacy_train(NER_CONFIG, output_path=output_dir, overrides=overrides)
    return output_dir / "model-best"


def evaluate_model(model_dir: Path, test_docbin: Path) -> dict:
    """Precision, recall and F1 overall and per type on the held-out test split."""
    from spacy.training import Example

    nlp = spacy.load(model_dir)
    gold_docs = list(DocBin().from_disk(test_docbin).get_docs(nlp.vocab))
    scores = nlp.evaluate([Example(nlp.make_doc(doc.text), doc) for doc in gold_docs])
    return {
        "n_sentences": len(gold_docs),
        "ents_p": scores["ents_p"],
        "ents_r": scores["ents_r"],
        "ents_f": scores["ents_f"],
        "per_type": scores["ents_per_type"],
    }


def package_model(model_dir: Path, metrics: dict, corpus_dir: Path, target: Path = SHIPPED_MODEL_DIR) -> Path:
    """Copy the trained model into the package with provenance in meta.json."""
    nlp = spacy.load(model_dir)
    nlp.meta.update(
        {
            "name": "kommunnlp_ner",
            "version": PIPELINE_VERSION,
            "description": "kommunnlp's Swedish NER pipeline (tok2vec + ner, sentencizer, lookup lemmatizer).",
            "sources": [
                {
                    "name": "Swedish NER corpus (Webbnyheter 2012, Språkbanken; klintan/swedish-ner-corpus)",
                    "url": "https://github.com/klintan/swedish-ner-corpus",
                    "license": "CC BY 4.0",
                    "author": "Andreas Klintberg; Språkbanken",
                },
                {"name": "spacy-lookups-data (sv_lemma_lookup)", "license": "MIT"},
            ],
            "license": "CC BY 4.0 (training data); model weights trained by kommunnlp",
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
    lines = [f"test split: {metrics['n_sentences']} sentences"]
    lines.append(f"{'type':<8}{'P':>8}{'R':>8}{'F1':>8}")
    lines.append(f"{'ALL':<8}{metrics['ents_p']:>8.3f}{metrics['ents_r']:>8.3f}{metrics['ents_f']:>8.3f}")
    for label, s in sorted(metrics["per_type"].items()):
        lines.append(f"{label:<8}{s['p']:>8.3f}{s['r']:>8.3f}{s['f']:>8.3f}")
    return "\n".join(lines)


__all__ = [
    "Sentence",
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


def pretrain_tok2vec(raw_text: Path, output_dir: Path, epochs: int) -> Path:
    """`spacy pretrain` on raw text; returns the last epoch's weights for init_tok2vec."""
    from spacy.cli.pretrain import pretrain

    pretrain(NER_CONFIG, output_dir, overrides={"paths.raw_text": str(raw_text), "pretraining.max_epochs": epochs})
    return sorted(output_dir.glob("model*.bin"), key=lambda p: int(p.stem.removeprefix("model").split("-")[0] or 0))[-1]
