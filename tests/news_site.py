"""A municipality's news site on 127.0.0.1 for the fetch tests: a real HTTP server in a thread.

Routes are plain data (`Page`) or functions; every request is logged with its
arrival and end times and headers, so tests can check the user agent,
conditional headers and the spacing of requests per host.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LAST_MODIFIED = formatdate(1_767_225_600, usegmt=True)  # 2026-01-01


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address) -> None:
        pass  # a client that hangs up early (oversized, timeout tests) is expected here


@dataclass
class Page:
    body: bytes
    content_type: str = "text/html; charset=utf-8"
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    validators: bool = True  # send ETag and Last-Modified, answer 304 to a matching conditional request
    length: bool = True  # send Content-Length; without it the body ends when the connection closes


@dataclass
class Request:
    path: str
    headers: dict[str, str]
    started: float  # time.monotonic() on arrival
    ended: float = 0.0


class NewsSite:
    """`with NewsSite(routes) as site:` serves routes at site.url(path) until the block ends."""

    def __init__(self, routes: dict[str, Page | Callable[[Request], Page]]):
        self.routes = routes
        self.log: list[Request] = []
        self.lock = threading.Lock()
        self.in_flight = 0
        self.most_in_flight = 0
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                request = Request(self.path, {k.lower(): v for k, v in self.headers.items()}, time.monotonic())
                with site.lock:
                    site.log.append(request)
                    site.in_flight += 1
                    site.most_in_flight = max(site.most_in_flight, site.in_flight)
                try:
                    site.answer(self, request)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test)
                finally:
                    with site.lock:
                        site.in_flight -= 1
                    request.ended = time.monotonic()

            def log_message(self, *args) -> None:
                pass

        self.server = _QuietServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> NewsSite:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def url(self, path: str) -> str:
        return self.origin + path

    def requests(self, path: str) -> list[Request]:
        return [r for r in self.log if r.path == path]

    def answer(self, handler: BaseHTTPRequestHandler, request: Request) -> None:
        route = self.routes.get(request.path.split("?")[0])
        page = route(request) if callable(route) else route or Page(b"<h1>Sidan finns inte</h1>", status=404)
        headers = dict(page.headers)
        if page.validators and page.status == 200:
            etag = '"' + hashlib.sha256(page.body).hexdigest()[:16] + '"'
            headers.update({"ETag": etag, "Last-Modified": LAST_MODIFIED})
            if request.headers.get("if-none-match") == etag:
                handler.send_response(304)
                handler.send_header("ETag", etag)
                handler.send_header("Content-Length", "0")
                handler.end_headers()
                return
        handler.send_response(page.status)
        handler.send_header("Content-Type", page.content_type)
        if page.length:
            handler.send_header("Content-Length", str(len(page.body)))
        else:
            handler.send_header("Connection", "close")
            handler.close_connection = True
        for name, value in headers.items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(page.body)


def article(title: str, body: str, published: str) -> Page:
    """A municipal news page with the chrome real ones have: skip link, menu, cookie banner, footer."""
    html = f"""<!DOCTYPE html>
<html lang="sv"><head><meta charset="utf-8"><title>{title} - Exempels kommun</title>
<meta property="article:published_time" content="{published}"></head>
<body>
<a href="#main">Hoppa till huvudinnehållet</a>
<div class="cookie-banner"><p>Vi använder kakor för att förbättra webbplatsen.</p><button>Godkänn kakor</button></div>
<nav><ul><li><a href="/">Start</a></li><li><a href="/nyheter/">Nyheter</a></li>
<li><a href="/om-kommunen/">Kommun och politik</a></li><li><a href="/kontakt/">Kontakta oss</a></li></ul></nav>
<main id="main"><article>
<h1>{title}</h1>
<p class="date">Publicerad {published}</p>
{"".join(f"<p>{paragraph}</p>" for paragraph in body.split(chr(10)) if paragraph.strip())}
<p>Dela sidan</p>
</article></main>
<footer><p>Exempels kommun, Storgatan 1, 123 45 Exempelstad. Telefon 0123-45 67 89.</p>
<p><a href="/tillganglighet/">Tillgänglighetsredogörelse</a> <a href="/kakor/">Om kakor</a></p></footer>
</body></html>"""
    return Page(html.encode("utf-8"))


def rss(site: NewsSite, paths: list[str]) -> Page:
    items = "".join(f"<item><title>Nyhet</title><link>{site.url(p)}</link><guid>{site.url(p)}</guid></item>"
                    for p in paths)
    body = (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Nyheter</title>'
            f"<link>{site.url('/nyheter/')}</link><description>Nyheter</description>{items}</channel></rss>")
    return Page(body.encode(), "application/rss+xml; charset=utf-8")


def atom(site: NewsSite, paths: list[str]) -> Page:
    entries = "".join(f'<entry><title>Nyhet</title><id>{site.url(p)}</id><link rel="alternate" type="text/html" '
                      f'href="{site.url(p)}"/><updated>2026-01-01T00:00:00Z</updated></entry>' for p in paths)
    body = (f'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>Nyheter</title>'
            f'<link rel="self" href="{site.url("/atom.xml")}"/><link href="{site.url("/")}"/>'
            f"<id>{site.url('/')}</id><updated>2026-01-01T00:00:00Z</updated>{entries}</feed>")
    return Page(body.encode(), "application/atom+xml")


def sitemap(site: NewsSite, paths: list[str], index: bool = False) -> Page:
    tag, inner = ("sitemapindex", "sitemap") if index else ("urlset", "url")
    entries = "".join(f"<{inner}><loc>{site.url(p)}</loc></{inner}>" for p in paths)
    body = (f'<?xml version="1.0" encoding="UTF-8"?><{tag} xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            f"{entries}</{tag}>")
    return Page(body.encode(), "application/xml")


def robots(text: str) -> Page:
    return Page(text.encode(), "text/plain", validators=False)


# --- the municipality the tests fetch -------------------------------------------------------------
TEXTS = {
    "/nyheter/dialogmote": ("Dialogmöte om nya skolan i Exempelby", "2026-03-12",
                            "Kommunen bjuder in alla invånare till ett dialogmöte om den nya skolan i Exempelby.\n"
                            "Under kvällen presenterar förvaltningen förslaget och svarar på frågor från boende.\n"
                            "Mötet hålls i kommunhuset den 24 mars klockan 18 och är öppet för alla."),
    "/nyheter/budget": ("Medborgarbudget för ungdomar", "2026-02-03",
                        "Ungdomar mellan 13 och 19 år kan nu lämna förslag till kommunens medborgarbudget.\n"
                        "Förslagen röstas fram av ungdomarna själva och de vinnande genomförs under sommaren.\n"
                        "Fritidsgårdarna hjälper till med att skriva förslagen."),
    "/nyheter/cykelvag": ("Ny cykelväg mellan centrum och stationen", "2026-01-20",
                          "Arbetet med den nya cykelvägen mellan centrum och stationen börjar i april.\n"
                          "Cykelvägen blir tre kilometer lång och får belysning hela vägen.\n"
                          "Under byggtiden leds trafiken om via Storgatan."),
    "/nyheter/bibliotek": ("Biblioteket får längre öppettider", "2026-01-15",
                           "Från och med februari har huvudbiblioteket öppet till klockan 20 på vardagar.\n"
                           "Kommunfullmäktige beslutade om de längre öppettiderna i december.\n"
                           "Biblioteket ordnar också läxhjälp för elever på tisdagar och torsdagar."),
    "/om-kommunen/organisation": ("Kommunens organisation", "2025-06-01",
                                  "Kommunen har sex förvaltningar som leds av en kommundirektör.\n"
                                  "Här beskrivs hur nämnderna och förvaltningarna arbetar tillsammans."),
    "/overbelastad": ("Vattenavstängning i Norrby", "2026-03-01",
                      "På onsdag stängs vattnet av i Norrby mellan klockan 9 och 12 på grund av ledningsarbete.\n"
                      "Boende uppmanas att tappa upp vatten i förväg. Kommunen ställer ut en vattentank vid skolan."),
}
DELAY = 0.2
RETRY_AFTER = 1
OVERSIZED = 300_000


def municipal_routes(site: NewsSite) -> dict:
    """Feeds (RSS and Atom), a sitemap index, pages, and every kind of trouble a real site has."""
    routes: dict = {path: article(title, body, date) for path, (title, date, body) in TEXTS.items()}

    def overloaded(request: Request) -> Page:  # 503 with Retry-After the first time only
        if len(site.requests(request.path)) == 1:
            return Page(b"<h1>Tillf\xc3\xa4lligt otillg\xc3\xa4nglig</h1>", status=503,
                        headers={"Retry-After": str(RETRY_AFTER)}, validators=False)
        return routes_page("/overbelastad")

    def slow(request: Request) -> Page:
        time.sleep(1.5)
        return routes_page("/nyheter/budget")

    def routes_page(path: str) -> Page:
        title, date, body = TEXTS[path]
        return article(title, body, date)

    routes.update({
        "/robots.txt": robots("User-agent: *\nDisallow: /privat/\n"),
        "/rss.xml": rss(site, ["/nyheter/dialogmote", "/nyheter/budget"]),
        "/atom.xml": atom(site, ["/nyheter/cykelvag", "/nyheter/dialogmote"]),
        "/sitemap.xml": sitemap(site, ["/sitemap-nyheter.xml"], index=True),
        "/sitemap-nyheter.xml": sitemap(site, ["/nyheter/bibliotek", "/om-kommunen/organisation"]),
        "/overbelastad": overloaded,
        "/langsam": slow,
        "/stor": Page(b"<html><body>" + b"<p>Stor sida.</p>" * (OVERSIZED // 16) + b"</body></html>"),
        "/loop-a": Page(b"", status=302, headers={"Location": "/loop-b"}, validators=False),
        "/loop-b": Page(b"", status=302, headers={"Location": "/loop-a"}, validators=False),
        "/privat/intern": article("Intern sida", "Ska inte hämtas.", "2026-01-01"),
    })
    return routes


USER_AGENT = "kommunnlp-test/0.2 (+mailto:analys@example.org)"


def write_sources(path, site: NewsSite) -> str:
    """The sources file for the municipal site (delays kept small so the tests stay fast)."""
    path.write_text(f"""user_agent: "{USER_AGENT}"
delay_seconds: {DELAY}
timeout_seconds: 1
max_bytes: 200000
retries: 2
backoff_seconds: 0.2
sources:
  - name: exempel-rss
    municipality: Exempel
    feed: {site.url("/rss.xml")}
  - name: exempel-atom
    feed: {site.url("/atom.xml")}
  - name: exempel-sitemap
    sitemap: {site.url("/sitemap.xml")}
    include: /nyheter/
  - name: exempel-sidor
    urls: [{site.url("/privat/intern")}, {site.url("/saknas")}, {site.url("/overbelastad")},
           {site.url("/langsam")}, {site.url("/stor")}, {site.url("/loop-a")}, "mailto:info@example.org",
           {site.url("/nyheter/budget")}]
""", encoding="utf-8")
    return str(path)
