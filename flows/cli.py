"""The `kommunnlp` command. Each subcommand is a thin shell over a flow or a library function."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import pipeline
from pipeline import UserError
from pipeline.ingest.read import DEFAULT_MAX_BYTES
from pipeline.resources import taxonomy_files

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
QUARANTINE_LINES = 10


def main(argv: list[str] | None = None) -> int:
    # Runs use Prefect's ephemeral local API unless PREFECT_API_URL points at a server;
    # this machine may have no route to Prefect's telemetry endpoint.
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return EXIT_USAGE
    try:
        return args.handler(args)
    except KeyboardInterrupt:
        print("interrupted; outputs written so far are complete and the next run continues", file=sys.stderr)
        return 130


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kommunnlp", description="Swedish municipal news → Parquet tables.")
    parser.add_argument("--version", action="version", version=f"kommunnlp {pipeline.PIPELINE_VERSION}")
    sub = parser.add_subparsers(title="commands")

    run = sub.add_parser("run", help="ingest a folder of raw files (or one file) into the output tables "
                                     "(fetching first with --sources)")
    run.add_argument("input", nargs="?", help="input folder or file (default: raw)")
    run.add_argument("--sources", metavar="FILE", help="fetch what this sources file lists into the --raw folder "
                                                       "first, in the same flow run (see sources.example.yaml)")
    run.add_argument("--raw", metavar="DIR", help="the raw folder fetched into and ingested (the input folder)")
    run.add_argument("--output", "-o", default="processed", help="output folder (default: processed)")
    run.add_argument("--model", help="spaCy model package or folder (default: sv_core_news_sm if installed, "
                                     "else the model kommunnlp ships)")
    run.add_argument("--force", action="store_true", help="reprocess every input, changed or not")
    run.add_argument("--strict", action="store_true", help="exit non-zero when any input is quarantined")
    run.add_argument("--workers", type=int, default=1, help="processes for the NLP stage (default 1)")
    run.add_argument("--batch-size", type=int, default=400, help="inputs per batch (default 400)")
    run.add_argument("--max-bytes", type=int, default=DEFAULT_MAX_BYTES,
                     help=f"larger files are quarantined (default {DEFAULT_MAX_BYTES})")
    run.add_argument("--wait", type=float, default=0.0, metavar="SECONDS",
                     help="wait this long for another run on the same output folder (default: refuse at once)")
    run.add_argument("--dask-address", metavar="tcp://HOST:PORT",
                     help="run the batch tasks on this existing Dask cluster (prefect-dask)")
    run.add_argument("--taxonomies", metavar="DIR", help="label with the taxonomy files (*.yaml) in DIR, each its "
                                                         "own table (default: the shipped ones)")
    run.add_argument("--json", action="store_true", help="print the summary as JSON")
    run.set_defaults(handler=cmd_run)

    schedule = sub.add_parser("schedule", help="serve a Prefect deployment that runs the ingest flow on a schedule")
    schedule.add_argument("--cron", required=True, help='cron schedule, e.g. "0 6 * * *" (every day at 06:00)')
    schedule.add_argument("--timezone", default="Europe/Stockholm", help="time zone of the schedule")
    schedule.add_argument("--input", "--raw", dest="input", required=True,
                          help="input folder (with --sources: the raw folder fetched into)")
    schedule.add_argument("--sources", metavar="FILE", help="fetch what this sources file lists before each run")
    schedule.add_argument("--output", required=True, help="output folder")
    schedule.add_argument("--name", default="kommunnlp-ingest", help="deployment name")
    schedule.add_argument("--model", help="spaCy model package or folder")
    schedule.add_argument("--workers", type=int, help="processes for the NLP stage")
    schedule.set_defaults(handler=cmd_schedule)

    fetch = sub.add_parser("fetch", help="fetch the feeds, sitemaps and pages of a sources file into WARC files")
    fetch.add_argument("sources", help="sources file (YAML; see sources.example.yaml)")
    fetch.add_argument("--raw", required=True, metavar="DIR", help="folder for the WARC files (ingest it with run)")
    fetch.add_argument("--wait", type=float, default=0.0, metavar="SECONDS",
                       help="wait this long for another fetch into the same folder (default: refuse at once)")
    fetch.add_argument("--json", action="store_true", help="print the summary as JSON")
    fetch.set_defaults(handler=cmd_fetch)

    train = sub.add_parser("train-ner", help="train the shipped Swedish NER model (needs ../shared)")
    train.add_argument("--work-dir", default="build/ner", help="scratch folder; finished steps are reused "
                                                                "(default: build/ner)")
    train.add_argument("--pretrain-epochs", type=int, default=2, help="tok2vec pretraining epochs (default 2)")
    train.add_argument("--ours-weight", type=int, default=2,
                       help="times the team's annotated documents count in training (default 2)")
    train.add_argument("--max-steps", type=int, default=None)
    train.add_argument("--no-install", action="store_true", help="evaluate only; do not replace the shipped model")
    train.set_defaults(handler=cmd_train)
    review = sub.add_parser("review", help="review sheets: export for reviewers, import their verdicts")
    review_sub = review.add_subparsers(title="review commands")
    export = review_sub.add_parser("export", help="write a review workbook (.xlsx)")
    export.add_argument("--processed", default="processed", help="output folder (default: processed)")
    export.add_argument("--run", help="only rows written by this run id")
    export.add_argument("--label", nargs="+", help="only these labels (MUNICIPALITY … or PERSON_ROLE)")
    export.add_argument("--max-score", type=float, help="only rows with score at most this")
    export.add_argument("--out", default="review", help="folder for the workbook (default: review)")
    export.set_defaults(handler=cmd_review_export)
    imp = review_sub.add_parser("import", help="read reviewers' verdicts from workbooks")
    imp.add_argument("sheets", nargs="+", help="filled-in review workbooks (.xlsx)")
    imp.add_argument("--processed", default="processed", help="output folder (default: processed)")
    imp.add_argument("--reviewer", help="who reviewed")
    imp.add_argument("--wait", type=float, default=0.0, metavar="SECONDS", help="wait for a running run")
    imp.set_defaults(handler=cmd_review_import)

    query = sub.add_parser("query", help="run read-only SQL over the output tables (DuckDB)")
    query.add_argument("sql", help="one SELECT statement; tables: " + ", ".join(
        ["documents", "entities", "person_roles", *(p.stem for p in taxonomy_files()), "partnerships", "reviews",
         "runs", "quarantine", "files", "fetches"]))
    query.add_argument("--processed", default="processed", help="output folder (default: processed)")
    query.add_argument("--format", choices=["table", "csv", "json"], default="table")
    query.set_defaults(handler=cmd_query)

    check = sub.add_parser("check", help="verify the outputs are whole and consistent")
    check.add_argument("--processed", default="processed", help="output folder (default: processed)")
    check.set_defaults(handler=cmd_check)

    report = sub.add_parser("report", help="write a self-contained HTML report of the outputs (or of one run)")
    report.add_argument("--processed", default="processed", help="output folder (default: processed)")
    report.add_argument("--run", help="only what this run wrote (default: the outputs as a whole, with the latest "
                                      "run as a section)")
    report.add_argument("--max-documents", type=int, default=200, metavar="N",
                        help="documents shown with their text (default 200; 0: all)")
    report.add_argument("--out", default="report.html", help="HTML file to write (default: report.html)")
    report.set_defaults(handler=cmd_report)

    dictionary = sub.add_parser("data-dictionary", help="print (or --write) docs/data-dictionary.md")
    dictionary.add_argument("--write", action="store_true", help="write docs/data-dictionary.md")
    dictionary.set_defaults(handler=cmd_data_dictionary)

    bench = sub.add_parser("bench", help="benchmark the full run against the bare spaCy pipeline")
    bench.add_argument("--archive", help="press-release archive (default: ../shared/"
                                         "bench/regeringen-pressmeddelanden.tar.gz)")
    bench.add_argument("--sizes", nargs="+", default=["1000", "2000", "4000", "all"],
                       help="numbers of documents, or 'all' (default: 1000 2000 4000 all)")
    bench.add_argument("--workers", type=int, default=2, help="processes for both pipelines (default 2)")
    bench.add_argument("--work-dir", default="build/bench", help="scratch folder (default: build/bench)")
    bench.add_argument("--out", default="build/bench/results.json", help="JSON file for the figures")
    bench.add_argument("--scale", action="store_true",
                       help="instead: one 6 MB document against the same bytes as 500 documents, and --articles "
                            "press releases as one JSON Lines file against the same as separate files")
    bench.add_argument("--articles", type=int, default=42_000, help="articles in the JSON Lines file (default 42000)")
    bench.set_defaults(handler=cmd_bench)

    evaluate = sub.add_parser(
        "evaluate", help="score the pipeline: by default on the dev set and the team's test split (needs ../shared)",
        description="Without --gold: run the pipeline over the evaluation sets (needs ../shared) and score them; "
                    "with --gold and --processed: score existing outputs; with --iob2: span-level F1 of the full "
                    "pipeline and of its bare model on an IOB2 file such as UNER Swedish-Talbanken test.")
    evaluate.add_argument("--gold", help="gold JSON Lines file (see the annotation guidelines)")
    evaluate.add_argument("--processed", default="processed", help="output folder to score with --gold")
    evaluate.add_argument("--sets", nargs="+", choices=["dev", "test", "corpus-dev", "corpus-train"],
                          default=["dev", "test"], help="evaluation sets to run (default: dev test)")
    evaluate.add_argument("--iob2", metavar="FILE", help="also score the full pipeline on this IOB2 file")
    evaluate.add_argument("--model", help="spaCy model package or folder (default as for run)")
    evaluate.add_argument("--workers", type=int, default=1, help="processes for the runs (default 1)")
    evaluate.add_argument("--misses", action="store_true", help="list every miss and extra")
    evaluate.add_argument("--per-label", action="store_true", help="precision and recall of every label")
    evaluate.add_argument("--json", action="store_true", help="print the scores as JSON")
    evaluate.set_defaults(handler=cmd_evaluate)
    return parser


def cmd_query(args: argparse.Namespace) -> int:
    import csv

    try:
        columns, rows = pipeline.query(args.sql, args.processed)
    except UserError as error:
        print(f"kommunnlp: {error}", file=sys.stderr)
        return EXIT_FAILED
    if args.format == "json":
        print(json.dumps([dict(zip(columns, row, strict=True)) for row in rows], ensure_ascii=False, default=str,
                         indent=2))
    elif args.format == "csv":
        writer = csv.writer(sys.stdout)
        writer.writerow(columns)
        writer.writerows(rows)
    else:
        print_table(columns, rows)
    return EXIT_OK


CELL_CHARS = 60  # a longer value (a document's text, an evidence sentence) is cut in the terminal table


def print_table(columns: list[str], rows: list[tuple]) -> None:
    """Rows the terminal can show: a table with long values cut (…); a result wider than the terminal one
    record at a time, a line per column (like psql's expanded display). csv and json show everything."""
    from rich.console import Console
    from rich.table import Table

    console = Console()
    cells = [[_cell(value) for value in row] for row in rows]
    table = Table(show_lines=False)
    for column in columns:
        table.add_column(column, overflow="ellipsis", no_wrap=True)
    for row in cells:
        table.add_row(*row)
    natural = 1 + sum(3 + max([len(c), *(len(row[i]) for row in cells)]) for i, c in enumerate(columns))
    if natural <= console.width:
        console.print(table)
    else:
        width = max(len(c) for c in columns)
        for number, row in enumerate(cells, 1):
            print(f"── row {number} " + "─" * max(0, min(console.width, 80) - 10 - len(str(number))))
            for column, value in zip(columns, row, strict=True):
                print(f"{column:<{width}}  {value}")
    print(f"{len(rows)} rows")
    if any(len(" ".join(str(v).split())) > CELL_CHARS for row in rows for v in row if v is not None):
        print("(long values are cut here: --format csv or --format json shows them whole)", file=sys.stderr)


def _cell(value) -> str:
    text = "" if value is None else " ".join(str(value).split())
    return text[: CELL_CHARS - 1] + "…" if len(text) > CELL_CHARS else text


def cmd_report(args: argparse.Namespace) -> int:
    try:
        page = pipeline.report(args.processed, args.run, args.max_documents)
    except ValueError as error:
        print(f"kommunnlp: {error}", file=sys.stderr)
        return EXIT_FAILED
    Path(args.out).write_text(page, encoding="utf-8")
    print(f"wrote {args.out}")
    return EXIT_OK


def cmd_check(args: argparse.Namespace) -> int:
    if not Path(args.processed).is_dir():
        print(f"kommunnlp: output folder not found: {args.processed}", file=sys.stderr)
        return EXIT_USAGE
    report = pipeline.check(args.processed)
    print(report.format())
    return EXIT_OK if report.ok else EXIT_FAILED


def cmd_data_dictionary(args: argparse.Namespace) -> int:
    from pipeline.store.dictionary import render

    text = render()
    if args.write:
        target = Path(__file__).resolve().parent.parent / "docs" / "data-dictionary.md"
        target.parent.mkdir(exist_ok=True)
        target.write_text(text, encoding="utf-8")
        print(f"wrote {target}")
    else:
        print(text, end="")
    return EXIT_OK


def cmd_bench(args: argparse.Namespace) -> int:
    from flows.bench import main as bench_main

    Path(args.work_dir).mkdir(parents=True, exist_ok=True)
    return bench_main(args.archive, args.sizes, args.workers, args.work_dir, args.out,
                      scale_articles=args.articles if args.scale else 0)


def cmd_schedule(args: argparse.Namespace) -> int:
    from flows.schedule import make_deployment, serve

    if args.sources and not _sources_usable(args.sources, args.input):
        return EXIT_USAGE
    if not Path(args.input).is_dir():
        print(f"kommunnlp: input folder not found: {args.input}", file=sys.stderr)
        return EXIT_USAGE
    sources = str(Path(args.sources).resolve()) if args.sources else None
    deployment = make_deployment(args.name, args.cron, args.input, args.output, args.timezone, model=args.model,
                                 workers=args.workers, sources=sources)
    print(f"serving deployment '{deployment.flow_name}/{args.name}' on '{args.cron}' ({args.timezone}); "
          "Ctrl-C stops it. Trigger a run by hand: "
          f"prefect deployment run '{deployment.flow_name}/{args.name}'")
    serve(deployment)
    return EXIT_OK


def cmd_review_export(args: argparse.Namespace) -> int:
    path, n_entities, n_roles = pipeline.export_review(args.processed, args.out, run_id=args.run, labels=args.label,
                                                       max_score=args.max_score)
    print(f"wrote {path}: {n_entities} entities and {n_roles} roles to review")
    return EXIT_OK


def cmd_review_import(args: argparse.Namespace) -> int:
    try:
        added, skipped = pipeline.import_review(args.sheets, args.processed, args.reviewer, args.wait)
    except UserError as error:
        print(f"kommunnlp: {error}", file=sys.stderr)
        return EXIT_FAILED
    print(f"imported {added} verdicts ({skipped} already imported); the next run applies them "
          f"(rules in {args.processed}/curation.yaml)")
    return EXIT_OK


def cmd_evaluate(args: argparse.Namespace) -> int:
    from pipeline.outputs import benchmarks, iob2
    from pipeline.outputs.evaluate import as_json, format_scores

    if args.gold:
        if not Path(args.gold).is_file():
            print(f"kommunnlp: gold file not found: {args.gold}", file=sys.stderr)
            return EXIT_USAGE
        scores = pipeline.evaluate(args.gold, args.processed)
        print(json.dumps(as_json(scores), indent=2) if args.json else
              format_scores(scores, misses=args.misses, per_label=args.per_label))
        return EXIT_OK
    from pipeline.resources import shared_dir

    if not shared_dir().is_dir():
        print(f"kommunnlp: the evaluation sets need the shared data ({shared_dir()}); "
              "or score outputs with --gold FILE --processed DIR", file=sys.stderr)
        return EXIT_USAGE
    results = benchmarks.evaluate_sets(args.sets, args.model, args.workers, progress=_to_stderr)
    languages = benchmarks.short_text_languages()
    benchmark = iob2.evaluate_iob2(Path(args.iob2), args.model) if args.iob2 else None
    if args.json:
        print(json.dumps({**{name: as_json(s) for name, s in results.items()},
                          "short_text_language": as_json({"accuracy": languages})["accuracy"],
                          **({"iob2": iob2.as_json(benchmark)} if benchmark else {})}, indent=2))
        return EXIT_OK
    print(benchmarks.format_sets(results))
    print(f"{'language, short texts':<22}{languages.recall:>26.3f}  ({languages.tp}/{languages.tp + languages.fn} "
          "press releases under 600 characters)")
    for name, scores in results.items():
        if args.per_label or args.misses:
            print(f"\n{name}:\n{format_scores(scores, misses=args.misses, per_label=args.per_label)}")
    if benchmark:
        print("\n" + iob2.format_iob2(Path(args.iob2), benchmark))
    return EXIT_OK


def _to_stderr(message: str) -> None:
    print(message, file=sys.stderr)


def cmd_run(args: argparse.Namespace) -> int:
    if args.input and args.raw and Path(args.input) != Path(args.raw):
        print("kommunnlp: give the input once: as INPUT or as --raw", file=sys.stderr)
        return EXIT_USAGE
    input_dir = args.raw or args.input or "raw"
    if args.sources and not _sources_usable(args.sources, input_dir):
        return EXIT_USAGE
    if not Path(input_dir).exists():
        print(f"kommunnlp: input not found: {input_dir} (give a folder or a file)", file=sys.stderr)
        return EXIT_USAGE
    from flows.run import run_command
    from pipeline.runs import RunOptions

    options = RunOptions(input_dir, args.output, args.model, args.force, args.workers, args.batch_size,
                         args.max_bytes, args.wait, args.taxonomies)
    try:
        summary = run_command(options, dask_address=args.dask_address, show_progress=sys.stderr.isatty(),
                              sources=args.sources)
    except UserError as error:
        print(f"kommunnlp: {error}", file=sys.stderr)
        return EXIT_FAILED
    print(json.dumps(summary, ensure_ascii=False, indent=2) if args.json else format_summary(summary, args.output))
    if summary["quarantined"]:
        print(f"warning: {summary['quarantined']} inputs quarantined; see {args.output}/quarantine", file=sys.stderr)
        if args.strict:
            return EXIT_FAILED
    return EXIT_OK


def _sources_usable(sources: str, raw_dir: str) -> bool:
    """Check the sources file before anything starts (and make the raw folder); False after saying why."""
    from pipeline.fetch.sources import load_sources

    try:
        load_sources(sources)
    except UserError as error:
        print(f"kommunnlp: {error}", file=sys.stderr)
        return False
    Path(raw_dir).mkdir(parents=True, exist_ok=True)
    return True


def cmd_fetch(args: argparse.Namespace) -> int:
    if not _sources_usable(args.sources, args.raw):
        return EXIT_USAGE
    from flows.prefect_api import early_api, unless_configured, using

    server = early_api()
    from flows.fetch import fetch_flow

    try:
        with using(unless_configured(server)):
            summary = fetch_flow(sources=args.sources, raw_dir=args.raw, wait_seconds=args.wait)
    except UserError as error:
        print(f"kommunnlp: {error}", file=sys.stderr)
        return EXIT_FAILED
    print(json.dumps(summary, ensure_ascii=False, indent=2) if args.json else
          "\n".join([f"fetch {summary['run_id']} → {args.raw}/", *format_fetch(summary)]))
    return EXIT_OK


def format_fetch(fetch: dict) -> list[str]:
    """The summary lines of a fetch: outcomes, then the failures (the first QUARANTINE_LINES)."""
    counts = ", ".join(f"{fetch[k]} {k.replace('_', ' ')}" for k in ("fetched", "not_modified", "failed",
                                                                       "disallowed", "skipped"))
    lines = [f"  fetched      {fetch['urls']} URLs: {counts}"]
    lines += [f"  ! {row['url']}: {row['reason']}" for row in fetch["failures"][:QUARANTINE_LINES]]
    if len(fetch["failures"]) > QUARANTINE_LINES:
        lines.append(f"  ! … and {len(fetch['failures']) - QUARANTINE_LINES} more failed in the fetches table")
    return lines


def format_summary(summary: dict, output: str) -> str:
    languages = ", ".join(f"{k} {v}" for k, v in summary["languages"].items()) or "none new"
    lines = [
        f"run {summary['run_id']} → {output}/",
        f"  files        {summary['files']}",
        f"  new          {summary['new']}",
        f"  reprocessed  {summary['reprocessed']}" + (
            " (" + ", ".join(f"{n}: {why}" for why, n in summary["reprocessed_because"].items()) + ")"
            if summary["reprocessed"] else ""),
        f"  unchanged    {summary['unchanged']}",
        f"  duplicates   {summary['duplicates']}",
        f"  quarantined  {summary['quarantined']}",
        f"  languages    {languages}",
        f"  model        {summary['model']}",
        f"  seconds      {summary['seconds']:.1f}",
    ]
    if "fetch" in summary:
        lines[1:1] = format_fetch(summary["fetch"])
    shown = summary["quarantine"][:QUARANTINE_LINES]
    for row in shown:
        lines.append(f"  ! {row['source_path']}: [{row['stage']}] {row['reason']}")
    if len(summary["quarantine"]) > len(shown):
        lines.append(f"  ! … and {len(summary['quarantine']) - len(shown)} more in {output}/quarantine")
    for note in summary["notes"]:
        lines.append(f"  recovery: {note}")
    return "\n".join(lines)


def cmd_train(args: argparse.Namespace) -> int:
    from flows.train import train_ner_flow

    result = train_ner_flow(work_dir=args.work_dir, pretrain_epochs=args.pretrain_epochs,
                            ours_weight=args.ours_weight, max_steps=args.max_steps, install=not args.no_install)
    print(result["report"])
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
