"""Text of spaCy docs, cheaply: long texts in chunks, a Doc's text and sentences computed once.

spaCy rebuilds `Doc.text` and `doc.sents` from every token on each call;
extraction asks for them many times per document, so they are cached in
`Doc.user_data`.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

from spacy.attrs import SENT_START
from spacy.language import Language
from spacy.tokens import Doc, Span

T = TypeVar("T")

# spaCy refuses texts over nlp.max_length (1M chars) and long docs cost memory;
# long texts are analysed in paragraph-aligned chunks with their offsets kept.
CHUNK_CHARS = 50_000


def chunks(text: str, size: int = CHUNK_CHARS) -> Iterator[tuple[int, str]]:
    """(offset, chunk) pieces of at most `size` chars, cut at a paragraph, line, sentence or word break."""
    start = 0
    while start < len(text):
        end = min(start + size, len(text))
        if end < len(text):
            window = text[start:end]
            for separator in ("\n\n", "\n", ". ", " "):
                cut = window.rfind(separator)
                if cut > size // 4:
                    end = start + cut + len(separator)
                    break
        yield start, text[start:end]
        start = end


# Per-Doc caches in Doc.user_data: spaCy recomputes these from every token on each call.
_TEXT, _SENTENCES = "kommunnlp.text", "kommunnlp.sentences"


def remember_text(doc: Doc, text: str) -> Doc:
    """Keep the text a Doc was made from, so `text_of` need not rebuild it."""
    doc.user_data[_TEXT] = text
    return doc


def text_of(doc: Doc) -> str:
    """`doc.text`, built once per Doc (spaCy joins every token again on each call: ~0.5 ms a document)."""
    text = doc.user_data.get(_TEXT)
    if text is None:
        text = doc.user_data[_TEXT] = doc.text
    return text


def sentence_bounds(doc: Doc) -> list[tuple[int, int]] | None:
    """(start, end) token indexes of the sentences, as `doc.sents` gives them; None when none were set.

    Read once per Doc from an array: `doc.sents` builds a Token object per
    word, and extraction asks for sentences many times per document.
    """
    if _SENTENCES not in doc.user_data:
        values = doc.to_array(SENT_START).tolist()
        starts = [0, *(i for i, value in enumerate(values) if value == 1 and i > 0)]
        doc.user_data[_SENTENCES] = list(zip(starts, [*starts[1:], len(doc)], strict=True)) if any(values) else None
    return doc.user_data[_SENTENCES]


def sentence_of(span: Span) -> str | None:
    """The text of the sentence holding the span's first token; None when the pipeline set no boundaries."""
    doc = span.doc
    bounds = sentence_bounds(doc)
    if not bounds:
        return None
    return sentence_text(doc, *bounds[bisect.bisect_right(bounds, (span.start, len(doc) + 1)) - 1])


def sentence_text(doc: Doc, start: int, end: int) -> str:
    """The stripped text of tokens start … end-1, cut from the Doc's text (a Span builds a Token per word)."""
    last = doc[end - 1]
    return text_of(doc)[doc[start].idx : last.idx + len(last)].strip()


def count_tokens(nlp: Language, text: str) -> int:
    return sum(len(nlp.make_doc(piece)) for _, piece in chunks(text))


def without_overlaps(preferred: Iterable[T], start: Callable[[T], int], end: Callable[[T], int]) -> list[T]:
    """Items in order of preference, each kept when it overlaps none kept before it; the kept ones by start.

    Kept items never overlap, so sorted by start their ends are sorted too, and one binary search finds
    the only two a new item could touch (a long document has hundreds of thousands).
    """
    starts: list[int] = []
    kept: list[T] = []
    for item in preferred:
        at = bisect.bisect_right(starts, start(item))
        if (at and end(kept[at - 1]) > start(item)) or (at < len(kept) and starts[at] < end(item)):
            continue
        starts.insert(at, start(item))
        kept.insert(at, item)
    return kept
