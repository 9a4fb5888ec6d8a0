"""`kommunnlp report`: one self-contained HTML page per run.

Counts, languages, quarantine with reasons, the most mentioned municipalities,
people and organisations, methods and themes as bar charts (inline SVG, no
scripts, nothing fetched), and each document's text with its entities
highlighted by spaCy's displaCy and its labels with their evidence.
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
CSS = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 70rem; color: #222; }
h1 { margin-bottom: 0.2rem; } h2 { border-bottom: 1px solid #ddd; padding-bottom: 0.2rem; margin-top: 2rem; }
table { border-collapse: collapse; margin: 0.5rem 0; } td, th { padding: 0.2rem 0.6rem; text-align: left; }
tr:nth-child(even) { background: #f6f6f6; } .muted { color: #777; } .grid { display: flex; gap: 2rem; flex-wrap: wrap; }
.doc { border: 1px solid #ddd; border-radius: 6px; padding: 0.5rem 1rem; margin: 1rem 0; }
.label { display: inline-block; background: #eef; border-radius: 4px; padding: 0 0.4rem; margin-right: 0.3rem; }
.evidence { color: #555; font-style: italic; }
"""


def render_report(processed: Path, run_id: str | None = None) -> str:
    con = connect(processed)
    rows = lambda sql, *p: con.execute(sql, list(p)).fetchall()  # noqa: E731
    runs = rows("SELECT run_id, started_at, finished_at, input_root, n_files, n_new, n_unchanged, n_duplicates, "
                "n_quarantined, languages_json, seconds, model, pipeline_version FROM runs ORDER BY run_id")
    if not runs:
        raise ValueError(f"no runs in {processed}")
    run = next((r for r in runs if r[0] == run_id), None) if run_id else runs[-1]
    if run is None:
        raise ValueError(f"no run {run_id!r} in {processed}; runs: {', '.join(r[0] for r in runs[-5:])}")
    rid = run[0]
    sections = [
        f"<h1>kommunnlp — körning {_e(rid)}</h1>",
        f"<p class='muted'>{_e(run[1])} → {_e(run[2])} · {_e(run[3])} · modell {_e(run[11])} · "
        f"kommunnlp {_e(run[12])}</p>",
        "<section id='counts'><h2>Sammanfattning</h2>" + _table(
            ["filer", "nya", "oförändrade", "dubbletter", "i karantän", "sekunder"],
            [[run[4], run[5], run[6], run[7], run[8], f"{run[10]:.1f}"]]) + "</section>",
        "<section id='languages'><h2>Språk</h2>" + _bars(sorted(json.loads(run[9] or "{}").items())) + "</section>",
        "<section id='quarantine'><h2>Karantän</h2>" + _table(
            ["fil", "steg", "orsak"], rows("SELECT source_path, stage, reason FROM quarantine WHERE run_id = ? "
                                           "ORDER BY 1", rid), empty="Inga filer i karantän.") + "</section>",
    ]
    top = ("SELECT normalized, count(DISTINCT doc_id) AS n FROM entities WHERE label = ? AND run_id = ? "
           "GROUP BY 1 ORDER BY n DESC, 1 LIMIT 15")
    sections.append("<section id='top-entities'><h2>Mest nämnda</h2><div class='grid'>" + "".join(
        f"<div><h3>{title}</h3>{_bars(rows(top, label, rid))}</div>"
        for label, title in (("MUNICIPALITY", "Kommuner"), ("PERSON", "Personer"), ("ORGANISATION", "Organisationer"))
    ) + "</div></section>")
    taxonomies = OutputStore(processed).taxonomies()
    for table, header in taxonomies.items():
        counts = rows(f"SELECT label, count(*) FROM {table} WHERE run_id = ? GROUP BY 1 ORDER BY 2 DESC, 1", rid)
        sections.append(f"<section id='{table}'><h2>{_e(header['title'])}</h2>{_bars(counts)}</section>")
    sections.append("<section id='documents'><h2>Dokument</h2>" + _documents(rows, rid, taxonomies)
                    + "</section>")
    return (f"<!DOCTYPE html><html lang='sv'><head><meta charset='utf-8'><title>kommunnlp {_e(rid)}</title>"
            f"<style>{CSS}</style></head><body>{''.join(sections)}</body></html>")


def _documents(rows, rid: str, taxonomies: dict[str, dict[str, str]]) -> str:
    documents = rows("SELECT doc_id, source_path, title, language, text FROM documents WHERE run_id = ? "
                     "ORDER BY source_path LIMIT ?", rid, MAX_DOCUMENTS)
    if not documents:
        return "<p class='muted'>Inga nya dokument i den här körningen.</p>"
    parts = []
    for doc_id, source_path, title, language, text in documents:
        ents = rows("SELECT start_char, end_char, label FROM entities WHERE doc_id = ? ORDER BY 1", doc_id)
        markup = displacy.render({"text": text, "ents": [{"start": s, "end": e, "label": lab} for s, e, lab in ents],
                                  "title": None}, style="ent", manual=True, page=False,
                                 options={"colors": COLORS})
        union = " UNION ALL ".join(f"SELECT '{table}' AS kind, label, evidence FROM {table} WHERE doc_id = ?"
                                   for table in taxonomies)
        labels = [(taxonomies[kind]["title"], label, evidence) for kind, label, evidence in
                  rows(f"SELECT * FROM ({union}) ORDER BY 1, 2", *[doc_id] * len(taxonomies))] if union else []
        label_html = "".join(f"<p><span class='label'>{_e(kind)}: {_e(label)}</span>"
                             f"<span class='evidence'>{_e(evidence)}</span></p>" for kind, label, evidence in labels)
        parts.append(f"<div class='doc'><h3>{_e(title or source_path)}</h3><p class='muted'>{_e(source_path)} · "
                     f"{_e(language)}</p>{label_html}{markup}</div>")
    return "".join(parts)


def _bars(items: list[tuple]) -> str:
    """A horizontal bar chart as inline SVG."""
    if not items:
        return "<p class='muted'>Inget att visa.</p>"
    width, bar, gap, label_width = 560, 16, 6, 220
    top = max(n for _, n in items) or 1
    height = len(items) * (bar + gap)
    rects = []
    for i, (name, n) in enumerate(items):
        y = i * (bar + gap)
        length = (width - label_width - 40) * n / top
        rects.append(f"<text x='{label_width - 6}' y='{y + bar - 3}' text-anchor='end' font-size='12'>{_e(name)}"
                     f"</text><rect x='{label_width}' y='{y}' width='{length:.1f}' height='{bar}' fill='#5b8def'/>"
                     f"<text x='{label_width + length + 4:.1f}' y='{y + bar - 3}' font-size='12'>{n}</text>")
    return f"<svg role='img' width='{width}' height='{height}' xmlns='http://www.w3.org/2000/svg'>{''.join(rects)}</svg>"


def _table(header: list[str], rows: list, empty: str = "Inga rader.") -> str:
    if not rows:
        return f"<p class='muted'>{empty}</p>"
    head = "".join(f"<th>{_e(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{_e(v)}</td>" for v in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _e(value) -> str:
    return html.escape("" if value is None else str(value))
