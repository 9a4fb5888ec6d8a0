"""Fetching the news where it is published: feeds, sitemaps and pages, politely, archived as WARC.

    from pipeline.fetch import fetch_sources
    report = fetch_sources("sources.yaml", "raw", run_id)   # WARC files under raw/, one row per URL

`sources.py` reads the sources file, `client.py` makes the requests (robots.txt,
one request at a time per host, retries, size and time limits, redirects),
`archive.py` writes them as WARC, `state.py` keeps each URL's validators for
conditional requests, `links.py` finds the pages a feed or sitemap lists and
`crawl.py` puts these together. Reading WARC files is ingestion's
(`pipeline/ingest/warc.py`). No Prefect here: the flows call `fetch_sources`.
"""

from __future__ import annotations

from pipeline.fetch.crawl import FetchReport, fetch_sources

__all__ = ["FetchReport", "fetch_sources"]
