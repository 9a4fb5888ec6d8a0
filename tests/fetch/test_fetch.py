"""The fetcher against a real HTTP server on 127.0.0.1: feeds, sitemaps, pages, robots.txt, failures, politeness.

One municipal site (tests/news_site.py) is fetched twice; each test checks one
behaviour of those two runs, from the rows the fetcher returns, the server's
request log and the WARC files written.
"""

from __future__ import annotations

import itertools
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from news_site import DELAY, RETRY_AFTER, USER_AGENT, NewsSite, Page, article, municipal_routes, robots, write_sources
from warcio.archiveiterator import ArchiveIterator

from pipeline.fetch import fetch_sources
from pipeline.fetch.sources import SourcesError, load_sources
from pipeline.ingest.discover import discover

SLACK = 0.02  # the server notes arrival a little after the client sends


@pytest.fixture(scope="module")
def crawl(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fetch")
    raw = folder / "raw"
    with NewsSite({}) as site:
        site.routes.update(municipal_routes(site))
        sources = write_sources(folder / "sources.yaml", site)
        first = fetch_sources(sources, raw, "20260101T060000Z-aaaaaa")
        n_first = len(site.log)
        second = fetch_sources(sources, raw, "20260102T060000Z-bbbbbb")
    return SimpleNamespace(site=site, raw=raw, first=first, second=second, first_log=site.log[:n_first],
                           second_log=site.log[n_first:])


def rows(report, site) -> dict[str, tuple]:
    return {row.url.replace(site.origin, ""): (row.outcome, row.status, row.source) for row in report.rows}


def records(path: Path) -> list[tuple[str, str, str | None]]:
    with open(path, "rb") as handle:
        return [(r.rec_type, r.rec_headers.get_header("WARC-Target-URI"),
                 r.http_headers.get_statuscode() if r.http_headers and r.rec_type == "response" else None)
                for r in ArchiveIterator(handle)]


def test_feeds_rss_and_atom_a_sitemap_with_include_and_pages_are_fetched(crawl):
    found = rows(crawl.first, crawl.site)
    assert found["/rss.xml"] == ("fetched", 200, "exempel-rss")
    assert found["/atom.xml"] == ("fetched", 200, "exempel-atom")
    assert found["/sitemap.xml"] == ("fetched", 200, "exempel-sitemap")  # an index …
    assert found["/sitemap-nyheter.xml"] == ("fetched", 200, "exempel-sitemap")  # … and the sitemap it lists
    assert found["/nyheter/dialogmote"] == ("fetched", 200, "exempel-rss")  # RSS
    assert found["/nyheter/cykelvag"] == ("fetched", 200, "exempel-atom")  # Atom
    assert found["/nyheter/bibliotek"] == ("fetched", 200, "exempel-sitemap")  # the sitemap, matching include
    assert "/om-kommunen/organisation" not in found  # the sitemap, not matching include
    assert not crawl.site.requests("/om-kommunen/organisation")
    assert found["/overbelastad"][0] == "fetched"  # listed as a page


def test_a_url_listed_by_two_sources_is_fetched_once_with_one_row(crawl):
    for path in ("/nyheter/dialogmote", "/nyheter/budget"):  # RSS and Atom; RSS and the page list
        assert len([r for r in crawl.first_log if r.path == path]) == 1
        assert [r.source for r in crawl.first.rows if r.url.endswith(path)] == ["exempel-rss"]
    urls = [row.url for row in crawl.first.rows]
    assert len(urls) == len(set(urls))


def test_robots_txt_is_obeyed(crawl):
    found = rows(crawl.first, crawl.site)
    assert found["/privat/intern"] == ("disallowed", None, "exempel-sidor")
    assert not crawl.site.requests("/privat/intern")
    row = next(r for r in crawl.first.rows if r.outcome == "disallowed")
    assert "robots.txt" in row.reason
    assert [r.path for r in crawl.first_log].count("/robots.txt") == 1  # once per host and run


def test_failures_are_rows_with_their_reason_and_the_run_goes_on(crawl):
    by_path = {row.url.replace(crawl.site.origin, ""): row for row in crawl.first.rows}
    assert (by_path["/saknas"].outcome, by_path["/saknas"].status) == ("failed", 404)
    assert "404" in by_path["/saknas"].reason
    assert (by_path["/langsam"].outcome, by_path["/langsam"].status) == ("failed", None)
    assert "timed out" in by_path["/langsam"].reason
    assert by_path["/stor"].outcome == "failed" and "max_bytes" in by_path["/stor"].reason
    assert by_path["/loop-a"].outcome == "failed" and "redirect loop" in by_path["/loop-a"].reason
    assert by_path["mailto:info@example.org"].outcome == "skipped"
    assert all(row.reason for row in crawl.first.rows if row.outcome in ("failed", "disallowed", "skipped"))
    assert crawl.first.counts == {"fetched": 9, "not_modified": 0, "failed": 4, "disallowed": 1, "skipped": 1}
    assert [f["url"] for f in crawl.first.as_dict()["failures"]] == [
        by_path[p].url for p in ("/langsam", "/loop-a", "/saknas", "/stor")]


def test_a_503_is_retried_after_its_retry_after(crawl):
    attempts = [r for r in crawl.first_log if r.path == "/overbelastad"]
    assert len(attempts) == 2
    assert attempts[1].started - attempts[0].ended >= RETRY_AFTER - SLACK
    row = next(r for r in crawl.first.rows if r.url.endswith("/overbelastad"))
    assert (row.outcome, row.status) == ("fetched", 200)


def test_the_user_agent_is_sent_on_every_request(crawl):
    assert crawl.first_log and crawl.second_log
    assert {r.headers.get("user-agent") for r in crawl.first_log + crawl.second_log} == {USER_AGENT}


def test_requests_to_the_host_are_delay_seconds_apart(crawl):
    for log in (crawl.first_log, crawl.second_log):
        starts = sorted(r.started for r in log)
        gaps = [later - earlier for earlier, later in itertools.pairwise(starts)]
        assert min(gaps) >= DELAY - SLACK, gaps
        # one at a time: each request arrives after the one before ended (the slow page's is cut off by the client)
        ordered = sorted(log, key=lambda r: r.started)
        for earlier, later in itertools.pairwise(ordered):
            if earlier.path != "/langsam":
                assert later.started >= earlier.ended + DELAY - SLACK


def test_the_second_run_asks_conditionally_and_gets_nothing_new(crawl):
    fetched_before = {r.path for r in crawl.first_log if r.path.startswith("/nyheter/")}
    for request in crawl.second_log:
        if request.path in fetched_before or request.path in ("/rss.xml", "/atom.xml", "/sitemap.xml"):
            assert request.headers.get("if-none-match") and request.headers.get("if-modified-since"), request.path
    assert crawl.second.counts["fetched"] == 0
    assert crawl.second.counts["not_modified"] == 8  # 3 listings and 5 pages
    second_archive = Path(crawl.second.archives[0])
    assert [s for kind, _, s in records(second_archive) if kind == "response" and s == "200"] == ["200"]  # robots
    # the pages of a feed that did not change are still asked for, conditionally
    assert any(r.path == "/nyheter/cykelvag" for r in crawl.second_log)


def test_responses_are_archived_as_warc_request_and_response_records(crawl):
    archives = [Path(p) for p in crawl.first.archives]
    assert [p.name for p in archives] == ["kommunnlp-20260101T060000Z-aaaaaa-00000.warc.gz"]
    assert archives[0].parent == crawl.raw
    found = records(archives[0])
    assert found[0][0] == "warcinfo"
    pages = {uri.replace(crawl.site.origin, "") for kind, uri, status in found
             if kind == "response" and status == "200"}
    assert {"/robots.txt", "/rss.xml", "/nyheter/dialogmote", "/nyheter/bibliotek", "/overbelastad"} <= pages
    requests = [uri for kind, uri, _ in found if kind == "request"]
    assert len(requests) == len([kind for kind, _, _ in found if kind == "response"])
    # the fetcher's own files are not input
    assert {d.source_path for d in discover(crawl.raw)} == {p.name for p in crawl.raw.glob("*.warc.gz")}


def test_different_hosts_are_fetched_in_parallel_each_one_request_at_a_time(tmp_path):
    pages = [f"/nyheter/{n}" for n in range(4)]
    routes = {"/robots.txt": robots("User-agent: *\nAllow: /\n"),
              **{p: article(f"Nyhet {p}", "Kommunen informerar om nyheten.", "2026-01-01") for p in pages}}
    with NewsSite(dict(routes)) as one, NewsSite(dict(routes)) as two:
        sources = tmp_path / "sources.yaml"
        urls = ", ".join(site.url(p) for site in (one, two) for p in pages)
        sources.write_text(f'user_agent: "{USER_AGENT}"\ndelay_seconds: 0.3\nsources:\n'
                           f"  - name: sidor\n    urls: [{urls}]\n")
        started = time.monotonic()
        report = fetch_sources(sources, tmp_path / "raw", "20260101T060000Z-cccccc")
        seconds = time.monotonic() - started
    assert report.counts["fetched"] == 8
    for site in (one, two):
        assert site.most_in_flight == 1
        ordered = sorted(site.log, key=lambda r: r.started)
        assert all(b.started >= a.ended + 0.3 - SLACK for a, b in itertools.pairwise(ordered))
    # both hosts were being fetched at the same time: five requests each, 0.3 s apart, took well under 10 × 0.3 s
    assert min(r.started for r in two.log) < max(r.started for r in one.log)
    assert seconds < 2.5


def test_a_killed_fetch_leaves_no_half_written_archive_behind(tmp_path):
    raw = tmp_path / "raw"
    partial = raw / ".kommunnlp-fetch" / "partial"
    partial.mkdir(parents=True)
    (partial / "kommunnlp-20260101T000000Z-dddddd-00000.warc.gz").write_bytes(b"\x1f\x8b half a record")
    with NewsSite({"/robots.txt": robots(""), "/a": article("A", "Text om kommunen.", "2026-01-01")}) as site:
        sources = tmp_path / "sources.yaml"
        sources.write_text(f'user_agent: "{USER_AGENT}"\ndelay_seconds: 0\nsources:\n'
                           f"  - name: a\n    urls: [{site.url('/a')}]\n")
        report = fetch_sources(sources, raw, "20260102T000000Z-eeeeee")
    assert report.notes == ["discarded the unfinished archive kommunnlp-20260101T000000Z-dddddd-00000.warc.gz "
                            "of a killed fetch"]
    assert not list(partial.iterdir())
    assert [p.name for p in raw.glob("*.warc.gz")] == ["kommunnlp-20260102T000000Z-eeeeee-00000.warc.gz"]


@pytest.mark.parametrize(("text", "message"), [
    ("sources: []\n", "user_agent is required"),
    ('user_agent: "x"\nsources: []\n', "at least one source"),
    ('user_agent: "x"\nsources:\n  - name: a\n    feed: http://a/\n    sitemap: http://a/s.xml\n', "exactly one of"),
    ('user_agent: "x"\nsources:\n  - name: a\n    urls: [http://a/]\n  - name: a\n    urls: [http://b/]\n',
     "unique"),
    ('user_agent: "x"\nsources:\n  - name: a\n    sitemap: http://a/s.xml\n    include: "("\n', "regular expression"),
    ('user_agent: "x"\ndelay_seconds: -1\nsources:\n  - name: a\n    urls: [http://a/]\n', "delay_seconds"),
    ('user_agent: "x"\nsources:\n  - name: a\n    urls: [http://a/]\n    rss: http://a/\n', "unknown keys"),
    ("user_agent: [\n", "not valid YAML"),
])
def test_a_broken_sources_file_is_refused_with_the_reason(tmp_path, text, message):
    path = tmp_path / "sources.yaml"
    path.write_text(text)
    with pytest.raises(SourcesError, match=message):
        load_sources(path)


def test_the_example_sources_file_is_valid():
    settings = load_sources(Path(__file__).resolve().parents[2] / "sources.example.yaml")
    assert settings.user_agent.startswith("kommunnlp/")
    assert {s.kind for s in settings.sources} == {"feed", "sitemap", "urls"}


def test_the_same_body_again_from_a_server_without_validators_is_not_modified_and_archived_once(tmp_path):
    page = article("Nyhet utan validerare", "Kommunen informerar om nyheten.", "2026-01-01")
    page.validators = False
    with NewsSite({"/robots.txt": robots(""), "/a": page}) as site:
        sources = tmp_path / "sources.yaml"
        sources.write_text(f'user_agent: "{USER_AGENT}"\ndelay_seconds: 0\nsources:\n'
                           f"  - name: a\n    urls: [{site.url('/a')}]\n")
        first = fetch_sources(sources, tmp_path / "raw", "20260101T000000Z-ffffff")
        second = fetch_sources(sources, tmp_path / "raw", "20260102T000000Z-gggggg")
    assert [(r.outcome, r.status) for r in first.rows] == [("fetched", 200)]
    assert [(r.outcome, r.status) for r in second.rows] == [("not_modified", 200)]
    assert "the same content as fetched at 2026" in second.rows[0].reason
    kinds = [kind for kind, uri, _ in records(Path(second.archives[0])) if uri and uri.endswith("/a")]
    assert sorted(kinds) == ["request", "revisit"]


def test_a_body_without_content_length_is_cut_off_at_max_bytes(tmp_path):
    with NewsSite({"/robots.txt": robots(""), "/utan-langd": Page(b"<p>stor</p>" * 50_000, length=False)}) as site:
        sources = tmp_path / "sources.yaml"
        sources.write_text(f'user_agent: "{USER_AGENT}"\ndelay_seconds: 0\nmax_bytes: 100000\nsources:\n'
                           f"  - name: a\n    urls: [{site.url('/utan-langd')}]\n")
        report = fetch_sources(sources, tmp_path / "raw", "20260101T000000Z-hhhhhh")
    assert [(r.outcome, r.status, r.reason) for r in report.rows] == [
        ("failed", 200, "response is over max_bytes (100000)")]
