"""What the fetcher remembers between runs, in the raw folder's `.kommunnlp-fetch/`: each URL's validators.

For every URL fetched: its ETag and Last-Modified, so the next run asks
conditionally (`If-None-Match`, `If-Modified-Since`); the digest and date of its
last body, so the same body again from a server without validators is not
archived twice; and for a feed or sitemap the links it listed, so a `304 Not
Modified` listing still yields its pages. One fetch at a time per raw folder (a lock file). Ingestion does not
read this folder (`pipeline.ingest.discover.FETCH_STATE_DIR`).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

from pipeline import UserError
from pipeline.ingest.discover import FETCH_STATE_DIR

STATE_FILE = "state.json"


class FetchLocked(UserError, RuntimeError):
    """Another fetch is writing into the same raw folder."""


class FetchState:
    def __init__(self, raw_dir: Path):
        self.folder = Path(raw_dir) / FETCH_STATE_DIR
        self.work_dir = self.folder / "partial"  # WARC files being written
        self.urls: dict[str, dict] = {}

    @contextmanager
    def locked(self, wait_seconds: float = 0.0) -> Iterator[FetchState]:
        """Hold the raw folder for one fetch, with the state loaded."""
        self.folder.mkdir(parents=True, exist_ok=True)
        lock = FileLock(str(self.folder / "lock"))
        try:
            lock.acquire(timeout=wait_seconds)
        except Timeout:
            raise FetchLocked(f"another fetch is writing into {self.folder.parent}; wait for it to finish") from None
        try:
            self.urls = self._load()
            yield self
        finally:
            lock.release()

    def _load(self) -> dict[str, dict]:
        try:
            data = json.loads((self.folder / STATE_FILE).read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError):
            return {}  # an unreadable state only costs unconditional requests
        return data.get("urls", {}) if isinstance(data, dict) else {}

    def save(self) -> None:
        target = self.folder / STATE_FILE
        tmp = target.with_name(f".{target.name}.tmp")
        tmp.write_text(json.dumps({"urls": dict(sorted(self.urls.items()))}, ensure_ascii=False, indent=1),
                       encoding="utf-8")
        os.replace(tmp, target)

    def validators(self, url: str) -> dict[str, str]:
        """The conditional-request headers for a URL fetched before (none for a new one)."""
        known = self.urls.get(url, {})
        headers = {}
        if known.get("etag"):
            headers["If-None-Match"] = known["etag"]
        if known.get("last_modified"):
            headers["If-Modified-Since"] = known["last_modified"]
        return headers

    def links(self, url: str) -> list[str] | None:
        """The links a feed or sitemap listed when it was last fetched."""
        return self.urls.get(url, {}).get("links")

    def last_body(self, url: str) -> tuple[str, str] | None:
        """(payload digest, WARC date) of the URL's last whole response."""
        known = self.urls.get(url, {})
        return (known["digest"], known["date"]) if known.get("digest") and known.get("date") else None

    def remember_body(self, url: str, digest: str, date: str) -> None:
        self.urls.setdefault(url, {}).update(digest=digest, date=date)

    def remember(self, url: str, etag: str | None, last_modified: str | None, links: list[str] | None = None
                 ) -> None:
        known = self.urls.setdefault(url, {})
        if etag:
            known["etag"] = etag
        if last_modified:
            known["last_modified"] = last_modified
        if links is not None:
            known["links"] = links
