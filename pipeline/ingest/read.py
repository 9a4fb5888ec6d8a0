"""Discovery and reading: every input under the root ends as a document, unchanged, skipped or quarantined.

An *input* is a file, one line of a JSON Lines file or one HTML page of a
WARC file. Each has a content hash; an input whose hash matches the previous
run's is unchanged and is not read any further.
"""

from __future__ import annotations

import errno
import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime

from pipeline.ingest.cleaning import clean_text
from pipeline.ingest.decoding import DecodeError, decode
from pipeline.ingest.discover import Discovered
from pipeline.ingest.formats import PARSERS, Parsed, ParseError, parse_html, parse_jsonl_line
from pipeline.ingest.jsonl import Segment, lines_of
from pipeline.ingest.language import detect_language
from pipeline.ingest.metadata import published_of, title_of
from pipeline.ingest.warc import WarcBroken, warc_pages

DEFAULT_MAX_BYTES = 20 * 1024 * 1024


@dataclass
class DocumentRecord:
    doc_id: str
    source_path: str
    title: str | None
    published: date | None
    language: str
    language_prob: float
    text: str
    source_format: str
    encoding: str
    metadata: dict = field(default_factory=dict)
    url: str | None = None  # a page from a WARC file: its URL and when it was fetched
    fetched_at: datetime | None = None

    @property
    def n_chars(self) -> int:
        return len(self.text)


@dataclass
class Outcome:
    """What became of one input. status: new, unchanged, skipped or quarantined."""

    source_path: str
    file_sha256: str
    size_bytes: int
    status: str
    document: DocumentRecord | None = None
    stage: str | None = None
    reason: str | None = None


class Rejected(Exception):
    def __init__(self, stage: str, reason: str):
        super().__init__(f"{stage}: {reason}")
        self.stage = stage
        self.reason = reason


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read_inputs(
    items: Iterable[Discovered],
    previous: dict[str, str],
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    force: bool = False,
) -> list[Outcome]:
    """Read, decode, parse, clean and identify the language of each changed input.

    `previous` maps source_path → the hash a former run recorded; matching
    inputs come back as `unchanged` without being parsed (unless `force`).
    """
    outcomes: list[Outcome] = []
    for item in items:
        outcomes.extend(_read_one(item, previous, max_bytes, force))
    return outcomes


def read_each(items: list[Discovered], previous: dict[str, str], max_bytes: int, force: bool) -> list[list[Outcome]]:
    """Outcomes item by item (a JSONL file has several), for callers that shard the work."""
    return [list(_read_one(item, previous, max_bytes, force)) for item in items]


def _read_one(item: Discovered, previous: dict[str, str], max_bytes: int, force: bool) -> Iterator[Outcome]:
    try:
        size = item.path.stat().st_size
    except OSError as error:
        yield _unreadable(item, previous, force, error)
        return
    if item.kind is None:
        suffix = item.path.suffix or "(no extension)"
        yield _settled(item.source_path, f"!skipped:{size}", size, previous, force, "skipped", "discover",
                       f"unsupported file type {suffix}")
        return
    if item.kind == "warc":  # limits apply per record: the file may be any size
        yield from _read_warc(item, previous, max_bytes, force)
        return
    if item.kind == "jsonl":  # so do they here
        yield from _read_jsonl(item, previous, max_bytes, force)
        return
    if size > max_bytes:
        yield _settled(item.source_path, f"!too-large:{size}", size, previous, force, "quarantined", "read",
                       f"file is {size / 1e6:.1f} MB, over the {max_bytes / 1e6:.1f} MB limit")
        return
    try:
        data = item.path.read_bytes()
    except OSError as error:
        yield _unreadable(item, previous, force, error)
        return
    digest = sha256(data)
    if not force and previous.get(item.source_path) == digest:
        yield Outcome(item.source_path, digest, len(data), "unchanged")
        return
    try:
        text, encoding = _decode(data)
        parsed = PARSERS[item.kind](text)
        document = make_document(parsed, item.source_path, item.kind, encoding)
    except Rejected as rejected:
        yield Outcome(item.source_path, digest, len(data), "quarantined", stage=rejected.stage, reason=rejected.reason)
        return
    except ParseError as error:
        yield Outcome(item.source_path, digest, len(data), "quarantined", stage="parse", reason=str(error))
        return
    yield Outcome(item.source_path, digest, len(data), "new", document=document)


def _read_jsonl(item: Discovered, previous: dict[str, str], max_bytes: int, force: bool) -> Iterator[Outcome]:
    """Each non-blank line of the item's segment is its own input, `file.jsonl#N`, so one broken line costs
    only itself; lines are read one at a time, the size limit applies to each."""
    segment = item.segment or Segment(0, item.path.stat().st_size, 1, 0)
    try:
        for line in lines_of(item.path, segment, max_bytes):
            source_path = f"{item.source_path}#{line.number}"
            if line.data is None:
                yield _settled(source_path, f"!too-large:{line.size}", line.size, previous, force, "quarantined",
                               "read", f"line is {line.size / 1e6:.1f} MB, over the {max_bytes / 1e6:.1f} MB limit")
            elif line.data.strip():
                yield _jsonl_record(source_path, line.data, previous, force)
    except OSError as error:
        yield _unreadable(item, previous, force, error)


def _jsonl_record(source_path: str, raw: bytes, previous: dict[str, str], force: bool) -> Outcome:
    digest = sha256(raw)
    if not force and previous.get(source_path) == digest:
        return Outcome(source_path, digest, len(raw), "unchanged")
    try:
        text, encoding = _decode(raw)
        document = make_document(parse_jsonl_line(text), source_path, "jsonl", encoding)
    except Rejected as rejected:
        return Outcome(source_path, digest, len(raw), "quarantined", stage=rejected.stage, reason=rejected.reason)
    except ParseError as error:
        return Outcome(source_path, digest, len(raw), "quarantined", stage="parse", reason=str(error))
    return Outcome(source_path, digest, len(raw), "new", document=document)


def _read_warc(item: Discovered, previous: dict[str, str], max_bytes: int, force: bool) -> Iterator[Outcome]:
    """Each HTML page of a WARC file is its own input, `file.warc.gz#<record offset>`, read one at a time."""
    for page in warc_pages(item.path, max_bytes):
        if isinstance(page, WarcBroken):
            yield _settled(f"{item.source_path}#broken", f"!broken:{page.offset}", 0, previous, force, "quarantined",
                           "read", page.reason)
            return
        source_path = f"{item.source_path}#{page.offset}"
        if page.content is None:
            yield _settled(source_path, f"!too-large:{page.size}", page.size, previous, force, "quarantined", "read",
                           f"record is {page.size / 1e6:.1f} MB, over the {max_bytes / 1e6:.1f} MB limit")
            continue
        digest = sha256(page.content)
        if not force and previous.get(source_path) == digest:
            yield Outcome(source_path, digest, len(page.content), "unchanged")
            continue
        try:
            if page.truncated:
                raise Rejected("read", f"the crawler cut the page short (WARC-Truncated: {page.truncated})")
            text, encoding = _decode(page.content)
            parsed = parse_html(text)
            parsed.metadata.update(page.metadata)
            document = make_document(parsed, source_path, "warc", encoding, url=page.url, fetched_at=page.fetched_at)
        except Rejected as rejected:
            yield Outcome(source_path, digest, len(page.content), "quarantined", stage=rejected.stage,
                          reason=rejected.reason)
        except ParseError as error:
            yield Outcome(source_path, digest, len(page.content), "quarantined", stage="parse", reason=str(error))
        else:
            yield Outcome(source_path, digest, len(page.content), "new", document=document)


def _decode(data: bytes) -> tuple[str, str]:
    if not data.strip():
        raise Rejected("read", "empty file" if not data else "file holds only white space")
    try:
        return decode(data)
    except DecodeError as error:
        raise Rejected("decode", str(error)) from None


def make_document(parsed: Parsed, source_path: str, kind: str, encoding: str, url: str | None = None,
                  fetched_at: datetime | None = None) -> DocumentRecord:
    """Clean the parsed text and give it its identity and language (a fetched page: its URL and fetch time)."""
    text = clean_text(parsed.text)
    if not text:
        raise Rejected("clean", "no text left after cleaning")
    language = detect_language(text)
    if not language.determined:
        raise Rejected("language", "no language could be detected (no letters in the text)")
    return DocumentRecord(
        doc_id=sha256(text.encode("utf-8")),
        source_path=source_path,
        title=title_of(parsed.metadata, text),
        published=published_of(parsed.metadata, parsed.text, url or source_path),
        language=language.code,
        language_prob=language.probability,
        text=text,
        source_format=kind,
        encoding=encoding,
        metadata=parsed.metadata,
        url=url,
        fetched_at=fetched_at,
    )


def _unreadable(item: Discovered, previous: dict[str, str], force: bool, error: OSError) -> Outcome:
    reasons = {
        errno.ENOENT: "file vanished before it could be read",
        errno.EACCES: "permission denied",
        errno.EPERM: "permission denied",
        errno.ELOOP: "symbolic link loop",
        errno.EISDIR: "is a folder",
    }
    reason = reasons.get(error.errno, f"could not read: {error.strerror or error}")
    return _settled(item.source_path, f"!unreadable:{reason}", 0, previous, force, "quarantined", "read", reason)


def _settled(
    source_path: str, pseudo_hash: str, size: int, previous: dict[str, str], force: bool,
    status: str, stage: str, reason: str,
) -> Outcome:
    """An input judged without reading its bytes; the same judgement next run counts as unchanged."""
    if not force and previous.get(source_path) == pseudo_hash:
        return Outcome(source_path, pseudo_hash, size, "unchanged")
    return Outcome(source_path, pseudo_hash, size, status, stage=stage, reason=reason)


def metadata_json(document: DocumentRecord) -> str | None:
    return json.dumps(document.metadata, ensure_ascii=False, sort_keys=True) if document.metadata else None
