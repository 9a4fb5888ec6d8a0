"""Document metadata: title and publication date from front matter, page text or path."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

_MONTHS = {
    m: i
    for i, names in enumerate(
        [
            ("januari", "jan", "january"),
            ("februari", "feb", "february"),
            ("mars", "mar", "march"),
            ("april", "apr"),
            ("maj", "may"),
            ("juni", "jun", "june"),
            ("juli", "jul", "july"),
            ("augusti", "aug", "august"),
            ("september", "sep", "sept"),
            ("oktober", "okt", "oct", "october"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for m in names
}
_ISO = r"(?P<y>(19|20)\d\d)-(?P<m>[01]?\d)-(?P<d>[0-3]?\d)"
_WORDS = r"(?P<d2>[0-3]?\d)\s+(?P<mon>[a-zåäö]{3,9})\.?\s+(?P<y2>(19|20)\d\d)"
_DATE = rf"(?:{_ISO}|{_WORDS})"
# "Senast ändrad: 2020-07-01", "Publicerad 12 mars 2020", "Sidan publicerades 2020-03-12".
_PAGE_DATE = re.compile(
    rf"(?im)^\s*(?:senast\s+(?:ändrad|uppdaterad)|sidan\s+(?:publicerades|uppdaterades)|publicerad|publicerat|datum)\s*:?\s*{_DATE}"
)
_PATH_DATE = re.compile(r"(?<!\d)(?P<y>(19|20)\d\d)[-/_](?P<m>[01]\d)(?:[-/_](?P<d>[0-3]\d))?(?!\d)")
_METADATA_DATE_KEYS = ("date", "published", "publicerad", "datum", "pubdate")
_METADATA_TITLE_KEYS = ("title", "titel", "rubrik")


def title_of(metadata: dict[str, Any], text: str) -> str | None:
    for key in _METADATA_TITLE_KEYS:
        value = metadata.get(key)
        if isinstance(value, str) and value.strip():
            return " ".join(value.split())
    for line in text.split("\n"):
        line = line.strip().lstrip("#").strip()
        if line:
            return line[:200]
    return None


def published_of(metadata: dict[str, Any], raw_text: str, source_path: str) -> dt.date | None:
    """Front matter date first, then a dated line in the page, then a date in the path."""
    for key in _METADATA_DATE_KEYS:
        found = parse_date(str(metadata[key])) if metadata.get(key) else None
        if found:
            return found
    match = _PAGE_DATE.search(raw_text)
    if match:
        found = _from_match(match)
        if found:
            return found
    match = _PATH_DATE.search(source_path)
    return _from_match(match) if match else None


def parse_date(value: str) -> dt.date | None:
    match = re.search(_DATE, value.lower())
    return _from_match(match) if match else None


def _from_match(match: re.Match[str]) -> dt.date | None:
    groups = match.groupdict()
    try:
        if groups.get("y"):
            return dt.date(int(groups["y"]), int(groups["m"]), int(groups.get("d") or 1))
        month = _MONTHS.get(groups["mon"].lower())
        return dt.date(int(groups["y2"]), month, int(groups["d2"])) if month else None
    except ValueError:
        return None
