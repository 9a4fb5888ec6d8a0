"""WARC files as input (ours, Heritrix's, Browsertrix's, wget's): the HTML pages they hold, record by record.

Only responses with status 200 (and resource records) whose content type is
HTML are pages; requests, metadata, revisits, redirects, errors and other
content types are the archive's business, not documents. Records are read one
at a time with warcio, each body at most `max_bytes`, so memory stays bounded
whatever the file's size.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator

HTML_TYPES = ("text/html", "application/xhtml+xml")
# Extension fields our fetcher writes (pipeline/fetch/archive.py); kept as document metadata.
METADATA_FIELDS = {"KommunNLP-Source": "source", "KommunNLP-Municipality": "municipality"}


@dataclass(frozen=True)
class WarcPage:
    """One HTML page of a WARC file; `content` is None when the body is over the size limit."""

    offset: int  # byte offset of the record in the file: its key, `file.warc.gz#<offset>`
    url: str
    fetched_at: dt.datetime | None
    content: bytes | None
    size: int  # bytes of the body when read, else the record's declared length
    truncated: str | None  # the crawler's WARC-Truncated reason, when it cut the body
    metadata: dict


@dataclass(frozen=True)
class WarcBroken:
    """The file could not be read past `offset`; pages before it were yielded."""

    offset: int
    reason: str


def warc_pages(path: Path, max_bytes: int) -> Iterator[WarcPage | WarcBroken]:
    """The HTML pages of a WARC file (gzip or not) in file order, then a WarcBroken if it breaks off."""
    offset = 0
    try:
        with open(path, "rb") as handle:
            records = ArchiveIterator(handle, check_digests=False)
            for record in records:
                if not _is_page(record):
                    continue
                headers = record.rec_headers
                declared = int(headers.get_header("Content-Length") or 0)
                content = record.content_stream().read(max_bytes + 1)
                offset = records.get_record_offset()  # reads the rest of the record: after the content
                yield WarcPage(
                    offset=offset,
                    url=headers.get_header("WARC-Target-URI") or "",
                    fetched_at=_warc_date(headers.get_header("WARC-Date")),
                    content=content if len(content) <= max_bytes else None,
                    size=len(content) if len(content) <= max_bytes else declared,
                    truncated=headers.get_header("WARC-Truncated"),
                    metadata={key: headers.get_header(name) for name, key in METADATA_FIELDS.items()
                              if headers.get_header(name)},
                )
    except Exception as error:  # warcio raises many kinds on a damaged file: gzip, parse, EOF
        yield WarcBroken(offset, f"WARC file unreadable after this offset: {type(error).__name__}: "
                                 f"{str(error).splitlines()[0][:200] if str(error) else ''}".rstrip(": "))


def _is_page(record) -> bool:
    if record.rec_type == "response":
        if record.http_headers is None or record.http_headers.get_statuscode() != "200":
            return False
    elif record.rec_type != "resource":
        return False
    return _content_type(record).split(";")[0].strip().lower() in HTML_TYPES


def _content_type(record) -> str:
    if record.rec_type == "response":
        return record.http_headers.get_header("Content-Type") or ""
    return record.rec_headers.get_header("Content-Type") or ""


def _warc_date(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    try:
        when = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)
