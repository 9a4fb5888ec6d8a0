"""WARC files from other crawlers (Heritrix, Browsertrix, wget) as input: only HTML pages are documents."""

from __future__ import annotations

import gzip
import os
import tracemalloc
from io import BytesIO
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from pipeline.ingest.discover import discover
from pipeline.ingest.read import read_inputs

PAGE = ("<html><head><title>Nytt äldreboende i Norrby</title></head><body><nav>Meny</nav><main><h1>Nytt "
        "äldreboende i Norrby</h1><p>Kommunen bygger ett nytt äldreboende med sextio platser i Norrby. Bygget "
        "börjar i maj och boendet öppnar hösten 2027.</p><p>Publicerad 3 februari 2026</p></main></body></html>")


def chunked(text: str) -> bytes:
    """An HTTP/1.1 chunked body, as a crawler that stores what came over the wire keeps it."""
    data = text.encode("utf-8")
    return b"%x\r\n%s\r\n0\r\n\r\n" % (len(data), data)


def write_warc(path: Path, records: list[dict], gzip_: bool = True) -> None:
    with open(path, "wb") as handle:
        writer = WARCWriter(handle, gzip=gzip_)
        for spec in records:
            kind = spec.get("type", "response")
            http = None
            if kind in ("response", "revisit"):
                http = StatusAndHeaders(spec.get("status", "200 OK"), spec.get("headers", [
                    ("Content-Type", spec.get("content_type", "text/html; charset=utf-8"))]), protocol="HTTP/1.1")
            body = spec.get("body", PAGE.encode())
            fields = {"WARC-Date": "2026-02-03T08:00:00Z", **spec.get("fields", {})}
            record = writer.create_warc_record(
                spec["url"], kind, payload=BytesIO(body), length=len(body), http_headers=http,
                warc_content_type=spec.get("warc_type", ""), warc_headers_dict=fields)
            writer.write_record(record)


def outcomes(root: Path, **kwargs) -> dict[str, tuple]:
    return {o.source_path: (o.status, o.reason, o.document) for o in read_inputs(discover(root), {}, **kwargs)}


def test_only_html_pages_of_a_foreign_crawl_are_inputs(tmp_path):
    write_warc(tmp_path / "heritrix.warc.gz", [
        {"url": "https://www.norrby.se/nyheter/aldreboende"},
        {"url": "https://www.norrby.se/nyheter/aldreboende", "type": "request", "body": b"GET / HTTP/1.1\r\n\r\n",
         "warc_type": "application/http; msgtype=request"},
        {"url": "https://www.norrby.se/logo.png", "content_type": "image/png", "body": b"\x89PNG..."},
        {"url": "https://www.norrby.se/saknas", "status": "404 Not Found"},
        {"url": "https://www.norrby.se/gammal", "status": "301 Moved Permanently"},
        {"url": "https://www.norrby.se/nyheter/aldreboende", "type": "metadata", "body": b"outlink: x",
         "warc_type": "text/anvl"},
        # wget keeps the body as sent: chunked and gzip-encoded
        {"url": "https://www.norrby.se/nyheter/wget", "body": gzip.compress(chunked(PAGE.replace("Norrby", "Sörby"))),
         "headers": [("Content-Type", "text/html"), ("Content-Encoding", "gzip")]},
        {"url": "https://www.norrby.se/nyheter/chunked", "body": chunked(PAGE.replace("Norrby", "Väster")),
         "headers": [("Content-Type", "text/html"), ("Transfer-Encoding", "chunked")]},
        # Browsertrix stores some pages as resource records
        {"url": "https://www.norrby.se/nyheter/resurs", "type": "resource", "body": PAGE.replace("Norrby", "Öster")
         .encode(), "warc_type": "text/html"},
    ])
    found = outcomes(tmp_path)
    documents = {o[2].url: o[2] for o in found.values() if o[2] is not None}
    assert sorted(documents) == ["https://www.norrby.se/nyheter/aldreboende", "https://www.norrby.se/nyheter/chunked",
                                 "https://www.norrby.se/nyheter/resurs", "https://www.norrby.se/nyheter/wget"]
    assert all(status == "new" for status, _, _ in found.values())
    page = documents["https://www.norrby.se/nyheter/aldreboende"]
    assert page.title == "Nytt äldreboende i Norrby"
    assert str(page.published) == "2026-02-03" and str(page.fetched_at) == "2026-02-03 08:00:00+00:00"
    assert "Meny" not in page.text and page.source_format == "warc"
    assert "Sörby" in documents["https://www.norrby.se/nyheter/wget"].text
    assert "Väster" in documents["https://www.norrby.se/nyheter/chunked"].text
    assert all(path.startswith("heritrix.warc.gz#") for path in found)


def test_uncompressed_warc_and_unchanged_records(tmp_path):
    write_warc(tmp_path / "crawl.warc", [{"url": "https://www.norrby.se/a"}], gzip_=False)
    first = read_inputs(discover(tmp_path), {})
    assert [o.status for o in first] == ["new"]
    again = read_inputs(discover(tmp_path), {o.source_path: o.file_sha256 for o in first})
    assert [o.status for o in again] == ["unchanged"]


def test_oversized_truncated_and_broken_records_are_quarantined_and_the_rest_read(tmp_path):
    write_warc(tmp_path / "a.warc.gz", [
        {"url": "https://www.norrby.se/stor", "body": b"<p>" + b"x" * 2_000_000 + b"</p>"},
        {"url": "https://www.norrby.se/avkortad", "fields": {"WARC-Truncated": "length"}},
        {"url": "https://www.norrby.se/hel"},
    ])
    with open(tmp_path / "a.warc.gz", "ab") as handle:
        handle.write(b"\x1f\x8b\x08\x00 a gzip member cut short")
    found = outcomes(tmp_path, max_bytes=1_000_000)
    reasons = {path.split("#")[1]: (status, reason) for path, (status, reason, _) in found.items()}
    assert len(found) == 4
    statuses = sorted(status for status, _ in reasons.values())
    assert statuses == ["new", "quarantined", "quarantined", "quarantined"]
    assert any("over the 1.0 MB limit" in (r or "") for _, r in reasons.values())
    assert any("WARC-Truncated: length" in (r or "") for _, r in reasons.values())
    assert reasons["broken"][0] == "quarantined" and "unreadable" in reasons["broken"][1]


def test_a_large_warc_file_is_read_record_by_record_in_bounded_memory(tmp_path):
    big = os.urandom(30_000_000)  # a video in the crawl, larger than the 20 MB file limit on its own
    write_warc(tmp_path / "stor.warc.gz", [
        {"url": "https://www.norrby.se/film.mp4", "content_type": "video/mp4", "body": big},
        {"url": "https://www.norrby.se/nyheter/aldreboende"},
    ])
    del big
    assert (tmp_path / "stor.warc.gz").stat().st_size > 30_000_000
    tracemalloc.start()
    try:
        found = read_inputs(discover(tmp_path), {})
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert [o.status for o in found] == ["new"]
    assert peak < 10_000_000
