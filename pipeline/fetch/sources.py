"""The sources file: where the news is published and how politely to fetch it (see sources.example.yaml)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from pipeline import UserError


class SourcesError(UserError, ValueError):
    """The sources file cannot be used; the message names the file and what is wrong."""


@dataclass(frozen=True)
class Source:
    """One entry of `sources`: a feed, a sitemap or a list of pages (exactly one of them)."""

    name: str
    municipality: str | None = None
    feed: str | None = None
    sitemap: str | None = None
    include: re.Pattern[str] | None = None  # a sitemap's page URLs must match it (re.search)
    urls: tuple[str, ...] = ()

    @property
    def kind(self) -> str:
        return "feed" if self.feed else "sitemap" if self.sitemap else "urls"


@dataclass(frozen=True)
class Settings:
    """The whole file: politeness settings and the sources."""

    user_agent: str
    delay_seconds: float = 2.0
    timeout_seconds: float = 20.0
    max_bytes: int = 5_000_000
    retries: int = 3  # further attempts after a 5xx or 429
    backoff_seconds: float = 2.0  # the first retry's wait without Retry-After; doubles each time
    max_retry_wait_seconds: float = 120.0  # a longer Retry-After is a failure, not a wait
    sources: tuple[Source, ...] = field(default_factory=tuple)


_NUMBERS = {"delay_seconds": float, "timeout_seconds": float, "max_bytes": int, "retries": int,
            "backoff_seconds": float, "max_retry_wait_seconds": float}
_SOURCE_KEYS = {"name", "municipality", "feed", "sitemap", "include", "urls"}


def load_sources(path: str | Path) -> Settings:
    """Read and check the sources file; every problem is a SourcesError naming the file."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise SourcesError(f"cannot read the sources file {path}: {error.strerror or error}") from None
    except yaml.YAMLError as error:
        raise SourcesError(f"{path}: not valid YAML: {str(error).splitlines()[0]}") from None
    try:
        return parse_settings(data)
    except SourcesError as error:
        raise SourcesError(f"{path}: {error}") from None


def parse_settings(data: Any) -> Settings:
    if not isinstance(data, dict):
        raise SourcesError("the file must be a mapping with user_agent and sources")
    unknown = set(data) - {"user_agent", "sources", *_NUMBERS}
    if unknown:
        raise SourcesError(f"unknown settings: {', '.join(sorted(unknown))}")
    user_agent = data.get("user_agent")
    if not isinstance(user_agent, str) or not user_agent.strip():
        raise SourcesError("user_agent is required: name the crawler and a contact, "
                           "e.g. \"kommunnlp/0.2 (+mailto:analys@example.org)\"")
    numbers = {}
    for key, kind in _NUMBERS.items():
        if key in data:
            value = data[key]
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                raise SourcesError(f"{key} must be a number ≥ 0, not {value!r}")
            numbers[key] = kind(value)
    entries = data.get("sources")
    if not isinstance(entries, list) or not entries:
        raise SourcesError("sources must be a list with at least one source")
    sources = tuple(_source(entry, number) for number, entry in enumerate(entries, 1))
    names = [s.name for s in sources]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise SourcesError(f"source names must be unique: {', '.join(repeated)}")
    return Settings(user_agent=user_agent.strip(), sources=sources, **numbers)


def _source(entry: Any, number: int) -> Source:
    if not isinstance(entry, dict):
        raise SourcesError(f"source {number} is not a mapping")
    name = entry.get("name")
    if not isinstance(name, str) or not name.strip():
        raise SourcesError(f"source {number} has no name")
    unknown = set(entry) - _SOURCE_KEYS
    if unknown:
        raise SourcesError(f"source {name}: unknown keys {', '.join(sorted(unknown))}")
    given = [key for key in ("feed", "sitemap", "urls") if entry.get(key)]
    if len(given) != 1:
        raise SourcesError(f"source {name}: give exactly one of feed, sitemap or urls")
    urls = entry.get("urls") or []
    if isinstance(urls, str) or not all(isinstance(u, str) for u in urls):
        raise SourcesError(f"source {name}: urls must be a list of URLs")
    for key in ("feed", "sitemap", "municipality"):
        if entry.get(key) is not None and not isinstance(entry[key], str):
            raise SourcesError(f"source {name}: {key} must be text")
    include = entry.get("include")
    if include is not None:
        if not entry.get("sitemap"):
            raise SourcesError(f"source {name}: include applies to a sitemap's URLs only")
        try:
            include = re.compile(str(include))
        except re.error as error:
            raise SourcesError(f"source {name}: include is not a regular expression: {error}") from None
    return Source(name=name.strip(), municipality=entry.get("municipality"), feed=entry.get("feed"),
                  sitemap=entry.get("sitemap"), include=include, urls=tuple(u.strip() for u in urls))
