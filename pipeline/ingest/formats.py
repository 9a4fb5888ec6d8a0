"""Input formats → (text, metadata): plain text, markdown with front matter, HTML, JSON Lines (and WARC)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from html import escape as html_escape
from pathlib import Path
from typing import Any

import frontmatter
import yaml
from lxml import html as lxml_html
from markdown_it import MarkdownIt

SUFFIX_FORMATS = {
    ".txt": "txt",
    ".text": "txt",
    ".md": "markdown",
    ".markdown": "markdown",
    ".html": "html",
    ".htm": "html",
    ".jsonl": "jsonl",
    ".warc": "warc",
    ".warc.gz": "warc",
}
# Files that hold many inputs, each its own `file#key` (JSONL: line number; WARC: record offset).
RECORD_FORMATS = frozenset({"jsonl", "warc"})


def format_of(path: Path) -> str | None:
    """The format a file's name gives: its last suffix, or its last two (`crawl.warc.gz`); None: unsupported."""
    double = "".join(path.suffixes[-2:]).lower()
    return SUFFIX_FORMATS.get(double) or SUFFIX_FORMATS.get(path.suffix.lower())


class ParseError(ValueError):
    """The file is text but not of its declared format; the message is the quarantine reason."""


@dataclass
class Parsed:
    text: str
    metadata: dict[str, Any] = field(default_factory=dict)


def parse_plain(text: str) -> Parsed:
    return Parsed(text)


# Front matter fields that hold the article's lead paragraph, in order of preference.
LEAD_KEYS = ("ingress-text", "ingress", "lead", "preamble", "excerpt", "description", "summary")


def parse_markdown(text: str) -> Parsed:
    """Front matter → metadata; markdown → text with one paragraph per block, link text kept, URLs dropped.

    The headline and the lead paragraph are article text even when the front
    matter holds them, so the text starts with them (once: not when the body
    repeats them). Other front matter (categories, tags, links) stays metadata.
    """
    try:
        post = frontmatter.loads(text)
    except (yaml.YAMLError, ValueError, TypeError) as error:
        raise ParseError(f"broken YAML front matter: {_first_line(error)}") from None
    if not isinstance(post.metadata, dict):
        raise ParseError("front matter is not a mapping")
    body = markdown_to_text(post.content)
    parts = []
    title = post.metadata.get("title")
    if isinstance(title, str) and title.strip() and not body.lstrip().startswith(title.strip()):
        parts.append(" ".join(title.split()))
    lead = next((post.metadata[k] for k in LEAD_KEYS if isinstance(post.metadata.get(k), str)), None)
    if lead and " ".join(lead.split())[:80] not in " ".join(body.split()):
        parts.append(" ".join(lead.split()))
    return Parsed("\n\n".join([*parts, body]), _jsonable(post.metadata))


_MD = MarkdownIt("commonmark").enable("table")


def markdown_to_text(source: str) -> str:
    blocks: list[str] = []
    current: list[str] = []
    for token in _MD.parse(source):
        if token.type == "inline":
            current.append(_inline_text(token.children or []))
        elif token.type in ("html_block", "code_block", "fence"):
            text = html_fragment_text(token.content) if token.type == "html_block" else token.content
            if text.strip():
                blocks.append(text.strip())
        elif token.type in ("paragraph_close", "heading_close", "th_close", "td_close") and current:
            blocks.append(" ".join(current).strip())
            current = []
    if current:
        blocks.append(" ".join(current).strip())
    return "\n\n".join(b for b in blocks if b)


def _inline_text(children: list) -> str:
    parts: list[str] = []
    for child in children:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append("\n")
        elif child.type == "image":
            parts.append(child.content)  # alt text
        elif child.type == "html_inline":
            parts.append(html_fragment_text(child.content))
    return "".join(parts)


def html_fragment_text(fragment: str) -> str:
    """Text of an HTML snippet inside markdown (figure captions and the like)."""
    if "<" not in fragment:
        return fragment
    try:
        root = lxml_html.fragment_fromstring(fragment, create_parent="div")
    except Exception:
        return ""
    for bad in root.xpath("//script|//style"):
        bad.drop_tree()
    return root.text_content()


def parse_html(source: str) -> Parsed:
    """Main text with trafilatura (menus, footers and boilerplate dropped), title from <title>/<h1>."""
    import trafilatura

    depth = nesting_depth(source)
    if depth > PARSER_DEPTH:
        source = flattened(source)
    metadata: dict[str, Any] = {}
    try:
        extracted = trafilatura.bare_extraction(
            source, include_comments=False, include_tables=True, with_metadata=True, favor_precision=False
        )
    except Exception as error:
        raise ParseError(f"HTML could not be parsed: {_first_line(error)}") from None
    text = ""
    if extracted is not None:
        data = extracted.as_dict() if hasattr(extracted, "as_dict") else dict(extracted)
        text = data.get("text") or ""
        for key in ("title", "date", "author", "sitename", "url"):
            if data.get(key):
                metadata[key] = data[key]
    if not text.strip():
        text = _html_body_text(source)
    if not text.strip() and depth > PARSER_DEPTH:
        raise ParseError(f"HTML nested {depth} elements deep (read flattened to {FLAT_DEPTH} levels) holds no text")
    if "title" not in metadata:
        title = _html_title(source)
        if title:
            metadata["title"] = title
    return Parsed(text, metadata)


# libxml2, under lxml and trafilatura, keeps 255 levels of elements (2,048 with huge_tree) and silently drops
# whatever is nested deeper: a page of 20,000 nested <div>s came out empty. Deeper pages are flattened first.
PARSER_DEPTH = 250
FLAT_DEPTH = 100
_TAG = re.compile(r"<(/?)([A-Za-z][\w:-]*)[^>]*?(/?)>")
_VOID = frozenset(["area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source",
                   "track", "wbr"])
_BLOCK = frozenset(["address", "article", "aside", "blockquote", "dd", "div", "dl", "dt", "figcaption", "figure",
                    "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "li", "main", "nav", "ol", "p",
                    "pre", "section", "table", "td", "th", "tr", "ul"])


def nesting_depth(source: str) -> int:
    """How deep elements nest, from the tags alone (fast: no tree is built; unclosed tags count as open)."""
    depth = deepest = 0
    for match in _TAG.finditer(source):
        closing, name, self_closing = match.groups()
        if name.lower() in _VOID or self_closing:
            continue
        depth = max(0, depth - 1) if closing else depth + 1
        deepest = max(deepest, depth)
    return deepest


def flattened(source: str) -> str:
    """The page with elements nested deeper than FLAT_DEPTH unwrapped: their text stays, a block element
    deeper down becomes a line break. An iterative parser (the standard library's), so depth costs nothing."""
    from html.parser import HTMLParser

    out: list[str] = []

    class Flattener(HTMLParser):
        depth = 0

        def handle_starttag(self, tag, attrs):
            if tag in _VOID:
                self.handle_startendtag(tag, attrs)
                return
            self.depth += 1
            if self.depth <= FLAT_DEPTH:
                out.append(self.get_starttag_text() or f"<{tag}>")
            elif tag in _BLOCK and out[-1:] != ["<br>"]:
                out.append("<br>")

        def handle_startendtag(self, tag, attrs):
            out.append(self.get_starttag_text() or f"<{tag}>")

        def handle_endtag(self, tag):
            if tag in _VOID:
                return
            if self.depth <= FLAT_DEPTH:
                out.append(f"</{tag}>")
            self.depth = max(0, self.depth - 1)

        def handle_data(self, data):
            out.append(html_escape(data, quote=False))

        def handle_entityref(self, name):
            out.append(f"&{name};")

        def handle_charref(self, name):
            out.append(f"&#{name};")

    parser = Flattener(convert_charrefs=True)
    parser.feed(source)
    parser.close()
    return "".join(out)


def _html_tree(source: str):
    try:
        return lxml_html.document_fromstring(source)
    except Exception as error:
        raise ParseError(f"HTML could not be parsed: {_first_line(error)}") from None


def _html_body_text(source: str) -> str:
    """Fallback for pages trafilatura finds no article in: body text without navigation."""
    tree = _html_tree(source)
    for bad in tree.xpath("//script|//style|//nav|//header|//footer|//noscript|//form"):
        bad.drop_tree()
    blocks = [" ".join(el.text_content().split()) for el in tree.xpath("//h1|//h2|//h3|//p|//li|//td")]
    return "\n\n".join(b for b in blocks if b)


def _html_title(source: str) -> str | None:
    tree = _html_tree(source)
    for xpath in ("//h1", "//title"):
        found = tree.xpath(xpath)
        if found and found[0].text_content().strip():
            return " ".join(found[0].text_content().split())
    return None


def parse_jsonl_line(line: str) -> Parsed:
    """One JSON object with `text`; every other field is metadata."""
    try:
        record = json.loads(line)
    except json.JSONDecodeError as error:
        raise ParseError(f"invalid JSON: {error.msg} at column {error.colno}") from None
    if not isinstance(record, dict):
        raise ParseError("JSON line is not an object")
    text = record.pop("text", None)
    if not isinstance(text, str):
        raise ParseError("JSON line has no string field 'text'")
    return Parsed(text, _jsonable(record))


PARSERS = {"txt": parse_plain, "markdown": parse_markdown, "html": parse_html}


def _jsonable(metadata: dict[str, Any]) -> dict[str, Any]:
    """Front matter holds dates and nested values; keep them JSON-serialisable."""
    return json.loads(json.dumps(metadata, default=str, ensure_ascii=False))


def _first_line(error: Exception) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0][:200]
