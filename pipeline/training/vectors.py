"""Static word vectors for the shipped model: floret, trained here on Swedish public-sector text.

floret (fastText with a hashed table of subwords, the format spaCy reads
natively) suits Swedish: compounds ("medborgarbudgeten", "kommunstyrelseordförande")
share vectors with their parts, and a word never seen still gets one. The text
is everything in ../shared the team may use unlabelled: the government
documents, the Almedalen event pages, the press-release archive and the dev
posts, tokenized the way the pipeline tokenizes, minus the documents of the
annotated corpus's test split (which stays unseen in every sense).
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from pathlib import Path

from pipeline.resources import shared_dir
from pipeline.training import corpus

# 200 dimensions × 35,000 hashed rows × 4 bytes = 28 MB in the model (one file, under 30 MB in the
# repository); subwords of 3–5 characters.
FLORET = {"model": "cbow", "dim": 200, "bucket": 35_000, "minn": 3, "maxn": 5, "hashCount": 2, "epoch": 5,
          "minCount": 3, "thread": 2}


def training_text(target: Path, shared: Path | None = None) -> int:
    """One paragraph a line, tokens separated by spaces, lower case kept; returns the number of lines."""
    import spacy

    shared = shared or shared_dir()
    held_out = {r["id"] for r in corpus.load_records() if r["split"] == "test"}
    tokenizer = spacy.blank("sv").tokenizer
    target.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with target.open("w", encoding="utf-8") as out:
        for paragraph in _paragraphs(shared, held_out):
            out.write(" ".join(t.text for t in tokenizer(paragraph) if not t.is_space) + "\n")
            count += 1
    return count


def _paragraphs(shared: Path, held_out: set[str]) -> Iterator[str]:
    documents = (
        *(d for d in corpus.press_releases(shared)),
        *(d for _, d in corpus.almedalen_events(shared)),
        *(d for d in corpus.dev_documents(shared)),
    )
    for document in documents:
        if document.id not in held_out:
            yield from _split(document.content)
    with gzip.open(shared / corpus.G0VSE, "rt", encoding="utf-8") as handle:
        for line in handle:
            record = json.loads(line)
            if f"g0vse:{record['path']}" not in held_out:
                yield from _split(record["text"])


def _split(text: str) -> Iterator[str]:
    for paragraph in text.split("\n\n"):
        paragraph = " ".join(paragraph.replace("#", " ").split())
        if len(paragraph) > 20:
            yield paragraph


def train_vectors(text: Path, output: Path) -> Path:
    """Train floret vectors on the text; returns the .floret file `spacy init vectors --mode floret` reads."""
    import floret

    model = floret.train_unsupervised(str(text), mode="floret", **FLORET)
    output.parent.mkdir(parents=True, exist_ok=True)
    model.save_floret_vectors(str(output))
    return output


def vectors_model(floret_file: Path, output: Path) -> Path:
    """A blank Swedish pipeline holding the vectors, for `[initialize] vectors` of the training config."""
    import spacy
    from spacy.training.initialize import convert_vectors

    nlp = spacy.blank("sv")
    convert_vectors(nlp, floret_file, truncate=0, prune=-1, name="kommunnlp_floret_sv", mode="floret")
    nlp.to_disk(output)
    return output
