"""The sets the product's quality is measured on, run end to end: what `kommunnlp evaluate` prints by default.

- `dev`: the 33 dev documents of ../shared with their gold (tuning is allowed on them);
- `test`: the team's own test split of the annotated corpus — documents of every genre, set aside before
  any tuning and never used for it (`pipeline/training/corpus.py` fixes the split by a hash of the id);
- `corpus-dev`, `corpus-train`: the annotated corpus's dev split (the 33 dev documents and 54 others) and
  training split, for tuning (the model trained on the latter, so its entity figures there flatter);
- short texts' language: every press release of the archive under `SHORT_TEXT_CHARS` characters (2,245;
  all Swedish — the team read each one the old detector called another language).

Each document set is written out as files, run through the real pipeline (`pipeline.runs.run`, no
Prefect) into a scratch folder, and scored with `pipeline.outputs.evaluate`.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from pipeline.outputs.evaluate import Score, evaluate, party_accuracy
from pipeline.resources import shared_dir

SETS = ("dev", "test", "corpus-dev", "corpus-train")
SHORT_TEXT_GOLD = "sv"


def materialize(name: str, target: Path, shared: Path | None = None) -> tuple[Path, Path]:
    """(input folder, gold file) of a named set under target."""
    from pipeline.training import corpus

    shared = shared or shared_dir()
    if name == "dev":
        documents = target / "docs"
        documents.mkdir(parents=True, exist_ok=True)
        for path in (shared / corpus.DEV).iterdir():
            if path.suffix in (".md", ".markdown"):
                shutil.copy(path, documents / path.name)
        return documents, shared / corpus.DEV / "gold.jsonl"
    split = {"test": "test", "corpus-dev": "dev", "corpus-train": "train"}[name]
    return corpus.materialize_split(split, target, shared)


def evaluate_sets(names: list[str], model: str | None = None, workers: int = 1, work_dir: Path | None = None,
                  progress=print) -> dict[str, dict[str, Score]]:
    """Run the pipeline over each set and score it: set name → scores."""
    from pipeline.runs import RunOptions, run

    scratch = Path(work_dir) if work_dir else Path(tempfile.mkdtemp(prefix="kommunnlp-evaluate-"))
    results = {}
    for name in names:
        folder = scratch / name
        shutil.rmtree(folder, ignore_errors=True)
        documents, gold = materialize(name, folder)
        progress(f"evaluate: {name}: running the pipeline over {documents} …")
        run(RunOptions(str(documents), str(folder / "processed"), model=model, workers=workers))
        results[name] = evaluate(gold, folder / "processed")
    if work_dir is None:
        shutil.rmtree(scratch, ignore_errors=True)
    return results


def short_text_languages(shared: Path | None = None) -> Score:
    """Language accuracy over the archive's short press releases (the case that fooled langdetect)."""
    from pipeline.ingest.language import SHORT_TEXT_CHARS, detect_language
    from pipeline.training import corpus

    score = Score()
    for document in corpus.press_releases(shared or shared_dir()):
        text = corpus.document_text(document)
        if len(text) >= SHORT_TEXT_CHARS:
            continue
        code = detect_language(text).code
        if code == SHORT_TEXT_GOLD:
            score.tp += 1
        else:
            score.fn += 1
            score.misses.append(f"{document.id}: {code} {text[:60]!r}")
    return score


def format_sets(results: dict[str, dict[str, Score]]) -> str:
    """The sets side by side: F1 (P/R) per measure."""
    keys = []
    for scores in results.values():
        keys += [k for k in scores if k not in keys and " · " not in k and k != "language"]
    names = list(results)
    lines = [f"{'':<22}" + "".join(f"{name:>26}" for name in names),
             f"{'':<22}" + "".join(f"{'F1 (P / R)':>26}" for _ in names)]
    for key in keys:
        cells = []
        for name in names:
            s = results[name].get(key)
            cells.append(f"{s.f1:.3f} ({s.precision:.2f} / {s.recall:.2f})" if s and s.tp + s.fp + s.fn else "—")
        lines.append(f"{key:<22}" + "".join(f"{c:>26}" for c in cells))
    for key in [k for k in keys if f"{k} · none in gold" in next(iter(results.values()), {})]:
        cells = []
        for name in names:
            none = results[name].get(f"{key} · none in gold")
            cells.append(f"{none.fp}/{none.tp + none.fp} docs" if none and none.tp + none.fp else "—")
        lines.append(f"{key + ' on none':<22}" + "".join(f"{c:>26}" for c in cells))
    lines.append(f"{'party accuracy':<22}" + "".join(f"{party_accuracy(results[n]) or '—':>26}" for n in names))
    lines.append(f"{'language accuracy':<22}" + "".join(
        f"{results[n]['language'].recall:>26.3f}" for n in names))
    return "\n".join(lines)
