"""Input formats → (text, metadata): plain text, markdown with front matter, HTML, JSON Lines (and WARC)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
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
    if "title" not in metadata:
        title = _html_title(source)
        if title:
            metadata["title"] = title
    return Parsed(text, metadata)


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
