"""Polite HTTP: robots.txt, one request at a time per host `delay_seconds` apart, retries, limits, redirects.

Every request goes through its host's gate, robots.txt included, and every
complete response is archived (`archive.WarcArchive`). httpx makes the
requests; redirects are followed here, hop by hop, so that each hop is polite,
obeys robots.txt and is archived, and a loop is recognised as one.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import threading
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from urllib.parse import urldefrag, urljoin, urlsplit
from urllib.robotparser import RobotFileParser

import httpx

from pipeline.fetch.archive import Exchange, WarcArchive
from pipeline.fetch.sources import Settings

MAX_REDIRECTS = 10
MAX_ROBOTS_REDIRECTS = 5  # RFC 9309
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
OUTCOMES = ("fetched", "not_modified", "failed", "disallowed", "skipped")


@dataclass(frozen=True)
class Result:
    """What became of one URL: an outcome of OUTCOMES, and the final response when there was one."""

    url: str
    outcome: str
    status: int | None = None
    reason: str | None = None
    fetched_at: dt.datetime | None = None
    exchange: Exchange | None = None  # the final response (after redirects)

    @property
    def n_bytes(self) -> int | None:
        return len(self.exchange.body) if self.exchange is not None else None

    def header(self, name: str) -> str | None:
        if self.exchange is None:
            return None
        return next((v for k, v in self.exchange.response_headers if k.lower() == name.lower()), None)


class Failure(Exception):
    """A request that gave no usable response: status (when one came) and reason."""

    def __init__(self, status: int | None, reason: str):
        super().__init__(reason)
        self.status = status
        self.reason = reason


class HostGate:
    """One request at a time to a host, the next starting `delay` after the previous one ended."""

    def __init__(self, delay: float):
        self.delay = delay
        self.lock = threading.Lock()
        self.free_at = 0.0  # time.monotonic() before which no request may start

    @contextmanager
    def turn(self) -> Iterator[None]:
        with self.lock:
            pause = self.free_at - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            try:
                yield
            finally:
                self.free_at = max(self.free_at, time.monotonic() + self.delay)

    def hold_off(self, seconds: float) -> None:
        """No request before `seconds` from now (a server's Retry-After, or the backoff)."""
        self.free_at = max(self.free_at, time.monotonic() + seconds)


class PoliteClient:
    """Thread-safe: threads fetching different hosts run in parallel, the same host in turn."""

    def __init__(self, settings: Settings, archive: WarcArchive):
        self.settings = settings
        self.archive = archive
        self.http = httpx.Client(
            timeout=httpx.Timeout(settings.timeout_seconds), follow_redirects=False,
            headers={"User-Agent": settings.user_agent, "Accept-Encoding": "gzip, deflate"},
        )
        self.lock = threading.Lock()
        self.gates: dict[str, HostGate] = {}
        self.robots: dict[str, RobotFileParser] = {}
        self.robots_locks: dict[str, threading.Lock] = {}
        self.robots_trouble: dict[str, str] = {}  # origin → why its robots.txt allows nothing (unreachable …)

    def close(self) -> None:
        self.http.close()

    # --- one URL, redirects followed ---------------------------------------------------------
    def get(self, url: str, conditional: dict[str, str] | None = None, source: str | None = None,
            municipality: str | None = None, before: tuple[str, str] | None = None) -> Result:
        """Fetch a URL politely; never raises for what the network or the server does.

        before: (payload digest, WARC date) of the last fetch, so that the same body again is
        `not_modified` too when the server sends no validators to make a 304 of it.
        """
        chain = [url]
        current = url
        while True:
            if not self.allowed(current):
                why = self.robots_trouble.get(_origin(current))
                return Result(url, "disallowed", reason=f"robots.txt of {host_of(current)} "
                                                        + (f"{why}: nothing may be fetched" if why
                                                           else f"disallows {current}"))
            try:
                exchange, attempts = self._with_retries(current, conditional or {}, source, municipality, before)
            except Failure as failure:
                return Result(url, "failed", failure.status, failure.reason)
            status = exchange.status
            if status in REDIRECT_STATUSES:
                location = next((v for k, v in exchange.response_headers if k.lower() == "location"), None)
                if not location:
                    return _failed(url, exchange, f"HTTP {status} without a Location header")
                following = urldefrag(urljoin(current, location.strip())).url
                if following in chain:
                    return _failed(url, exchange, "redirect loop: " + " → ".join([*chain, following]))
                if len(chain) > MAX_REDIRECTS:
                    return _failed(url, exchange, f"more than {MAX_REDIRECTS} redirects")
                chain.append(following)
                current = following
                continue
            if status == 304:
                return Result(url, "not_modified", status, None, exchange.fetched_at, exchange)
            if exchange.revisit_of:
                return Result(url, "not_modified", status, f"the same content as fetched at {exchange.revisit_of}",
                              exchange.fetched_at, exchange)
            if 200 <= status < 300:
                moved = f"redirected to {current}" if current != url else None
                return Result(url, "fetched", status, moved, exchange.fetched_at, exchange)
            tries = f" after {attempts} attempts" if attempts > 1 else ""
            return _failed(url, exchange, f"HTTP {status} {exchange.reason}".strip() + tries)

    def _with_retries(self, url: str, headers: dict[str, str], source: str | None, municipality: str | None,
                      before: tuple[str, str] | None = None) -> tuple[Exchange, int]:
        """One exchange, repeated after a 5xx or 429 (Retry-After, else doubling backoff); (last, attempts)."""
        settings = self.settings
        for attempt in range(settings.retries + 1):
            exchange = self.exchange(url, headers, source, municipality, before)
            if exchange.status not in RETRY_STATUSES or attempt == settings.retries:
                return exchange, attempt + 1
            wait = retry_after(exchange)
            if wait is None:
                wait = settings.backoff_seconds * 2**attempt
            elif wait > settings.max_retry_wait_seconds:
                raise Failure(exchange.status, f"HTTP {exchange.status} with Retry-After {wait:g} s, longer than "
                                               f"max_retry_wait_seconds ({settings.max_retry_wait_seconds:g} s)")
            self.gate(url).hold_off(wait)
        raise AssertionError("unreachable")

    # --- one request --------------------------------------------------------------------------
    def exchange(self, url: str, headers: dict[str, str] | None = None, source: str | None = None,
                 municipality: str | None = None, before: tuple[str, str] | None = None) -> Exchange:
        """One GET in the host's turn, its body read within max_bytes and timeout_seconds, archived
        (a 200 whose body is `before`'s as a revisit record)."""
        settings = self.settings
        with self.gate(url).turn():
            started = time.monotonic()
            fetched_at = dt.datetime.now(dt.UTC)
            try:
                with self.http.stream("GET", url, headers=headers or {}) as response:
                    body = _read_body(response, started, settings.max_bytes, settings.timeout_seconds)
                    exchange = Exchange(
                        url=url, method="GET", request_headers=_text_pairs(response.request.headers.raw),
                        http_version=response.http_version, status=response.status_code,
                        reason=response.reason_phrase, response_headers=_text_pairs(response.headers.raw),
                        body=body, fetched_at=fetched_at, source=source, municipality=municipality,
                    )
            except httpx.TimeoutException:
                raise Failure(None, f"timed out after {settings.timeout_seconds:g} s") from None
            except httpx.HTTPError as error:
                raise Failure(None, f"request failed: {error or type(error).__name__}") from None
        if before and exchange.status == 200 and exchange.digest == before[0]:
            exchange = replace(exchange, revisit_of=before[1])
        self.archive.write(exchange)
        return exchange

    def gate(self, url: str) -> HostGate:
        host = host_of(url)
        with self.lock:
            if host not in self.gates:
                self.gates[host] = HostGate(self.settings.delay_seconds)
            return self.gates[host]

    # --- robots.txt ---------------------------------------------------------------------------
    def allowed(self, url: str) -> bool:
        return self.robots_of(url).can_fetch(self.settings.user_agent, url)

    def robots_of(self, url: str) -> RobotFileParser:
        """The host's robots.txt, fetched once per run in the host's turn like any request."""
        origin = _origin(url)
        with self.lock:
            lock = self.robots_locks.setdefault(origin, threading.Lock())
        with lock:
            if origin not in self.robots:
                parser = self._fetch_robots(origin)
                delay = parser.crawl_delay(self.settings.user_agent)
                if delay:
                    gate = self.gate(url)
                    gate.delay = max(gate.delay, float(delay))
                self.robots[origin] = parser
            return self.robots[origin]

    def _fetch_robots(self, origin: str) -> RobotFileParser:
        """RFC 9309: 4xx means no rules, unreachable (5xx, network) means nothing allowed; 401/403 as
        urllib.robotparser reads them (nothing allowed)."""
        url = f"{origin}/robots.txt"
        parser = RobotFileParser(url)
        try:
            for _ in range(MAX_ROBOTS_REDIRECTS + 1):
                exchange, _attempts = self._with_retries(url, {}, None, None)
                location = next((v for k, v in exchange.response_headers if k.lower() == "location"), None)
                if exchange.status in REDIRECT_STATUSES and location:
                    url = urljoin(url, location)
                    continue
                break
        except Failure as failure:
            parser.disallow_all = True
            self.robots_trouble[origin] = f"could not be read ({failure.reason})"
            return parser
        status = exchange.status
        if status == 200:
            parser.parse(decoded_body(exchange, 500_000).decode("utf-8", errors="replace").splitlines())
        elif status in (401, 403) or status >= 500 or status in REDIRECT_STATUSES:
            parser.disallow_all = True
            self.robots_trouble[origin] = f"answered HTTP {status}"
        else:
            parser.allow_all = True
        return parser


def _read_body(response: httpx.Response, started: float, max_bytes: int, timeout: float) -> bytes:
    """The body as received (content-encoded), or a Failure past max_bytes or the time limit."""
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise Failure(response.status_code, f"response of {int(declared)} bytes is over max_bytes ({max_bytes})")
    body = bytearray()
    for chunk in response.iter_raw():
        body += chunk
        if len(body) > max_bytes:
            raise Failure(response.status_code, f"response is over max_bytes ({max_bytes})")
        if time.monotonic() - started > timeout:
            raise Failure(response.status_code, f"timed out after {timeout:g} s (response not complete)")
    return bytes(body)


def decoded_body(exchange: Exchange, limit: int) -> bytes:
    """The body with its Content-Encoding (gzip, deflate) undone, at most `limit` bytes."""
    encoding = next((v for k, v in exchange.response_headers if k.lower() == "content-encoding"), "").lower()
    if encoding not in ("gzip", "x-gzip", "deflate"):
        return exchange.body[:limit]
    for wbits in ((zlib.MAX_WBITS | 16,) if "gzip" in encoding else (zlib.MAX_WBITS, -zlib.MAX_WBITS)):
        try:
            return zlib.decompressobj(wbits).decompress(exchange.body, limit)
        except zlib.error:
            continue
    return b""


def retry_after(exchange: Exchange) -> float | None:
    """Retry-After in seconds (a number or an HTTP date), or None when absent or unreadable."""
    value = next((v for k, v in exchange.response_headers if k.lower() == "retry-after"), "").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, (when - dt.datetime.now(dt.UTC)).total_seconds())


def _failed(url: str, exchange: Exchange, reason: str) -> Result:
    return Result(url, "failed", exchange.status, reason, exchange.fetched_at, exchange)


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def host_of(url: str) -> str:
    return urlsplit(url).netloc.lower()


def _text_pairs(raw: list[tuple[bytes, bytes]]) -> list[tuple[str, str]]:
    return [(k.decode("latin-1"), v.decode("latin-1")) for k, v in raw]
