"""Language identification with langdetect, made deterministic.

langdetect is probabilistic; a fixed seed makes the same text give the same
answer on every run, which idempotent re-runs depend on.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from langdetect import DetectorFactory, LangDetectException, detect_langs
from langdetect.detector_factory import init_factory

DetectorFactory.seed = 0
# langdetect loads its profiles lazily into a global on first use, and a second thread arriving
# meanwhile sees half the languages (Swedish came out as Danish). Load them once, under a lock.
_INIT_LOCK = threading.Lock()
_initialised = False


def _ensure_profiles() -> None:
    global _initialised
    if not _initialised:
        with _INIT_LOCK:
            if not _initialised:
                init_factory()
                _initialised = True
UNDETERMINED = "und"
# langdetect's cost grows with the text; the opening paragraphs decide the main language.
SAMPLE_CHARS = 4000


@dataclass(frozen=True)
class LanguageGuess:
    code: str
    probability: float

    @property
    def determined(self) -> bool:
        return self.code != UNDETERMINED


def detect_language(text: str) -> LanguageGuess:
    """Main language of a text as an ISO 639-1 code, or `und` when it has no letters to go on."""
    _ensure_profiles()
    sample = text[:SAMPLE_CHARS]
    try:
        best = detect_langs(sample)[0]
    except LangDetectException:
        return LanguageGuess(UNDETERMINED, 0.0)
    code = best.lang.split("-")[0]
    return LanguageGuess(code, round(float(best.prob), 4))
