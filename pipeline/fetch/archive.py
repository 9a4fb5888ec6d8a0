"""WARC files of a fetch run: every request and response, written with warcio.

A run's archive is written in the fetcher's state folder and moved into the raw
folder only when closed, so ingestion never meets a half-written file; a file a
killed run left there is discarded by the next run (its URLs were not marked as
fetched, so they are fetched again). Files roll over at `MAX_FILE_BYTES`.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import os
import threading
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import BinaryIO
from urllib.parse import urlsplit

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from pipeline import PIPELINE_VERSION

MAX_FILE_BYTES = 1_000_000_000  # the usual WARC file size
# Extension fields on response records: which source listed the URL, and its municipality.
SOURCE_FIELD = "KommunNLP-Source"
MUNICIPALITY_FIELD = "KommunNLP-Municipality"
# Hop-by-hop framing the client has already undone: the body is stored without it.
_FRAMING = {"transfer-encoding"}


@dataclass(frozen=True)
class Exchange:
    """One request and the response to it, as sent and received (the body still content-encoded)."""

    url: str
    method: str
    request_headers: list[tuple[str, str]]
    http_version: str
    status: int
    reason: str
    response_headers: list[tuple[str, str]]
    body: bytes
    fetched_at: dt.datetime
    source: str | None = None
    municipality: str | None = None
    # Set when the body is the one fetched before (same payload digest, a server without validators):
    # archived as a revisit record referring to that earlier fetch's date, not as a second copy.
    revisit_of: str | None = None

    @property
    def digest(self) -> str:
        """The body's payload digest as WARC writes it (SHA-1, base 32)."""
        return payload_digest(self.body)


def payload_digest(body: bytes) -> str:
    return "sha1:" + base64.b32encode(hashlib.sha1(body).digest()).decode("ascii")


class WarcArchive:
    """Thread-safe writer of one run's WARC files; `close()` moves them into the raw folder."""

    def __init__(self, raw_dir: Path, work_dir: Path, run_id: str):
        self.raw_dir = Path(raw_dir)
        self.work_dir = Path(work_dir)
        self.run_id = run_id
        self.lock = threading.Lock()
        self.serial = 0
        self.handle: BinaryIO | None = None
        self.writer: WARCWriter | None = None
        self.written: list[Path] = []

    def write(self, exchange: Exchange) -> None:
        """Append the request and response records of one exchange."""
        with self.lock:
            writer = self._writer()
            request, response = _records(writer, exchange)
            writer.write_request_response_pair(request, response)
            if self.handle.tell() >= MAX_FILE_BYTES:
                self._finish_file()

    def close(self) -> list[Path]:
        """Finish the open file and move every file of the run into the raw folder; their final paths."""
        with self.lock:
            self._finish_file()
            return list(self.written)

    def _writer(self) -> WARCWriter:
        if self.writer is None:
            self.work_dir.mkdir(parents=True, exist_ok=True)
            name = f"kommunnlp-{self.run_id}-{self.serial:05d}.warc.gz"
            self.handle = open(self.work_dir / name, "wb")  # noqa: SIM115 (closed in _finish_file)
            self.writer = WARCWriter(self.handle, gzip=True)
            self.writer.write_record(self.writer.create_warcinfo_record(name, {
                "software": f"kommunnlp/{PIPELINE_VERSION} (warcio)", "format": "WARC File Format 1.1",
                "isPartOf": f"kommunnlp fetch {self.run_id}",
            }))
        return self.writer

    def _finish_file(self) -> None:
        if self.handle is None:
            return
        self.handle.flush()
        os.fsync(self.handle.fileno())
        self.handle.close()
        partial = Path(self.handle.name)
        self.raw_dir.mkdir(parents=True, exist_ok=True)
        target = self.raw_dir / partial.name
        os.replace(partial, target)
        self.written.append(target)
        self.handle, self.writer = None, None
        self.serial += 1


def discard_partial(work_dir: Path) -> list[str]:
    """Remove WARC files a killed run left unfinished; notes naming them."""
    notes = []
    for leftover in sorted(Path(work_dir).glob("*.warc.gz")):
        leftover.unlink(missing_ok=True)
        notes.append(f"discarded the unfinished archive {leftover.name} of a killed fetch")
    return notes


def warc_date(when: dt.datetime) -> str:
    return when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _records(writer: WARCWriter, exchange: Exchange) -> tuple:
    date = warc_date(exchange.fetched_at)
    target = _request_target(exchange.url)
    request = writer.create_warc_record(
        exchange.url, "request", http_headers=StatusAndHeaders(
            f"{exchange.method} {target} HTTP/1.1", exchange.request_headers, is_http_request=True),
        warc_headers_dict={"WARC-Date": date},
    )
    headers = [(k, v) for k, v in exchange.response_headers if k.lower() not in _FRAMING]
    fields = {"WARC-Date": date}
    if exchange.source:
        fields[SOURCE_FIELD] = exchange.source
    if exchange.municipality:
        fields[MUNICIPALITY_FIELD] = exchange.municipality
    http_headers = StatusAndHeaders(f"{exchange.status} {exchange.reason}".strip(), headers,
                                    protocol=exchange.http_version)
    if exchange.revisit_of:
        return request, writer.create_revisit_record(exchange.url, exchange.digest, exchange.url, exchange.revisit_of,
                                                     http_headers=http_headers, warc_headers_dict=fields)
    response = writer.create_warc_record(
        exchange.url, "response", payload=BytesIO(exchange.body), length=len(exchange.body),
        http_headers=http_headers, warc_headers_dict=fields,
    )
    return request, response


def _request_target(url: str) -> str:
    parts = urlsplit(url)
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
