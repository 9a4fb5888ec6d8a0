"""The output contract: every Parquet table's schema, in one place.

Each table is a folder of Parquet files under the output folder
(``processed/<table>/*.parquet``). Every other module imports its schema from
here; ``docs/data-dictionary.md`` is generated from the descriptions below.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, is_dataclass, make_dataclass

import pyarrow as pa

from pipeline.resources import taxonomy_headers


@dataclass(frozen=True)
class Column:
    name: str
    type: pa.DataType
    description: str
    example: str = ""
    nullable: bool = True

    def field(self) -> pa.Field:
        return pa.field(self.name, self.type, nullable=self.nullable)


@dataclass(frozen=True)
class Table:
    name: str
    description: str
    columns: tuple[Column, ...]
    # document: `documents`; derived: rows found in a document's text, with offsets into it (labels: a
    # taxonomy's table, one per file); bookkeeping: what a run saw and did, and reviewers' verdicts.
    kind: str = "bookkeeping"

    @property
    def schema(self) -> pa.Schema:
        return pa.schema([c.field() for c in self.columns])

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]


def _c(name: str, type_: pa.DataType, description: str, example: str = "", nullable: bool = True) -> Column:
    return Column(name, type_, description, example, nullable)


# Traceability columns every derived row carries.
_PROVENANCE = (
    _c("run_id", pa.string(), "The run that wrote the row (see `runs`).", "20261122T101500Z-3f2a", False),
    _c("pipeline_version", pa.string(), "kommunnlp version that wrote the row.", "0.1.0", False),
    _c("model", pa.string(), "spaCy pipeline that analysed the text: name and version.", "kommunnlp_ner-0.1.0", False),
)
_DOC_REF = (
    _c("doc_id", pa.string(), "SHA-256 of the cleaned text; key into `documents`.", "9f86d0…", False),
    _c("source_path", pa.string(), "Input file path relative to the input root.", "kommuner/umea/nyhet.txt", False),
)
_EVIDENCE = (
    _c("start_char", pa.int64(), "Start offset in `documents.text` (characters, 0-based).", "120", False),
    _c("end_char", pa.int64(), "End offset (exclusive) in `documents.text`.", "131", False),
    _c("sentence", pa.string(), "The sentence that holds the mention, as evidence.", "Umeå kommun och Cherson …"),
)
_REVIEW_STATUS = _c(
    "review_status",
    pa.string(),
    "unreviewed, confirmed or corrected, from the reviewers' verdicts.",
    "unreviewed",
    False,
)

DOCUMENTS = Table(
    "documents",
    "One row per distinct document (cleaned text). The same text under two paths is one document; "
    "the other paths are in `files` with status `duplicate`.",
    (
        _DOC_REF[0],
        _DOC_REF[1],
        _c("url", pa.string(), "The page's URL for a fetched page (a WARC response record); null for a plain file.",
           "https://www.ale.se/nyheter/dialogmote"),
        _c("fetched_at", pa.timestamp("us", tz="UTC"), "When the page was fetched (the WARC record's date); null "
           "for a plain file.", "2026-11-22 06:00:12+00"),
        _c("title", pa.string(), "Front matter title, HTML <title>/<h1>, else the first line.", "Dialogmöte i Umeå"),
        _c("published", pa.date32(), "Publication date when the source gives one.", "2020-07-01"),
        _c(
            "language",
            pa.string(),
            "ISO 639-1 code from langdetect (fixed seed); `und` when undetectable.",
            "sv",
            False,
        ),
        _c("language_prob", pa.float64(), "langdetect's probability for `language`.", "0.9999"),
        _c("n_chars", pa.int64(), "Length of `text` in characters.", "2345", False),
        _c("n_tokens", pa.int64(), "Number of spaCy tokens in `text`.", "410", False),
        _c("text", pa.string(), "Cleaned text; every offset in other tables refers to it.", "Umeå kommun …", False),
        _c("source_format", pa.string(), "Input kind: txt, markdown, html, jsonl or warc (an HTML page in a WARC "
           "file).", "markdown", False),
        _c("encoding", pa.string(), "Character encoding the file was decoded from.", "utf-8", False),
        _c("metadata_json", pa.string(), "Other metadata (front matter, JSONL fields) as JSON.", '{"author": "…"}'),
        _c("fingerprint", pa.string(), "What made this document's rows: a hash of model, pipeline version, "
           "taxonomies, lexicons and the curation rules for it (`runs.fingerprint_json` has the parts). A run "
           "reprocesses documents whose fingerprint is not the current one.", "3f9a…"),
        *_PROVENANCE,
    ),
    kind="document"
)

ENTITIES = Table(
    "entities",
    "Named entities found in Swedish documents.",
    (
        _DOC_REF[0],
        _DOC_REF[1],
        _c("label", pa.string(), "MUNICIPALITY, PERSON, ORGANISATION or LOCATION.", "MUNICIPALITY", False),
        _c("text", pa.string(), "The mention as written; equals text[start_char:end_char].", "Umeå kommun", False),
        _c("normalized", pa.string(), "Canonical name (SCB name, full person name, full org name).", "Umeå", False),
        _c("kb_id", pa.string(), "Knowledge-base id: the SCB kommunkod of a Swedish municipality; for a Swedish "
           "government agency (the registry in data/myndigheter.tsv.gz) its Wikidata id, or its organisation "
           "number where Wikidata has none; else null.", "2480"),
        _c("country", pa.string(), "Country of a foreign municipality when the text gives it.", "Ukraina"),
        *_EVIDENCE,
        _c("source", pa.string(), "What found it: municipality_list, org_gazetteer, org_patterns, person_patterns, "
           "list_line (a \"Name, Role, Organisation\" line), abbreviation (introduced in brackets after the "
           "organisation's name), ner+geonames (a model entity confirmed as a foreign city) or ner.", "ner", False),
        _c("score", pa.float64(), "Confidence in [0, 1] from the component's evidence.", "0.9", False),
        _REVIEW_STATUS,
        _c("extracted_label", pa.string(), "The label as extracted, before reviewers' corrections.", "PERSON", False),
        _c("extracted_normalized", pa.string(), "`normalized` as extracted, before corrections.", "Umeå", False),
        *_PROVENANCE,
    ),
    kind="derived"
)

PERSON_ROLES = Table(
    "person_roles",
    "A person linked to a role or title the text gives them.",
    (
        _DOC_REF[0],
        _DOC_REF[1],
        _c("person", pa.string(), "Full name of the person.", "Fredrik Kjos", False),
        _c("role", pa.string(), "Role as written, lower case.", "kommunstyrelsens ordförande", False),
        _c("party", pa.string(), "Party letter(s) when given (S, M, C, L, KD, V, MP, SD).", "M"),
        _c("org", pa.string(), "Organisation or municipality of the role when stated.", "Upplands-Bro"),
        _EVIDENCE[0],
        _EVIDENCE[1],
        _c("evidence", pa.string(), "The sentence or lines that state the role.", "Fredrik Kjos (M), …"),
        _c("score", pa.float64(), "Confidence in [0, 1].", "0.8", False),
        _REVIEW_STATUS,
        _c("extracted_role", pa.string(), "The role as extracted, before reviewers' corrections.", "ordförande", False),
        *_PROVENANCE,
    ),
    kind="derived"
)


def label_table(name: str, what: str) -> Table:
    """The table of one taxonomy (one per file in the taxonomies folder): its labels, with evidence."""
    return Table(
        name,
        f"Document labels: the {what} a Swedish document reports, with evidence.",
        (
            _DOC_REF[0],
            _DOC_REF[1],
            _c("label", pa.string(), f"Label id from the {what} taxonomy.", "medborgarbudget", False),
            _c("score", pa.float64(), "Evidence score; rows are kept above the taxonomy threshold.", "2.5", False),
            _c("evidence", pa.string(), "The sentence with the strongest cue.", "Boendebudgeten …"),
            _c("start_char", pa.int64(), "Start of the strongest cue in `documents.text`.", "40", False),
            _c("end_char", pa.int64(), "End (exclusive) of the strongest cue.", "54", False),
            *_PROVENANCE,
        ),
        kind="labels",
    )


PARTNERSHIPS = Table(
    "partnerships",
    "A Swedish municipality and a foreign local-government partner named together as cooperating.",
    (
        _DOC_REF[0],
        _DOC_REF[1],
        _c("swedish_municipality", pa.string(), "SCB name of the Swedish municipality.", "Umeå"),
        _c("swedish_kb_id", pa.string(), "Its SCB kommunkod.", "2480"),
        _c("partner", pa.string(), "The partner as written.", "Cherson", False),
        _c("partner_country", pa.string(), "Partner's country when the text gives it.", "Ukraina"),
        _c("themes", pa.list_(pa.string()), "Cooperation theme ids stated for the pair.", "['utbildning']"),
        _c("evidence", pa.string(), "The sentence naming the pair.", "Umeå kommun och Cherson …"),
        _c("start_char", pa.int64(), "Start of the evidence in `documents.text`.", "0", False),
        _c("end_char", pa.int64(), "End (exclusive) of the evidence.", "80", False),
        *_PROVENANCE,
    ),
    kind="derived"
)

FILES = Table(
    "files",
    "Every input file (or JSONL line) a run saw for the first time or changed: what became of it. "
    "The latest row per source_path is the current state.",
    (
        _c(
            "source_path",
            pa.string(),
            "Path relative to the input root; `file.jsonl#12` for a JSONL line, `crawl.warc.gz#1234` for the "
            "WARC record at that byte offset.",
            "a.txt",
            False,
        ),
        _c("file_sha256", pa.string(), "SHA-256 of the file's bytes; a change means reprocessing.", "ab12…", False),
        _c("size_bytes", pa.int64(), "File size in bytes.", "2048", False),
        _c("status", pa.string(), "document, duplicate, quarantined or skipped.", "document", False),
        _c("doc_id", pa.string(), "The document it holds (for a duplicate: the earlier document).", "9f86d0…"),
        _c("run_id", pa.string(), "The run that recorded it.", "20261122T101500Z-3f2a", False),
    ),
)

QUARANTINE = Table(
    "quarantine",
    "Inputs that could not be processed, with the stage and the reason. Nothing is dropped silently.",
    (
        _c("run_id", pa.string(), "The run that met the problem.", "20261122T101500Z-3f2a", False),
        _c("source_path", pa.string(), "Path relative to the input root.", "trasig.md", False),
        _c("stage", pa.string(), "discover, read, decode, parse, clean, language or nlp.", "decode", False),
        _c("reason", pa.string(), "What was wrong, in plain words.", "binary content (PDF header)", False),
        _c("file_sha256", pa.string(), "SHA-256 of the bytes when they could be read.", "ab12…"),
    ),
)

RUNS = Table(
    "runs",
    "One row per completed run. n_files = n_new + n_reprocessed + n_unchanged + n_duplicates + n_quarantined.",
    (
        _c("run_id", pa.string(), "Run id: UTC start time plus a random suffix.", "20261122T101500Z-3f2a", False),
        _c("started_at", pa.timestamp("us", tz="UTC"), "When the run started.", "2026-11-22 10:15:00+00", False),
        _c("finished_at", pa.timestamp("us", tz="UTC"), "When it finished.", "2026-11-22 10:16:02+00", False),
        _c("input_root", pa.string(), "The input folder as given.", "raw/examples", False),
        _c("n_files", pa.int64(), "Inputs seen (files, and JSONL lines counted one each).", "12", False),
        _c("n_new", pa.int64(), "Inputs that became new documents.", "9", False),
        _c("n_reprocessed", pa.int64(), "Known documents analysed again: --force, or what makes their rows "
           "changed (see `reprocessed_json`).", "0", False),
        _c("n_unchanged", pa.int64(), "Inputs unchanged since an earlier run.", "0", False),
        _c("n_duplicates", pa.int64(), "Inputs whose text is already a document.", "1", False),
        _c("n_quarantined", pa.int64(), "Inputs sent to `quarantine` or skipped.", "2", False),
        _c("languages_json", pa.string(), "Documents per language in this run, as JSON.", '{"sv": 8, "en": 1}'),
        _c("seconds", pa.float64(), "Wall time of the run.", "12.3", False),
        _c("curation_sha256", pa.string(), "SHA-256 of the curation file the run applied (null: none).", "ab12…"),
        _c("fingerprint_json", pa.string(), "What made the run's rows: model, pipeline version, and digests of "
           "the taxonomies, lexicons and curation, as JSON.", '{"model": "sv_kommunnlp_ner-0.2.0 …"}'),
        _c("reprocessed_json", pa.string(), "Why documents were reprocessed: reason → count, as JSON.",
           '{"model changed": 412}'),
        _c("pipeline_version", pa.string(), "kommunnlp version.", "0.1.0", False),
        _c("model", pa.string(), "spaCy pipeline used.", "kommunnlp_ner-0.1.0", False),
    ),
)

FETCHES = Table(
    "fetches",
    "One row per URL per fetch: every feed, sitemap and page the sources file led to, and what became of it. "
    "A URL listed by two sources is fetched once; the row names the first source that lists it.",
    (
        _c("url", pa.string(), "The URL as listed (a redirect's target is in `reason`).",
           "https://www.ale.se/nyheter/dialogmote", False),
        _c("source", pa.string(), "The source (its `name` in the sources file) that listed the URL.", "ale-nyheter",
           False),
        _c("status", pa.int64(), "HTTP status of the last response; null when none came (timeout, refused, "
           "disallowed).", "200"),
        _c("outcome", pa.string(), "fetched, not_modified (a 304 to a conditional request), failed, disallowed "
           "(by robots.txt) or skipped (not an http(s) URL).", "fetched", False),
        _c("reason", pa.string(), "Why it failed, was disallowed or skipped; for a fetched page that redirected, "
           "where to. Never null when failed.", "HTTP 404 Not Found"),
        _c("fetched_at", pa.timestamp("us", tz="UTC"), "When the last request was sent; null when none was.",
           "2026-11-22 06:00:12+00"),
        _c("bytes", pa.int64(), "Bytes of the response body as received; null when no whole response came.", "48210"),
        _c("run_id", pa.string(), "The run that fetched it.", "20261122T060000Z-3f2a", False),
    ),
)

REVIEWS = Table(
    "reviews",
    "Reviewers' verdicts imported from review sheets.",
    (
        _c("review_id", pa.string(), "Stable id of the reviewed item.", "e-5c1f…", False),
        _c("doc_id", pa.string(), "Document of the item.", "9f86d0…", False),
        _c("label", pa.string(), "Label of the item as exported.", "PERSON", False),
        _c("normalized", pa.string(), "Normalized value as exported.", "Fredrik Kjos", False),
        _c("verdict", pa.string(), "rätt, fel typ, ej entitet, fel avgränsning or osäker.", "rätt", False),
        _c("corrected_label", pa.string(), "New label for `fel typ`.", "ORGANISATION"),
        _c("corrected_normalized", pa.string(), "New canonical name.", "Sveriges Kommuner och Regioner"),
        _c("comment", pa.string(), "Reviewer's comment.", ""),
        _c("reviewer", pa.string(), "Who reviewed.", "anna"),
        _c(
            "imported_at",
            pa.timestamp("us", tz="UTC"),
            "When the verdict was imported.",
            "2026-11-22 10:15:00+00",
            False,
        ),
        _c("sheet_file", pa.string(), "Workbook file name.", "granskning.xlsx", False),
        _c("sheet_row", pa.int64(), "Row in the workbook.", "5", False),
    ),
)

# Tables every output folder has; a label table per taxonomy sits between person_roles and partnerships.
_BEFORE_LABELS = (DOCUMENTS, ENTITIES, PERSON_ROLES)
_AFTER_LABELS = (PARTNERSHIPS, FILES, QUARANTINE, RUNS, FETCHES, REVIEWS)
BASE_TABLES: dict[str, Table] = {t.name: t for t in (*_BEFORE_LABELS, *_AFTER_LABELS)}
LABEL_SCHEMA = label_table("labels", "labels").schema  # the same columns in every label table


def document_tables(tables: Mapping[str, Table]) -> list[str]:
    """The tables a run writes per batch of documents: `documents` and every table derived from them."""
    return [name for name, table in tables.items() if table.kind != "bookkeeping"]


def derived_tables(tables: Mapping[str, Table]) -> list[str]:
    """Tables of rows found in a document's text: each row references a document and has offsets into it."""
    return [name for name, table in tables.items() if table.kind in ("derived", "labels")]


def label_tables(tables: Mapping[str, Table]) -> list[str]:
    return [name for name, table in tables.items() if table.kind == "labels"]


def tables_with(taxonomies: Mapping[str, Mapping[str, str]]) -> dict[str, Table]:
    """Every table of an output folder whose taxonomies are these (name → {"what": what its labels are})."""
    labels = [label_table(name, header["what"]) for name, header in taxonomies.items()]
    return {t.name: t for t in (*_BEFORE_LABELS, *labels, *_AFTER_LABELS)}


# The tables of a run with the shipped taxonomies (the default; `kommunnlp run --taxonomies` adds others).
SHIPPED_TAXONOMIES = taxonomy_headers()
TABLES: dict[str, Table] = tables_with(SHIPPED_TAXONOMIES)

ENTITY_LABELS = ("MUNICIPALITY", "PERSON", "ORGANISATION", "LOCATION")
PROVENANCE = tuple(c.name for c in _PROVENANCE)


# --- typed rows -------------------------------------------------------------------------------
def row_class(table: Table, name: str) -> type:
    """A dataclass with one field per column, so a missing or misspelt column fails where the row is made.

    Provenance (run, pipeline version, model) is stamped on every row of a
    batch at once, so it may be left out when the row is made.
    """
    row = make_dataclass(
        name,
        [(c.name, object, field(default=None)) if c.name in PROVENANCE else (c.name, object) for c in table.columns],
        slots=True,
        kw_only=True,  # rows are made by column name, never by position
    )
    row.__module__ = __name__  # so rows pickle (worker processes send them back) as pipeline.store.schemas.<name>
    row.__doc__ = f"A row of `{table.name}`: {table.description}"
    return row


DocumentRow = row_class(DOCUMENTS, "DocumentRow")
EntityRow = row_class(ENTITIES, "EntityRow")
PersonRoleRow = row_class(PERSON_ROLES, "PersonRoleRow")
LabelRow = row_class(label_table("labels", "labels"), "LabelRow")
PartnershipRow = row_class(PARTNERSHIPS, "PartnershipRow")
FileRow = row_class(FILES, "FileRow")
QuarantineRow = row_class(QUARANTINE, "QuarantineRow")
RunRow = row_class(RUNS, "RunRow")
FetchRow = row_class(FETCHES, "FetchRow")
ReviewRow = row_class(REVIEWS, "ReviewRow")


def to_arrow(table: Table | str, rows: Iterable) -> pa.Table:
    """Rows (typed, or mappings) → an Arrow table of exactly the schema.

    A mapping with a column the table does not have is an error; a
    non-nullable column left empty is one too, naming the column.
    """
    table = TABLES[table] if isinstance(table, str) else table
    rows = list(rows)
    names = table.column_names
    if rows and not is_dataclass(rows[0]):
        extra = {k for row in rows for k in row} - set(names)
        if extra:
            raise KeyError(f"{table.name}: columns not in the schema: {sorted(extra)}")
        columns = {n: [row.get(n) for row in rows] for n in names}
    else:
        columns = {n: [getattr(row, n) for row in rows] for n in names}
    for column in table.columns:
        if not column.nullable and any(v is None for v in columns[column.name]):
            raise ValueError(f"{table.name}: column {column.name} may not be empty")
    return pa.Table.from_pydict(columns, schema=table.schema)
