"""One fetch run: the sources' feeds and sitemaps first, then every page they list, hosts in parallel.

Each URL is fetched once per run (the first source listing it names it),
conditionally when an earlier run saw it, and ends as one `fetches` row. What
the server or the network does never stops the run: it is the row's outcome.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.fetch.archive import WarcArchive, discard_partial, warc_date
from pipeline.fetch.client import OUTCOMES, PoliteClient, Result, decoded_body, host_of
from pipeline.fetch.links import feed_links, sitemap_links, web_url
from pipeline.fetch.sources import Settings, Source, load_sources
from pipeline.fetch.state import FetchState
from pipeline.store.schemas import FetchRow

MAX_HOSTS_AT_ONCE = 8
MAX_SITEMAPS_PER_SOURCE = 100  # a sitemap index and the sitemaps it lists
LISTING_LIMIT = 50_000_000  # bytes of a decoded feed or sitemap read for links


@dataclass
class FetchReport:
    """What a fetch did: a row per URL, the WARC files it wrote, and notes (recovery of a killed fetch)."""

    run_id: str
    rows: list = field(default_factory=list)  # FetchRow
    archives: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        found = Counter(row.outcome for row in self.rows)
        return {outcome: found[outcome] for outcome in OUTCOMES}

    def as_dict(self) -> dict:
        failed = [{"url": r.url, "source": r.source, "status": r.status, "reason": r.reason}
                  for r in self.rows if r.outcome == "failed"]
        return {"run_id": self.run_id, "urls": len(self.rows), **self.counts, "archives": self.archives,
                "failures": failed, "notes": self.notes}


@dataclass(frozen=True)
class Job:
    url: str
    source: Source
    listing: bool  # a feed or sitemap: read it for links


def fetch_sources(sources: str | Path, raw_dir: str | Path, run_id: str,
                  logger: logging.Logger | logging.LoggerAdapter | None = None, wait_seconds: float = 0.0
                  ) -> FetchReport:
    """Fetch everything the sources file lists into WARC files under raw_dir; one row per URL."""
    settings = load_sources(sources)  # a broken sources file stops here, before anything is written
    log = logger or logging.getLogger("kommunnlp")
    report = FetchReport(run_id)
    state = FetchState(Path(raw_dir))
    with state.locked(wait_seconds):
        report.notes = discard_partial(state.work_dir)
        for note in report.notes:
            log.warning("recovery: %s", note)
        archive = WarcArchive(Path(raw_dir), state.work_dir, run_id)
        client = PoliteClient(settings, archive)
        try:
            report.rows = Crawl(settings, client, state, run_id, log).run()
        finally:
            client.close()
            report.archives = [str(p) for p in archive.close()]
            state.save()  # after the archives are in place: what it marks as fetched is archived
    log.info("fetch %s: %d URLs, %s", run_id, len(report.rows), report.counts)
    if report.counts["failed"]:
        log.warning("%d URLs failed; see the fetches table", report.counts["failed"])
    return report


class Crawl:
    def __init__(self, settings: Settings, client: PoliteClient, state: FetchState, run_id: str,
                 log: logging.Logger | logging.LoggerAdapter):
        self.settings = settings
        self.client = client
        self.state = state
        self.run_id = run_id
        self.log = log
        self.claimed: dict[str, str] = {}  # URL → the source it is fetched for in this run
        self.rows: list = []
        self.links: dict[str, list[str]] = {}  # source name → the pages its listing gave
        self.lock = threading.Lock()  # hosts' threads claim URLs and add rows

    def run(self) -> list:
        listings = [Job(s.feed or s.sitemap, s, True) for s in self.settings.sources if s.kind != "urls"]
        self.fetch_all(self.claim(listings), self.read_listing)
        pages = []
        for source in self.settings.sources:
            listed = self.links.get(source.name, []) if source.kind != "urls" else source.urls
            pages.extend(Job(url, source, False) for url in listed)
        self.fetch_all(self.claim(pages), lambda job, result: None)
        order = {source.name: number for number, source in enumerate(self.settings.sources)}
        return sorted(self.rows, key=lambda row: (order[row.source], row.url))

    def claim(self, jobs: list[Job]) -> list[Job]:
        """The jobs whose URL no earlier job of this run has; non-web URLs end as `skipped` rows here."""
        kept = []
        for job in jobs:
            url = web_url(job.url)
            if url is None:
                self.record(Result(job.url, "skipped", reason="not an http(s) URL"), job)
                continue
            with self.lock:
                new = url not in self.claimed
                first = self.claimed.setdefault(url, job.source.name)
            if not new:
                self.log.info("%s: %s is fetched once, for %s", job.source.name, url, first)
                continue
            kept.append(Job(url, job.source, job.listing))
        return kept

    def fetch_all(self, jobs: list[Job], then: Callable[[Job, Result], None]) -> None:
        """Each host's jobs in turn in its own thread; hosts in parallel."""
        by_host: dict[str, list[Job]] = {}
        for job in jobs:
            by_host.setdefault(host_of(job.url), []).append(job)

        def one_host(host_jobs: list[Job]) -> None:
            for job in host_jobs:
                result = self.fetch(job)
                then(job, result)

        with ThreadPoolExecutor(max_workers=max(1, min(MAX_HOSTS_AT_ONCE, len(by_host)))) as pool:
            for done in [pool.submit(one_host, host_jobs) for host_jobs in by_host.values()]:
                done.result()

    def fetch(self, job: Job) -> Result:
        result = self.client.get(job.url, self.state.validators(job.url), job.source.name, job.source.municipality,
                                 self.state.last_body(job.url))
        self.record(result, job)
        return result

    def record(self, result: Result, job: Job) -> None:
        if result.outcome in ("fetched", "not_modified"):
            self.state.remember(job.url, result.header("ETag"), result.header("Last-Modified"))
        if result.outcome == "fetched":
            self.state.remember_body(job.url, result.exchange.digest, warc_date(result.exchange.fetched_at))
        elif result.outcome == "failed":
            self.log.warning("%s: %s failed: %s", job.source.name, job.url, result.reason)
        row = FetchRow(url=job.url, source=job.source.name, status=result.status, outcome=result.outcome,
                       reason=result.reason, fetched_at=result.fetched_at, bytes=result.n_bytes, run_id=self.run_id)
        with self.lock:
            self.rows.append(row)

    def read_listing(self, job: Job, result: Result) -> None:
        """A feed's or sitemap's pages (and a sitemap index's sitemaps, read in turn); a 304 gives last time's."""
        source = job.source
        if result.outcome == "not_modified":
            pages = self.state.links(job.url) or []
        elif result.outcome == "fetched":
            text = decoded_body(result.exchange, LISTING_LIMIT).decode("utf-8", errors="replace")
            pages = feed_links(job.url, text) if source.kind == "feed" else self.sitemap_pages(job, text)
            self.state.remember(job.url, None, None, pages)
        else:
            return
        if source.include is not None:
            pages = [url for url in pages if source.include.search(url)]
        self.links.setdefault(source.name, []).extend(pages)
        self.log.info("%s: %s lists %d pages", source.name, job.url, len(pages))

    def sitemap_pages(self, job: Job, text: str) -> list[str]:
        """The pages of a sitemap, following an index to its sitemaps (each one URL of this run)."""
        found = sitemap_links(job.url, text)
        pages = list(found.pages)
        pending = list(found.sitemaps)
        read = 0
        while pending and read < MAX_SITEMAPS_PER_SOURCE:
            for child in self.claim([Job(pending.pop(0), job.source, True)]):
                read += 1
                result = self.fetch(child)
                if result.outcome == "not_modified":
                    pages.extend(self.state.links(child.url) or [])
                elif result.outcome == "fetched":
                    text = decoded_body(result.exchange, LISTING_LIMIT).decode("utf-8", errors="replace")
                    more = sitemap_links(child.url, text)
                    self.state.remember(child.url, None, None, more.pages)
                    pages.extend(more.pages)
                    pending.extend(more.sitemaps)
        return list(dict.fromkeys(pages))


