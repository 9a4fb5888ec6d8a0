"""`kommunnlp train-ner`: the shipped model from ../shared, end to end, as one Prefect flow.

Convert the three corpora, train floret vectors, pretrain the token-to-vector
layer, train the NER, evaluate on every test set, and install the model with
its metrics and provenance. Each step's output lands in the work folder and is
reused when it is already there (vectors take ~7 minutes, pretraining ~15),
so a second run with other training settings starts at the step that changed.
"""

from __future__ import annotations

from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

from pipeline.resources import shared_dir
from pipeline.training import corpus, vectors
from pipeline.training import ner as training

BENCH = Path("bench") / "regeringen-pressmeddelanden.tar.gz"


@task(name="convert-corpora", cache_policy=NO_CACHE)
def convert(work_dir: Path, shared: Path, ours_weight: int, annotations: Path) -> dict[str, Path]:
    return training.write_docbins(work_dir, shared, ours_weight=ours_weight, annotations=annotations)


@task(name="train-vectors", cache_policy=NO_CACHE)
def train_vectors(work_dir: Path, shared: Path) -> Path:
    model = work_dir / "vectors-model"
    if (model / "config.cfg").exists():
        return model
    text = work_dir / "vectors-text.txt"
    vectors.training_text(text, shared)
    return vectors.vectors_model(vectors.train_vectors(text, work_dir / "vectors.floret"), model)


@task(name="pretrain-tok2vec", cache_policy=NO_CACHE)
def pretrain(work_dir: Path, shared: Path, epochs: int, vectors_model: Path | None) -> Path:
    out = work_dir / "pretrain"
    done = sorted(out.glob(f"model{epochs - 1}.bin"))
    if done:
        return done[0]
    held_out = {Path(r["id"].split(":", 1)[1]).name for r in corpus.load_records()
                if r["split"] == "test" and r["id"].startswith("bench:")}
    dev = {corpus.DEV_PREFIX.sub("", d.file_name) for d in corpus.dev_documents(shared)}
    raw = work_dir / "pretrain.jsonl"
    training.write_pretraining_text(shared / BENCH, raw, held_out | dev)
    return training.pretrain_tok2vec(raw, out, epochs, vectors_model)


@task(name="train-ner", cache_policy=NO_CACHE)
def train(docbins: dict[str, Path], work_dir: Path, vectors_model: Path | None, init_tok2vec: Path | None,
          max_steps: int | None) -> Path:
    return training.train_model(docbins, work_dir / "trained", vectors_model, init_tok2vec, max_steps)


@task(name="evaluate-test-sets", cache_policy=NO_CACHE)
def evaluate(model_dir: Path, docbins: dict[str, Path]) -> dict:
    return training.evaluate_all(model_dir, docbins)


@flow(name="kommunnlp-train-ner")
def train_ner_flow(
    work_dir: str = "build/ner",
    pretrain_epochs: int = 2,
    ours_weight: int = 2,
    max_steps: int | None = None,
    install: bool = True,
    with_vectors: bool = True,
    shared: str | None = None,
    annotations: str | None = None,
) -> dict:
    """Train the shipped NER. ours_weight: how many times the team's documents count in training (they are
    the product's own genres, and fewer than the news and prose sentences). shared, annotations: other
    places for ../shared and the annotated corpus (tests train on tiny ones)."""
    logger = get_run_logger()
    shared_path = Path(shared) if shared else shared_dir()
    needed = [training.SNC / "train_corpus.txt", training.UNER / "sv_talbanken-ud-train.iob2",
              *([BENCH] if pretrain_epochs > 0 else [])]
    for path in needed:
        if not (shared_path / path).exists():
            raise FileNotFoundError(f"{shared_path / path} not found: training needs the shared data")
    work = Path(work_dir)
    docbins = convert(work, shared_path, ours_weight, Path(annotations) if annotations else corpus.CORPUS_FILE)
    vectors_model = train_vectors(work, shared_path) if with_vectors else None
    init = pretrain(work, shared_path, pretrain_epochs, vectors_model) if pretrain_epochs > 0 else None
    best = train(docbins, work, vectors_model, init, max_steps)
    metrics = evaluate(best, docbins)
    metrics["recipe"] = {"pretrain_epochs": pretrain_epochs if init else 0, "ours_weight": ours_weight,
                         "vectors": vectors.FLORET if vectors_model else None}
    report = training.format_metrics(metrics)
    logger.info("model %s:\n%s", best, report)
    if install:
        target = training.package_model(best, metrics)
        logger.info("model installed in %s", target)
    return {"metrics": metrics, "report": report}
