"""`kommunnlp bench`: the full run against the bare spaCy pipeline, on the same press releases.

For each size it measures (a) `nlp.pipe` with the same model and the same
number of processes over the same texts, already in memory (no I/O, no rules,
no classification), and (b) `kommunnlp run` end to end as a new process,
then (c) a second run over the unchanged input. It prints documents/s,
tokens/s, peak memory of the run's process tree, the throughput ratio (b)/(a)
and the time per document (of the whole command, and inside the flow), and
writes the figures to JSON.

With `--scale` it measures instead how cost grows with the shape of the input:
one 6 MB document against the same bytes as 500 documents, and a big JSON
Lines export against the same articles as separate files (seconds, and peak
memory of the process tree and of its largest process).
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import psutil

from pipeline.resources import shared_dir

DEFAULT_ARCHIVE = "bench/regeringen-pressmeddelanden.tar.gz"


def prepare(archive: Path, work_dir: Path) -> list[Path]:
    """Unpack the archive once; the press releases in a stable order."""
    unpacked = work_dir / "all"
    if not (unpacked / ".complete").exists():
        shutil.rmtree(unpacked, ignore_errors=True)
        unpacked.mkdir(parents=True)
        with tarfile.open(archive) as tar:
            tar.extractall(unpacked, filter="data")
        (unpacked / ".complete").touch()
    return sorted(p for p in unpacked.rglob("*.md"))


def subset(files: list[Path], size: int, work_dir: Path) -> Path:
    """A folder holding the first `size` files (hard links: no copying)."""
    folder = work_dir / f"input-{size}"
    complete = work_dir / f"input-{size}.complete"  # beside the folder: inside, it would be an input
    if not complete.exists():
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        for i, path in enumerate(files[:size]):
            target = folder / f"{i:05d}-{path.name}"
            try:
                os.link(path, target)
            except OSError:
                shutil.copy(path, target)
        complete.touch()
    return folder


def bare_pipeline(files: list[Path], workers: int) -> dict:
    """spaCy alone: the same model, `nlp.pipe` over texts already read."""
    import spacy

    from pipeline.nlp.model import resolve_model

    texts = [p.read_text(encoding="utf-8", errors="replace") for p in files]
    nlp = spacy.load(resolve_model())
    start = time.perf_counter()
    tokens = sum(len(doc) for doc in nlp.pipe(texts, batch_size=32, n_process=workers))
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "documents": len(texts), "tokens": tokens}


def full_run(input_dir: Path, output_dir: Path, workers: int) -> dict:
    """`kommunnlp run` as a new process; peak RSS is the largest sum over its process tree."""
    command = [sys.executable, "-m", "flows.cli", "run", str(input_dir), "--output", str(output_dir),
               "--workers", str(workers), "--json"]
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    peak = peak_one = 0
    root = psutil.Process(process.pid)
    while process.poll() is None:
        try:
            sizes = [p.memory_info().rss for p in [root, *root.children(recursive=True)] if p.is_running()]
            peak, peak_one = max(peak, sum(sizes)), max(peak_one, *sizes)
        except (psutil.Error, ValueError):
            pass
        time.sleep(0.1)
    seconds = time.perf_counter() - start
    output = process.stdout.read()
    if process.returncode != 0:
        raise RuntimeError(f"kommunnlp run failed ({process.returncode}): {output[-2000:]}")
    summary = json.loads(output[output.index("{"):])
    return {"seconds": seconds, "peak_rss_bytes": peak, "peak_process_rss_bytes": peak_one, "summary": summary}


def tokens_in(output_dir: Path) -> int:
    import duckdb

    return duckdb.sql(f"SELECT coalesce(sum(n_tokens), 0) FROM read_parquet('{output_dir}/documents/*.parquet')"
                      ).fetchall()[0][0]


def run_bench(archive: Path, sizes: list[str], workers: int, work_dir: Path) -> dict:
    files = prepare(archive, work_dir)
    results = []
    for size_text in sizes:
        size = len(files) if size_text == "all" else min(int(size_text), len(files))
        folder = subset(files, size, work_dir)
        output = work_dir / f"processed-{size}"
        shutil.rmtree(output, ignore_errors=True)
        bare = bare_pipeline(files[:size], workers)
        full = full_run(folder, output, workers)
        again = full_run(folder, output, workers)
        documents, tokens = full["summary"]["files"], tokens_in(output)
        results.append({
            "size": size,
            "bare": {**bare, "docs_per_s": bare["documents"] / bare["seconds"],
                     "tokens_per_s": bare["tokens"] / bare["seconds"]},
            "full": {"seconds": full["seconds"], "documents": documents, "tokens": tokens,
                     "docs_per_s": documents / full["seconds"], "tokens_per_s": tokens / full["seconds"],
                     "peak_rss_mib": full["peak_rss_bytes"] / 2**20, "ms_per_doc": 1000 * full["seconds"] / documents,
                     # inside the flow: without the fixed cost of starting the process and Prefect's API,
                     # which dominates small sizes; the figure that shows whether growth is linear
                     "flow_ms_per_doc": 1000 * full["summary"]["seconds"] / documents,
                     "new": full["summary"]["new"], "quarantined": full["summary"]["quarantined"]},
            "ratio_full_to_bare": (documents / full["seconds"]) / (bare["documents"] / bare["seconds"]),
            "no_change_seconds": again["seconds"],
            "no_change_unchanged": again["summary"]["unchanged"],
        })
        print(format_row(results[-1]), flush=True)
    return {"machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                        "platform": platform.platform()},
            "workers": workers, "archive": str(archive), "results": results}


HEADER = (f"{'docs':>6} {'bare docs/s':>11} {'full docs/s':>11} {'tokens/s':>9} {'ratio':>6} {'seconds':>8} "
          f"{'ms/doc':>7} {'flow ms/doc':>11} {'peak MiB':>9} {'no-change s':>11}")


def format_row(r: dict) -> str:
    return (f"{r['size']:>6} {r['bare']['docs_per_s']:>11.1f} {r['full']['docs_per_s']:>11.1f} "
            f"{r['full']['tokens_per_s']:>9.0f} {r['ratio_full_to_bare']:>6.2f} {r['full']['seconds']:>8.1f} "
            f"{r['full']['ms_per_doc']:>7.2f} {r['full']['flow_ms_per_doc']:>11.2f} {r['full']['peak_rss_mib']:>9.0f} "
            f"{r['no_change_seconds']:>11.1f}")


def main(archive: str | None, sizes: list[str], workers: int, work_dir: str, out: str,
         scale_articles: int = 0) -> int:
    archive_path = Path(archive) if archive else shared_dir() / DEFAULT_ARCHIVE
    if not archive_path.exists():
        print(f"kommunnlp: benchmark archive not found: {archive_path} (pass --archive)", file=sys.stderr)
        return 2
    if scale_articles:
        report = run_scale(archive_path, scale_articles, workers, Path(work_dir))
    else:
        print(HEADER, flush=True)
        report = run_bench(archive_path, sizes, workers, Path(work_dir))
    Path(out).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"figures written to {out}")
    return 0


# --- inputs that grow: one long document, and one big JSON Lines export (`kommunnlp bench --scale`) -----
SCALE_SENTENCE = ("Kommunstyrelsens ordförande Anna Karlsson (S) i Ale kommun bjöd in till ett dialogmöte om "
                  "den nya skolan.")
LONG_REPEATS = 60_000  # 6.1 MB: an annual report or a dump of notices
ORDINARY_DOCUMENTS = 500


def run_scale(archive: Path, articles: int, workers: int, work_dir: Path) -> dict:
    """(1) one long document against the same bytes as 500 ordinary ones; (2) `articles` press releases as
    one JSON Lines file against the same articles as separate files. Each: seconds and peak memory."""
    inputs = work_dir / "scale"
    long_dir, many_dir, jsonl_dir, files_dir = (inputs / name for name in ("long", "many", "jsonl", "files"))
    if not (inputs / ".complete").exists():
        shutil.rmtree(inputs, ignore_errors=True)
        for folder in (long_dir, many_dir, jsonl_dir, files_dir):
            folder.mkdir(parents=True)
        (long_dir / "arsredovisning.txt").write_text((SCALE_SENTENCE + " ") * LONG_REPEATS, encoding="utf-8")
        per_document = LONG_REPEATS // ORDINARY_DOCUMENTS
        for n in range(ORDINARY_DOCUMENTS):  # each its own text: "Notis n." first, or they would be duplicates
            (many_dir / f"notis-{n:03d}.txt").write_text(f"Notis {n}. " + (SCALE_SENTENCE + " ") * per_document,
                                                          encoding="utf-8")
        texts = [p.read_text(encoding="utf-8", errors="replace") for p in prepare(archive, work_dir)]
        with (jsonl_dir / "export.jsonl").open("w", encoding="utf-8") as export:
            for n in range(articles):  # the archive again and again, each article made distinct by its number
                text = f"Artikel {n}.\n\n{texts[n % len(texts)]}"
                export.write(json.dumps({"text": text, "id": n}, ensure_ascii=False) + "\n")
                (files_dir / f"artikel-{n:05d}.txt").write_text(text, encoding="utf-8")
        (inputs / ".complete").touch()
    results = {}
    for name, folder in (("long", long_dir), ("many", many_dir), ("jsonl", jsonl_dir), ("files", files_dir)):
        output = work_dir / f"processed-scale-{name}"
        shutil.rmtree(output, ignore_errors=True)
        measured = full_run(folder, output, workers)
        summary = measured["summary"]
        results[name] = {"seconds": measured["seconds"], "flow_seconds": summary["seconds"],
                         "input_mb": sum(p.stat().st_size for p in folder.iterdir()) / 1e6,
                         "files": summary["files"], "new": summary["new"], "quarantined": summary["quarantined"],
                         "integrity_ok": summary["integrity_ok"],
                         "peak_rss_mib": measured["peak_rss_bytes"] / 2**20,
                         "peak_process_rss_mib": measured["peak_process_rss_bytes"] / 2**20}
        print(f"{name:>6}: {results[name]}", flush=True)
    results["long_to_many"] = results["long"]["seconds"] / results["many"]["seconds"]
    results["jsonl_to_files_throughput"] = results["files"]["seconds"] / results["jsonl"]["seconds"]
    print(f"long/many time {results['long_to_many']:.2f} (at most 2); JSON Lines/files throughput "
          f"{results['jsonl_to_files_throughput']:.2f} (within 20 %: at least 0.8)", flush=True)
    return {"workers": workers, "articles": articles, "results": results}
