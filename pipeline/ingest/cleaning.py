"""Cleaning: one canonical text per document, with web chrome lines dropped.

Every offset in the output tables refers to the text this module returns, so
the steps are deterministic and the same input always gives the same text.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from pipeline.resources import DATA_DIR

CHROME_FILE = DATA_DIR / "web_chrome.yaml"
# Characters that are never seen: C0/C1 controls except tab and newline; soft hyphens and the
# combining grapheme joiner; zero-width spaces, joiners and word joiners; invisible operators;
# bidi marks and isolates; the BOM. Left in, they split words ("kommun\u00adstyrelsen") and
# end up inside entity names, roles and labels.
_CONTROL = re.compile(
    r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u00ad\u034f\u061c\u180e\u200b-\u200f\u202a-\u202e"
    r"\u2060-\u2064\u2066-\u2069\ufeff]"
)
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_BLANK_RUNS = re.compile(r"\n{3,}")


@dataclass(frozen=True)
class ChromeRules:
    lines: frozenset[str]
    patterns: tuple[re.Pattern[str], ...]

    def is_chrome(self, line: str) -> bool:
        key = _line_key(line)
        return key in self.lines or any(p.fullmatch(key) for p in self.patterns)


def _line_key(line: str) -> str:
    return " ".join(line.split()).casefold()


@lru_cache(maxsize=4)
def load_chrome_rules(path: Path = CHROME_FILE) -> ChromeRules:
    """Load the editable chrome list; a broken file is a clear start-up error."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        lines = frozenset(_line_key(str(x)) for x in data.get("lines", []))
        patterns = tuple(re.compile(str(p), re.IGNORECASE) for p in data.get("patterns", []))
    except (OSError, yaml.YAMLError, re.error, AttributeError) as error:
        raise ValueError(f"invalid web chrome file {path}: {error}") from error
    return ChromeRules(lines, patterns)


def normalize_text(text: str) -> str:
    """NFC, \\n line ends, no control characters, single spaces, at most one blank line."""
    text = unicodedata.normalize("NFC", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", "\n").replace("\u2029", "\n\n")
    text = _CONTROL.sub("", text)
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return _BLANK_RUNS.sub("\n\n", "\n".join(lines)).strip()


def clean_text(text: str, rules: ChromeRules | None = None) -> str:
    """Normalize and drop chrome lines, keeping paragraph breaks."""
    rules = rules or load_chrome_rules()
    kept = [line for line in normalize_text(text).split("\n") if not (line and rules.is_chrome(line))]
    return _BLANK_RUNS.sub("\n\n", "\n".join(kept)).strip()
