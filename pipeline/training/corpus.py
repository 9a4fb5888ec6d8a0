"""The team's annotated corpus: where its documents come from, how they are sampled, split and rebuilt.

The repository holds annotations only (`annotations/corpus.jsonl`): each
document's source id, the SHA-256 of its text, character offsets of its
spans and its document-level lists. The texts stay in `../shared` and are
rebuilt from there, byte for byte, by `materialize`; `document_text` reads a
rebuilt file through the product's own ingestion, so offsets refer to exactly
the `documents.text` a run stores.

Source ids name the shared file a document comes from:

- `bench:<path in regeringen-pressmeddelanden.tar.gz>` — a press release
- `almedalen:<event id>` — an Almedalen event, rendered as a page (`render_event`)
- `g0vse:<path>` — another government document from `g0vse-text.jsonl.gz`
- `dev:<file name>` — one of the 33 dev documents
"""

from __future__ import annotations

import gzip
import hashlib
import json
import random
import re
import tarfile
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from pipeline.resources import PACKAGE_DIR, shared_dir

ANNOTATION_DIR = PACKAGE_DIR / "training" / "annotations"
CORPUS_FILE = ANNOTATION_DIR / "corpus.jsonl"
SECOND_PASS_FILE = ANNOTATION_DIR / "second-pass.jsonl"
BENCH_ARCHIVE = Path("bench") / "regeringen-pressmeddelanden.tar.gz"
ALMEDALEN = Path("corpus") / "text" / "almedalen-events.jsonl.gz"
G0VSE = Path("corpus") / "text" / "g0vse-text.jsonl.gz"
DEV = Path("corpus") / "dev"
DEV_PREFIX = re.compile(r"^(gov|dd)-\d{4}-\d{2}(-\d{2})?-")
GENRES = {"bench": "press_release", "almedalen": "event_page", "g0vse": "government_text", "dev": "news_post"}
SPLITS = ("train", "dev", "test")


@dataclass(frozen=True)
class SourceDocument:
    """A document of the corpus as a file: its id, the file name it is written under, and its bytes."""

    id: str
    file_name: str
    content: str

    @property
    def genre(self) -> str:
        return GENRES[self.id.split(":", 1)[0]]


# --- reading the shared sources -----------------------------------------------------------
def press_releases(shared: Path | None = None) -> Iterator[SourceDocument]:
    with tarfile.open((shared or shared_dir()) / BENCH_ARCHIVE) as archive:
        for member in archive:
            if member.isfile() and member.name.endswith(".md"):
                text = archive.extractfile(member).read().decode("utf-8")
                yield SourceDocument(f"bench:{member.name}", _file_name(member.name), text)


def almedalen_events(shared: Path | None = None) -> Iterator[tuple[dict, SourceDocument]]:
    with gzip.open((shared or shared_dir()) / ALMEDALEN, "rt", encoding="utf-8") as handle:
        for line in handle:
            event = json.loads(line)
            yield event, SourceDocument(f"almedalen:{event['id']}", f"almedalen-{event['id']}.md", render_event(event))


def government_texts(shared: Path | None = None) -> Iterator[SourceDocument]:
    with gzip.open((shared or shared_dir()) / G0VSE, "rt", encoding="utf-8") as handle:
        for line in handle:
            record = json.loads(line)
            yield SourceDocument(f"g0vse:{record['path']}", _file_name(record["path"]), record["text"])


def dev_documents(shared: Path | None = None) -> Iterator[SourceDocument]:
    folder = (shared or shared_dir()) / DEV
    for path in sorted(folder.iterdir()):
        if path.suffix in (".md", ".markdown"):
            yield SourceDocument(f"dev:{path.name}", path.name, path.read_text(encoding="utf-8"))


def _file_name(path: str) -> str:
    """A flat, unique file name for a path inside an archive: its folders joined with dashes."""
    return "-".join(Path(path).parts[1:]) if "/" in path else path


def render_event(event: dict) -> str:
    """An Almedalen event as the page a reader sees: title, organiser, time, description, speakers.

    Markdown with front matter, so it goes through the product's ingestion
    like any page: the title becomes the headline, and each speaker string
    ("Name, Role, Organisation") is a list item of its own.
    """
    title = " ".join(str(event.get("title") or "").split()).strip('"') or f"Evenemang {event['id']}"
    lines = ["---", f"title: {json.dumps(title, ensure_ascii=False)}"]
    if event.get("start"):
        lines.append(f"date: {str(event['start'])[:10]}")
    lines += ["---", "", f"# {title}", ""]
    facts = [("Arrangör", event.get("organiser")), ("Tid", event.get("start")),
             ("Kategori", " · ".join(x for x in (event.get("category"), event.get("type")) if x)),
             ("Ämnen", ", ".join(event.get("topics") or []))]
    lines += [f"{name}: {value}  " for name, value in facts if value]
    for field_name in ("description", "more_info"):
        body = str(event.get(field_name) or "").strip()
        if body:
            lines += ["", body]
    speakers = [" ".join(str(s).split()) for s in event.get("speakers") or [] if str(s).strip()]
    if speakers:
        lines += ["", "## Medverkande", "", *(f"- {s}" for s in speakers)]
    return "\n".join(lines) + "\n"


# --- rebuilding texts ---------------------------------------------------------------------
def find_sources(ids: Iterable[str], shared: Path | None = None) -> dict[str, SourceDocument]:
    """The source documents for these ids, read in one pass over each shared file."""
    wanted = set(ids)
    by_kind: dict[str, set[str]] = defaultdict(set)
    for source_id in wanted:
        by_kind[source_id.split(":", 1)[0]].add(source_id)
    found: dict[str, SourceDocument] = {}
    readers = {
        "bench": lambda: press_releases(shared),
        "almedalen": lambda: (doc for _, doc in almedalen_events(shared)),
        "g0vse": lambda: government_texts(shared),
        "dev": lambda: dev_documents(shared),
    }
    for kind, ids_of_kind in by_kind.items():
        if kind not in readers:
            raise ValueError(f"unknown source kind {kind!r} in {sorted(ids_of_kind)[:3]}")
        for document in readers[kind]():
            if document.id in ids_of_kind:
                found[document.id] = document
    missing = wanted - set(found)
    if missing:
        raise FileNotFoundError(f"{len(missing)} corpus documents not found in the shared data, e.g. "
                                f"{sorted(missing)[:3]}")
    return found


def document_text(source: SourceDocument) -> str:
    """The text a run stores for this document (`documents.text`): read through the product's ingestion."""
    from pipeline.ingest.formats import parse_markdown
    from pipeline.ingest.read import make_document

    return make_document(parse_markdown(source.content), source.file_name, "markdown", "utf-8").text


def text_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def materialize(records: list[dict], target: Path, shared: Path | None = None) -> dict[str, Path]:
    """Write the documents of these annotation records as files under target/<genre>/ (id → path)."""
    sources = find_sources([r["id"] for r in records], shared)
    written: dict[str, Path] = {}
    for record in records:
        source = sources[record["id"]]
        path = target / source.genre / source.file_name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source.content, encoding="utf-8")
        written[record["id"]] = path
    return written


# --- sampling -----------------------------------------------------------------------------
# How many documents of each kind the corpus draws, and the text lengths it accepts: long enough to
# hold entities, short enough that an annotator reads every word.
SAMPLE = {"bench": 180, "almedalen_speakers": 100, "almedalen_other": 20, "g0vse": 80}
G0VSE_FOLDERS = {"artiklar": 24, "uttalanden": 8, "rapporter": 8, "regeringsuppdrag": 8, "remisser": 6, "tal": 8,
                 "informationsmaterial": 6, "faktapromemoria": 4, "strategier-for-internationellt-bistand": 4,
                 "overenskommelser-och-avtal": 4}
MIN_CHARS, MAX_CHARS = 300, 3500
TEST_SHARE, DEV_SHARE = 0.25, 0.12


def split_of(source_id: str) -> str:
    """train, dev or test, from a hash of the id: fixed before any annotation, never chosen by hand.

    The dev documents of ../shared stay in `dev` (they are the product's
    tuning set already; training on them would flatter the dev figures).
    """
    if source_id.startswith("dev:"):
        return "dev"
    bucket = int(hashlib.sha256(f"kommunnlp-split:{source_id}".encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
    return "test" if bucket < TEST_SHARE else "dev" if bucket < TEST_SHARE + DEV_SHARE else "train"


def sample(seed: int = 20261201, shared: Path | None = None) -> list[SourceDocument]:
    """A stratified sample: press releases of every year, event pages with and without speaker
    lists, government texts of several kinds, and every dev document."""
    rng = random.Random(seed)
    dev_names = {DEV_PREFIX.sub("", d.file_name) for d in dev_documents(shared)}
    chosen: list[SourceDocument] = []

    by_year: dict[str, list[SourceDocument]] = defaultdict(list)
    for doc in press_releases(shared):
        if Path(doc.id).name not in dev_names and _fits(doc):
            by_year[doc.id.split("/")[1]].append(doc)
    chosen += _spread(by_year, SAMPLE["bench"], rng)

    with_speakers: dict[str, list[SourceDocument]] = defaultdict(list)
    without: dict[str, list[SourceDocument]] = defaultdict(list)
    for event, doc in almedalen_events(shared):
        if _fits(doc) and event.get("language", "Svenska") == "Svenska":
            (with_speakers if event.get("speakers") else without)[str(event["year"])].append(doc)
    chosen += _spread(with_speakers, SAMPLE["almedalen_speakers"], rng)
    chosen += _spread(without, SAMPLE["almedalen_other"], rng)

    by_folder: dict[str, list[SourceDocument]] = defaultdict(list)
    for doc in government_texts(shared):
        folder = doc.id.removeprefix("g0vse:").split("/")[0]
        if folder in G0VSE_FOLDERS and _fits(doc):
            by_folder[folder].append(doc)
    for folder, n in G0VSE_FOLDERS.items():
        pool = sorted(by_folder[folder], key=lambda d: d.id)
        chosen += rng.sample(pool, min(n, len(pool)))

    chosen += list(dev_documents(shared))
    return chosen


# The second sample (2026-12-02): the first held only four documents that use a dialogue method, too few to
# measure the dialogue_methods labels. It draws documents whose text holds a dialogue-method cue word
# (`strong` in the taxonomy, or "medborgardialog"/"samråd"); many only mention the word, which is the
# distinction the labels must learn. Split by `split_of` like the first sample.
DIALOGUE_SAMPLE = {"almedalen": 40, "g0vse": 30, "bench": 20}
DIALOGUE_WORDS = ("medborgardialog", "samråd")


def dialogue_sample(seed: int = 20261202, shared: Path | None = None) -> list[SourceDocument]:
    """Documents not yet in the corpus whose text uses the dialogue vocabulary, drawn at random per source."""
    import yaml

    taxonomy = yaml.safe_load((PACKAGE_DIR / "taxonomies" / "dialogue_methods.yaml").read_text(encoding="utf-8"))
    words = sorted({str(cue).lower() for label in taxonomy["labels"] for cue in label["strong"]} | set(DIALOGUE_WORDS))
    pattern = re.compile(r"\b(?:" + "|".join(re.escape(w) for w in words) + ")", re.IGNORECASE)
    excluded = {r["id"] for r in load_records()}
    dev_names = {DEV_PREFIX.sub("", d.file_name) for d in dev_documents(shared)}
    sources = {
        "almedalen": (doc for event, doc in almedalen_events(shared) if event.get("language", "Svenska") == "Svenska"),
        "g0vse": government_texts(shared),
        "bench": (doc for doc in press_releases(shared) if Path(doc.id).name not in dev_names),
    }
    rng = random.Random(seed)
    chosen: list[SourceDocument] = []
    for kind, documents in sources.items():
        pool = sorted((d for d in documents if d.id not in excluded and _fits(d) and pattern.search(d.content)),
                      key=lambda d: d.id)
        chosen += rng.sample(pool, min(DIALOGUE_SAMPLE[kind], len(pool)))
    return chosen


def _fits(doc: SourceDocument) -> bool:
    return MIN_CHARS <= len(doc.content) <= MAX_CHARS


def _spread(groups: dict[str, list[SourceDocument]], n: int, rng: random.Random) -> list[SourceDocument]:
    """n documents spread over the groups (years): every group gets its share, at least one."""
    keys = sorted(groups)
    # a share proportional to the square root of the group's size: small years are not drowned out
    weights = {k: len(groups[k]) ** 0.5 for k in keys}
    scale = n / sum(weights.values())
    quota = {k: max(1, min(len(groups[k]), round(weights[k] * scale))) for k in keys}
    picked: list[SourceDocument] = []
    for key in keys:
        pool = sorted(groups[key], key=lambda d: d.id)
        picked += rng.sample(pool, quota[key])
    return picked


# --- the stored annotations ---------------------------------------------------------------
def load_records(path: Path = CORPUS_FILE) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def save_records(records: list[dict], path: Path = CORPUS_FILE) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    body = "".join(json.dumps(r, ensure_ascii=False, sort_keys=False) + "\n" for r in sorted(records,
                                                                                               key=lambda r: r["id"]))
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(body, encoding="utf-8")
    tmp.replace(path)


def materialize_split(split: str, target: Path, shared: Path | None = None) -> tuple[Path, Path]:
    """The documents of one split as files under target/docs (genre/file), and their gold in the annotation
    guidelines' format as target/gold.jsonl: (input folder, gold file). Texts are rebuilt from ../shared."""
    from pipeline.training.annotation import from_record, gold_lists

    records = [r for r in load_records() if split in ("all", r["split"])]
    documents = target / "docs"
    written = materialize(records, documents, shared)
    sources = find_sources([r["id"] for r in records], shared)
    gold = target / "gold.jsonl"
    with gold.open("w", encoding="utf-8") as out:
        for record in records:
            text = document_text(sources[record["id"]])
            if text_sha256(text) != record["sha256"]:
                raise ValueError(f"{record['id']}: the text in ../shared is not the text that was annotated")
            lists = gold_lists(from_record(record), text)
            doc = written[record["id"]].relative_to(documents).as_posix()
            out.write(json.dumps({"doc": doc, **lists}, ensure_ascii=False) + "\n")
    return documents, gold
