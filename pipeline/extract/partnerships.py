"""Municipal partnerships: a Swedish municipality and a foreign local government named as cooperating.

Shapes partnership news uses:
- "Umeå kommun och Cherson i Ukraina inleder ett samarbete"
- "Ale kommun har ingått ett kommunalt partnerskap med Ghanzi District Council i Botswana"
- a heading "Falun och Kolomyia" followed by "Samarbetsområde: vatten och avlopp"

A pair counts when a sentence (or a heading and its section) holds a Swedish
municipality, a foreign partner and a cooperation cue. Themes come from a
"Samarbetsområde:" line when there is one, else from the sentence.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from functools import lru_cache

from pipeline.extract import labels
from pipeline.extract.labels import Taxonomy
from pipeline.nlp.lexicons import read_yaml
from pipeline.resources import DATA_DIR

PARTNERSHIP_FILE = DATA_DIR / "partnerships.yaml"
SECTION_LINES = 6


@lru_cache(maxsize=1)
def _words() -> dict:
    return read_yaml(PARTNERSHIP_FILE, "partnership words file")


@lru_cache(maxsize=1)
def _cooperation_cues() -> re.Pattern[str]:
    stems = "|".join(rf"{re.escape(w)}\w*" for w in _words()["cooperation_stems"])
    words = "|".join(re.escape(w) for w in _words()["cooperation_words"])
    return re.compile(rf"\b({stems}|{words})\b", re.IGNORECASE)


@lru_cache(maxsize=1)
def _area_line() -> re.Pattern[str]:
    headings = "|".join(re.escape(w) for w in _words()["area_headings"])
    return re.compile(rf"^\s*({headings})\s*:\s*(?P<areas>.+)$", re.IGNORECASE | re.MULTILINE)


@dataclass(frozen=True)
class Place:
    """A municipality mention: Swedish (kb_id set) or foreign."""

    name: str
    kb_id: str | None
    country: str | None
    start: int
    end: int


def find_partnerships(text: str, places: list[Place], themes: Taxonomy | None) -> list[dict]:
    """Pairs of (Swedish municipality, foreign partner) in cooperation context, once per pair."""
    pairs: dict[tuple[str, str], dict] = {}
    places = sorted(places, key=lambda p: p.start)
    starts = [p.start for p in places]
    for start, end in _units(text):
        unit = text[start:end]
        inside = places[bisect.bisect_left(starts, start) : bisect.bisect_left(starts, end)]
        swedish = [p for p in inside if p.kb_id]
        foreign = [p for p in inside if not p.kb_id]
        if not swedish or not foreign or (not _cooperation_cues().search(unit) and not _is_heading_pair(unit)):
            continue
        stated = _themes(text, end, themes)
        for partner in foreign:
            home = min(swedish, key=lambda s: abs(s.start - partner.start))
            key = (home.kb_id, partner.name)
            if key in pairs:
                continue
            pairs[key] = {
                "swedish_municipality": home.name, "swedish_kb_id": home.kb_id, "partner": partner.name,
                "partner_country": partner.country, "themes": stated or None,
                "evidence": unit.strip(), "start_char": start, "end_char": end,
            }
    return list(pairs.values())


def _units(text: str) -> list[tuple[int, int]]:
    """Sentences, cut at line ends and full stops: (start, end) character ranges."""
    units, start = [], 0
    for match in re.finditer(r"(?<=[.!?])\s+(?=[A-ZÅÄÖ–-])|\n+", text):
        if match.start() > start:
            units.append((start, match.start()))
        start = match.end()
    if start < len(text):
        units.append((start, len(text)))
    return units


def _is_heading_pair(unit: str) -> bool:
    """"Falun och Kolomyia": a short line naming two places, the heading of a partnership section."""
    return len(unit.split()) <= 6 and " och " in unit and not unit.rstrip().endswith(".")


def _themes(text: str, after: int, themes: Taxonomy | None) -> list[str]:
    """Theme ids from a "Samarbetsområde:" line within the next few lines."""
    end = after - 1
    for _ in range(SECTION_LINES):  # the next lines, without splitting the rest of a long document
        end = text.find("\n", end + 1)
        if end == -1:
            end = len(text)
            break
    section = text[after:end]
    match = _area_line().search(section)
    if not match or themes is None:
        return []
    return labels.labels_in_phrase(match.group("areas"), themes)
