"""JSON Lines files, streamed record by record: a scraper's dump of any size reads like many small files.

Discovery cuts a JSON Lines file into segments of SEGMENT_LINES lines (byte
ranges found by scanning for line breaks a block at a time), and each segment
is an input of its own: batches hold a bounded number of records, and the
segments of one file spread over the workers. Reading a segment yields its
lines one at a time; a line over the size limit is skipped without being held
in memory. Each line stays its own input, `file.jsonl#N`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

SEGMENT_LINES = 100  # records per input: a quarter of a default batch
BLOCK_BYTES = 1 << 20


@dataclass(frozen=True)
class Segment:
    start: int  # byte offsets in the file
    end: int
    first_line: int  # the number (1-based) of the segment's first line
    n_lines: int


def segments(path: Path, lines_per_segment: int = SEGMENT_LINES) -> list[Segment]:
    """The file's segments, each ending after a line break (the last at the end of the file)."""
    found: list[Segment] = []
    start, first_line, lines, position = 0, 1, 0, 0
    with path.open("rb") as file:
        while block := file.read(BLOCK_BYTES):
            at = block.find(b"\n")
            while at != -1:
                lines += 1
                if lines == lines_per_segment:
                    end = position + at + 1
                    found.append(Segment(start, end, first_line, lines))
                    start, first_line, lines = end, first_line + lines, 0
                at = block.find(b"\n", at + 1)
            position += len(block)
    if position > start:
        found.append(Segment(start, position, first_line, lines + 1))
    return found


@dataclass(frozen=True)
class Line:
    number: int
    data: bytes | None  # None: longer than the limit (then `size` says how long)
    size: int


def lines_of(path: Path, segment: Segment, max_bytes: int) -> Iterator[Line]:
    """The segment's lines without their line break; a line over max_bytes is measured, not kept."""
    number = segment.first_line
    with path.open("rb") as file:
        file.seek(segment.start)
        remaining = segment.end - segment.start
        while remaining > 0:
            data = file.readline(min(remaining, max_bytes + 1))
            remaining -= len(data)
            if data.endswith(b"\n") or remaining == 0:
                line = data[:-1] if data.endswith(b"\n") else data
                yield Line(number, line if len(line) <= max_bytes else None, len(line))
            else:  # over the limit: read on to the line's end a block at a time
                size = len(data)
                while remaining > 0 and not data.endswith(b"\n"):
                    data = file.readline(min(remaining, BLOCK_BYTES))
                    remaining -= len(data)
                    size += len(data)
                yield Line(number, None, size - data.endswith(b"\n"))
            number += 1
