"""`kommunnlp train-ner`: convert the corpus, pretrain, train, evaluate on the test split, ship the model."""

from __future__ import annotations

import re
from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

from pipeline.resources import shared_dir
from pipeline.training import ner as training

DEV_NAME_PREFIX = re.compile(r"^(gov|dd)-\d{4}-\d{2}(-\d{2})?-")


@task(name="convert-corpus", cache_policy=NO_CACHE)
def convert(corpus_dir: Path, work_dir: Path) -> dict[str, Path]:
    return training.write_docbins(corpus_dir, work_dir)


@task(name="pretrain-tok2vec", cache_policy=NO_CACHE)
def pretrain(bench_archive: Path, work_dir: Path, epochs: int) -> Path:
    dev = shared_dir() / "corpus" / "dev"
    exclude = {DEV_NAME_PREFIX.sub("", p.name) for p in dev.glob("*.md*")} if dev.is_dir() else set()
    raw = work_dir / "pretrain.jsonl"
    training.write_pretraining_text(bench_archive, raw, exclude)
    return training.pretrain_tok2vec(raw, work_dir / "pretrain", epochs)


@task(name="train-ner", cache_policy=NO_CACHE)
def train(docbins: dict[str, Path], work_dir: Path, init_tok2vec: Path | None, max_steps: int | None) -> Path:
    return training.train_model(docbins, work_dir / "trained", init_tok2vec, max_steps)


@task(name="evaluate-test-split", cache_policy=NO_CACHE)
def evaluate(model_dir: Path, test_docbin: Path) -> dict:
    return training.evaluate_model(model_dir, test_docbin)


@flow(name="kommunnlp-train-ner")
def train_ner_flow(
    corpus_dir: str | None = None,
    bench_archive: str | None = None,
    work_dir: str = "build/ner",
    pretrain_epochs: int = 3,
    max_steps: int | None = None,
    install: bool = True,
) -> dict:
    logger = get_run_logger()
    corpus = Path(corpus_dir) if corpus_dir else shared_dir() / "training" / "swedish-ner-corpus"
    bench = Path(bench_archive) if bench_archive else shared_dir() / "bench" / "regeringen-pressmeddelanden.tar.gz"
    if not (corpus / "train_corpus.txt").exists():
        raise FileNotFoundError(f"training corpus not found in {corpus}; pass --corpus")
    work = Path(work_dir)
    docbins = convert(corpus, work)
    init = pretrain(bench, work, pretrain_epochs) if pretrain_epochs > 0 and bench.exists() else None
    if init is None:
        logger.warning("no tok2vec pretraining (archive %s missing or --pretrain-epochs 0)", bench)
    best = train(docbins, work, init, max_steps)
    metrics = evaluate(best, docbins["test"])
    metrics["pretrain_epochs"] = pretrain_epochs if init else 0
    report = training.format_metrics(metrics)
    logger.info("test split:\n%s", report)
    if install:
        target = training.package_model(best, metrics, corpus)
        logger.info("model installed in %s", target)
    return {"metrics": metrics, "report": report}
