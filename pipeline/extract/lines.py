"""List lines: "Name, Role, Organisation" — the shape of speaker lists, contact blocks and bylines.

Event pages list their speakers one a line ("Anna Berg, projektledare, Umeå kommun"), press
releases end with contact lines ("Sofie Wiklund, pressekreterare hos socialtjänstministern"),
and bylines name a writer with her role. In such a line the first part is a person, the last part
(of three or more) is where she works, and the parts between are her role, with the party in
brackets where there is one ("ordförande, (KD), socialutskottet"). Entities use the line to tell an
organisation from a person; roles take the role, org and party from it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_LIST_MARKER = re.compile(r"^[ \t]*(?:[-–•*·][ \t]+)?")
_PARTY = re.compile(r"^\((?P<party>[A-ZÅÄÖa-zåäö]{1,2})\)\s*(?P<rest>.*)$")
MAX_PARTS = 6
MAX_PART_WORDS = 10
MAX_LINE_CHARS = 240


@dataclass(frozen=True)
class Part:
    start: int  # absolute offsets of the part's text, white space and brackets around it excluded
    end: int
    text: str


@dataclass(frozen=True)
class ListLine:
    """A line of comma-separated parts whose first part is a name."""

    name: Part
    middle: tuple[Part, ...]  # roles, and party parts such as "(KD)"
    last: Part | None  # the organisation (or place) when the line has three parts or more
    party: str | None  # letters in brackets anywhere in the line: "(S)", "(L) Uppsala"


def list_lines(text: str, is_name) -> list[ListLine]:
    """Every line of the text in the list-line shape. is_name(text) → whether a first part is a person's
    name (the caller's name rules: capitalised name words, no function words)."""
    found = []
    position = 0
    for line in text.split("\n"):
        start = position
        position += len(line) + 1
        if not line.strip() or len(line) > MAX_LINE_CHARS or "," not in line:
            continue
        body_start = start + _LIST_MARKER.match(line).end()
        parts = _parts(text, body_start, start + len(line))
        if not 2 <= len(parts) <= MAX_PARTS or any(len(p.text.split()) > MAX_PART_WORDS for p in parts):
            continue
        if parts[-1].text.endswith((".", "!", "?")) and len(parts[-1].text.split()) > 3:
            continue  # a sentence, not a list line
        if not is_name(parts[0].text):
            continue
        party = None
        rest = []
        for part in parts[1:]:
            bracket = _PARTY.match(part.text)
            if bracket:
                party = party or bracket.group("party").upper()
                remainder = bracket.group("rest").strip()
                if remainder:  # "(L) Uppsala": the party, then the place or organisation
                    offset = part.end - len(remainder)
                    rest.append(Part(offset, part.end, remainder))
                continue
            rest.append(part)
        last = rest[-1] if len(rest) >= 2 else None
        middle = tuple(rest[:-1]) if last else tuple(rest)
        found.append(ListLine(parts[0], middle, last, party))
    return found


def _parts(text: str, start: int, end: int) -> list[Part]:
    parts = []
    cursor = start
    for piece in text[start:end].split(","):
        left = len(piece) - len(piece.lstrip())
        stripped = piece.strip()
        if stripped:
            parts.append(Part(cursor + left, cursor + left + len(stripped), stripped))
        cursor += len(piece) + 1
    return parts
