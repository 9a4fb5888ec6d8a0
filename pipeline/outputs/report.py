"""`kommunnlp report`: one self-contained HTML page of the outputs (or of one run).

By default the page covers the outputs as a whole — every document, entity
and label in the folder — with the latest run's changes as a section of their
own (a scheduled run that found nothing new leaves the rest of the page as
full as before). `--run ID` narrows it to what one run wrote. Counts,
languages, quarantine with reasons, the most mentioned municipalities, people
and organisations, methods and themes as bar charts under their Swedish names
(inline SVG, no scripts, nothing fetched), and each document's text with its
entities highlighted by spaCy's displaCy and its labels with their evidence.
"""

from __future__ import annotations

import html
import json
from pathlib import Path

from spacy import displacy

from pipeline.store.folder import OutputStore
from pipeline.store.query import connect

COLORS = {"MUNICIPALITY": "#9fd3f5", "PERSON": "#f7c59f", "ORGANISATION": "#b5e3a1", "LOCATION": "#e0c3f0"}
MAX_DOCUMENTS = 200
MAX_NAME_CHARS = 48  # longer names are shortened in charts, with the whole name as the bar's tooltip
CSS = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 70rem; color: #222; }
h1 { margin-bottom: 0.2rem; } h2 { border-bottom: 1px solid #ddd; padding-bottom: 0.2rem; margin-top: 2rem; }
table { border-collapse: collapse; margin: 0.5rem 0; } td, th { padding: 0.2rem 0.6rem; text-align: left; }
tr:nth-child(even) { background: #f6f6f6; } .muted { color: #777; } .grid { display: flex; gap: 2rem; flex-wrap: wrap; }
.doc { border: 1px solid #ddd; border-radius: 6px; padding: 0.5rem 1rem; margin: 1rem 0; }
.label { display: inline-block; background: #eef; border-radius: 4px; padding: 0 0.4rem; margin-right: 0.3rem; }
.evidence { color: #555; font-style: italic; }
"""
RUN_COLUMNS = ("run_id, started_at, finished_at, input_root, n_files, n_new, n_reprocessed, n_unchanged, "
               "n_duplicates, n_quarantined, languages_json, seconds, model, pipeline_version")


def render_report(processed: Path, run_id: str | None = None, max_documents: int = MAX_DOCUMENTS) -> str:
    """The page; run_id narrows it to one run's rows; max_documents 0 shows every document."""
    con = connect(processed)
    rows = lambda sql, *p: con.execute(sql, list(p)).fetchall()  # noqa: E731
    runs = rows(f"SELECT {RUN_COLUMNS} FROM runs ORDER BY run_id")
    if not runs:
        raise ValueError(f"no runs in {processed}")
    if run_id and not any(r[0] == run_id for r in runs):
        raise ValueError(f"no run {run_id!r} in {processed}; runs: {', '.join(r[0] for r in runs[-5:])}")
    latest = next(r for r in runs if r[0] == run_id) if run_id else runs[-1]
    scope = Scope(run_id)
    taxonomies = OutputStore(processed).taxonomies()
    title = f"kommunnlp — körning {run_id}" if run_id else f"kommunnlp — {processed}"
    n_documents = rows(f"SELECT count(*) FROM documents WHERE {scope.where}", *scope.args)[0][0]
    sections = [
        f"<h1>{_e(title)}</h1>",
        f"<p class='muted'>{len(runs)} körningar, den senaste {_e(latest[0])} · modell {_e(latest[12])} · "
        f"kommunnlp {_e(latest[13])}</p>",
        "<section id='counts'><h2>Sammanfattning</h2>" + _summary(rows, scope, n_documents) + "</section>",
        "<section id='latest-run'><h2>" + ("Körningen" if run_id else "Senaste körningen") + "</h2>"
        + _run_table(latest) + "</section>",
        "<section id='languages'><h2>Språk</h2>" + _bars(rows(
            f"SELECT language, count(*) FROM documents WHERE {scope.where} GROUP BY 1 ORDER BY 2 DESC, 1",
            *scope.args)) + "</section>",
        "<section id='quarantine'><h2>Karantän</h2>" + _quarantine(rows, run_id) + "</section>",
    ]
    top = (f"SELECT normalized, count(DISTINCT doc_id) AS n FROM entities WHERE label = ? AND {scope.where} "
           "GROUP BY 1 ORDER BY n DESC, 1 LIMIT 15")
    sections.append("<section id='top-entities'><h2>Mest nämnda</h2><div class='grid'>" + "".join(
        f"<div><h3>{heading}</h3>{_bars(rows(top, label, *scope.args))}</div>"
        for label, heading in (("MUNICIPALITY", "Kommuner"), ("PERSON", "Personer"), ("ORGANISATION", "Organisationer"))
    ) + "</div></section>")
    for table, header in taxonomies.items():
        names = header.get("labels", {})
        counts = rows(f"SELECT label, count(*) FROM {table} WHERE {scope.where} GROUP BY 1 ORDER BY 2 DESC, 1",
                      *scope.args)
        sections.append(f"<section id='{table}'><h2>{_e(header['title'])}</h2>"
                        f"{_bars([(names.get(label, label), n) for label, n in counts])}</section>")
    sections.append("<section id='documents'><h2>Dokument</h2>" + _documents(rows, scope, taxonomies, n_documents,
                                                                               max_documents) + "</section>")
    return (f"<!DOCTYPE html><html lang='sv'><head><meta charset='utf-8'><title>{_e(title)}</title>"
            f"<style>{CSS}</style></head><body>{''.join(sections)}</body></html>")


class Scope:
    """Which rows the page covers: every row, or one run's (a WHERE clause and its parameters)."""

    def __init__(self, run_id: str | None):
        self.where = "run_id = ?" if run_id else "true"
        self.args = [run_id] if run_id else []


def _summary(rows, scope: Scope, n_documents: int) -> str:
    counts = {label: n for label, n in rows(f"SELECT label, count(DISTINCT normalized) FROM entities WHERE "
                                            f"{scope.where} GROUP BY 1", *scope.args)}
    return _table(["dokument", "kommuner", "personer", "organisationer", "platser"],
                  [[n_documents, *(counts.get(k, 0) for k in ("MUNICIPALITY", "PERSON", "ORGANISATION", "LOCATION"))]])


def _run_table(run: tuple) -> str:
    table = _table(["filer", "nya", "analyserade igen", "oförändrade", "dubbletter", "i karantän", "sekunder"],
                   [[run[4], run[5], run[6], run[7], run[8], run[9], f"{run[11]:.1f}"]])
    languages = ", ".join(f"{k} {v}" for k, v in json.loads(run[10] or "{}").items()) or "inga nya dokument"
    return (f"<p class='muted'>{_e(run[0])}: {_e(run[1])} → {_e(run[2])} · {_e(run[3])} · {_e(languages)}</p>"
            + table)


def _quarantine(rows, run_id: str | None) -> str:
    """One run's quarantine, or every input whose latest state is quarantined."""
    if run_id:
        found = rows("SELECT source_path, stage, reason FROM quarantine WHERE run_id = ? ORDER BY 1", run_id)
    else:
        found = rows("SELECT q.source_path, q.stage, q.reason FROM quarantine q JOIN (SELECT source_path, "
                     "max(run_id) AS run_id FROM files GROUP BY 1) latest USING (source_path, run_id) ORDER BY 1")
    return _table(["fil", "steg", "orsak"], found, empty="Inga filer i karantän.")


def _documents(rows, scope: Scope, taxonomies: dict, total: int, limit: int) -> str:
    shown = total if limit <= 0 else min(limit, total)
    documents = rows(f"SELECT doc_id, source_path, title, language, text FROM documents WHERE {scope.where} "
                     "ORDER BY source_path LIMIT ?", *scope.args, shown)
    if not documents:
        return "<p class='muted'>Inga dokument.</p>"
    note = "" if shown == total else (
        f"<p class='muted'>Visar de första {shown} av {total} dokument (efter sökväg). "
        f"Alla: <code>kommunnlp report --max-documents 0</code>; eller fråga tabellerna med "
        f"<code>kommunnlp query</code>.</p>")
    parts = [note]
    for doc_id, source_path, title, language, text in documents:
        ents = rows("SELECT start_char, end_char, label FROM entities WHERE doc_id = ? ORDER BY 1", doc_id)
        markup = displacy.render({"text": text, "ents": [{"start": s, "end": e, "label": lab} for s, e, lab in ents],
                                  "title": None}, style="ent", manual=True, page=False,
                                 options={"colors": COLORS})
        union = " UNION ALL ".join(f"SELECT '{table}' AS kind, label, evidence FROM {table} WHERE doc_id = ?"
                                   for table in taxonomies)
        labels = [(taxonomies[kind]["title"], taxonomies[kind].get("labels", {}).get(label, label), evidence)
                  for kind, label, evidence in
                  rows(f"SELECT * FROM ({union}) ORDER BY 1, 2", *[doc_id] * len(taxonomies))] if union else []
        label_html = "".join(f"<p><span class='label'>{_e(kind)}: {_e(label)}</span>"
                             f"<span class='evidence'>{_e(evidence)}</span></p>" for kind, label, evidence in labels)
        parts.append(f"<div class='doc'><h3>{_e(title or source_path)}</h3><p class='muted'>{_e(source_path)} · "
                     f"{_e(language)}</p>{label_html}{markup}</div>")
    return "".join(parts)


def _bars(items: list[tuple]) -> str:
    """A horizontal bar chart as inline SVG, wide enough for its longest name (long names are shortened)."""
    if not items:
        return "<p class='muted'>Inget att visa.</p>"
    names = [_short(str(name)) for name, _ in items]
    bar, gap, char_width = 16, 6, 7
    label_width = 12 + char_width * max(len(n) for n in names)
    width = label_width + 340
    top = max(n for _, n in items) or 1
    rects = []
    for i, ((name, n), shown) in enumerate(zip(items, names, strict=True)):
        y = i * (bar + gap)
        length = 280 * n / top
        rects.append(f"<g><title>{_e(name)}: {n}</title><text x='{label_width - 6}' y='{y + bar - 3}' "
                     f"text-anchor='end' font-size='12'>{_e(shown)}</text><rect x='{label_width}' y='{y}' "
                     f"width='{length:.1f}' height='{bar}' fill='#5b8def'/><text x='{label_width + length + 4:.1f}' "
                     f"y='{y + bar - 3}' font-size='12'>{n}</text></g>")
    height = len(items) * (bar + gap)
    return (f"<svg role='img' width='{width}' height='{height}' xmlns='http://www.w3.org/2000/svg'>"
            f"{''.join(rects)}</svg>")


def _short(name: str) -> str:
    return name if len(name) <= MAX_NAME_CHARS else name[: MAX_NAME_CHARS - 1] + "…"


def _table(header: list[str], rows: list, empty: str = "Inga rader.") -> str:
    if not rows:
        return f"<p class='muted'>{empty}</p>"
    head = "".join(f"<th>{_e(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{_e(v)}</td>" for v in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _e(value) -> str:
    return html.escape("" if value is None else str(value))
