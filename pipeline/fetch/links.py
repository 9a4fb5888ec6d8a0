"""The pages a feed (RSS 2.0, Atom, JSON Feed) or a sitemap (XML, text, index) lists, with trafilatura's parsers.

trafilatura's link filters are left out on purpose: the analyst chose the
feed, so every page it lists is wanted (the filters also drop hosts with a
port, such as a test server's); only non-web links are dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urldefrag, urljoin, urlsplit

from trafilatura.feeds import FeedParameters, find_links
from trafilatura.sitemaps import SitemapObject

_SITEMAP_INDEX = re.compile(r"<(?:\w+:)?sitemapindex\b")
_FIRST_ENTRY = re.compile(r"<(?:\w+:)?(?:item|entry)\b")


def web_url(url: str, base: str | None = None) -> str | None:
    """The absolute http(s) URL without its fragment, or None for anything else (mailto:, javascript: …)."""
    absolute = urldefrag(urljoin(base, url.strip()) if base else url.strip()).url
    parts = urlsplit(absolute)
    return absolute if parts.scheme in ("http", "https") and parts.netloc else None


def unique(urls: list[str]) -> list[str]:
    return list(dict.fromkeys(urls))


def feed_links(feed_url: str, text: str) -> list[str]:
    """Every entry's link, in feed order; the feed's own links (before its first entry: home page, self) are not."""
    parts = urlsplit(feed_url)
    params = FeedParameters(f"{parts.scheme}://{parts.netloc}", parts.netloc, feed_url)
    text = text.strip()
    first_entry = _FIRST_ENTRY.search(text)
    own = set(find_links(text[: first_entry.start()], params)) if first_entry else set()
    found = (web_url(link, feed_url) for link in find_links(text, params) if link not in own)
    return unique([link for link in found if link and link != feed_url])


@dataclass
class SitemapLinks:
    pages: list[str] = field(default_factory=list)
    sitemaps: list[str] = field(default_factory=list)  # of a sitemap index: the sitemaps to read next


class _Sitemap(SitemapObject):
    """trafilatura's sitemap reader, keeping every location: an index's are sitemaps, a urlset's pages."""

    def handle_link(self, link: str) -> None:
        url = web_url(link, self.current_url)
        if url and url != self.current_url:
            (self.sitemap_urls if _SITEMAP_INDEX.search(self.content[:2000]) else self.urls).append(url)


def sitemap_links(sitemap_url: str, text: str) -> SitemapLinks:
    parts = urlsplit(sitemap_url)
    reader = _Sitemap(f"{parts.scheme}://{parts.netloc}", parts.netloc, [])
    reader.current_url = sitemap_url
    reader.content = text.strip()
    reader.process()
    return SitemapLinks(unique(reader.urls), unique(reader.sitemap_urls))
