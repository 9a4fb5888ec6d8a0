"""Discovery: every file below the input root, in a stable order, with the format its name gives."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from pipeline.ingest.formats import format_of
from pipeline.ingest.jsonl import Segment, segments

# The fetcher's own files in a raw folder (validators, unfinished archives): not input.
FETCH_STATE_DIR = ".kommunnlp-fetch"


@dataclass(frozen=True)
class Discovered:
    path: Path
    source_path: str  # relative to the input root, with forward slashes
    kind: str | None  # None: not a supported format
    segment: Segment | None = None  # a JSON Lines file's inputs come a segment (a range of lines) at a time

    @property
    def weight(self) -> int:
        """How many inputs it holds, as far as discovery knows: batches are made of about equal weight."""
        return self.segment.n_lines if self.segment else 1


def discover(root: Path) -> list[Discovered]:
    """Every file below root, sorted; folder symlinks are followed once (loops are cut). A root that is a
    file is that one input, named by its file name."""
    root = Path(root)
    if root.is_file():
        return _with_segments([Discovered(root, root.name, format_of(root))])
    if not root.is_dir():
        raise FileNotFoundError(f"input folder not found: {root}")
    found: list[Discovered] = []
    seen_dirs: set[str] = set()
    for folder, dirs, files in os.walk(root, followlinks=True):
        real = os.path.realpath(folder)
        if real in seen_dirs:
            dirs[:] = []
            continue
        seen_dirs.add(real)
        dirs[:] = sorted(d for d in dirs if d != FETCH_STATE_DIR)
        for name in sorted(files):
            path = Path(folder) / name
            relative = path.relative_to(root).as_posix()
            found.append(Discovered(path, relative, format_of(path)))
    return _with_segments(sorted(found, key=lambda d: d.source_path))


def _with_segments(found: list[Discovered]) -> list[Discovered]:
    """Each JSON Lines file as its segments (an unreadable one as itself: reading it says why)."""
    result: list[Discovered] = []
    for item in found:
        try:
            pieces = segments(item.path) if item.kind == "jsonl" else []
        except OSError:
            pieces = []
        result.extend([Discovered(item.path, item.source_path, item.kind, piece) for piece in pieces] or [item])
    return result
