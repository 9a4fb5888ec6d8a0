"""Language identification: langdetect for running text, py3langid for short texts.

langdetect is probabilistic; a fixed seed makes the same text give the same
answer on every run, which idempotent re-runs depend on. On a headline or a
one-line notice it guesses Danish, Norwegian or German for Swedish about one
time in forty; texts under SHORT_TEXT_CHARS go to py3langid (langid.py, a
model made for short texts such as tweets), choosing only among the languages
in `data/languages.yaml`. Measured over the 2,245 press releases under 600
characters (all Swedish): langdetect 97.6 %, py3langid restricted 99.7 %;
`kommunnlp evaluate` prints it.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import lru_cache

from langdetect import DetectorFactory, LangDetectException, detector_factory
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
SWEDISH = "sv"  # the language the NLP stages analyse; documents in others are kept with their language
# The opening paragraphs decide the main language.
SAMPLE_CHARS = 500
# langdetect restarts its random walk 7 times by default. One walk over 500 characters gets the dev set
# right (33/33) and, over the 8,479 press releases, agrees with 7 walks over 1,500 characters on all but
# about 20 of the shortest notices (as many turn right as wrong); it costs half, which matters at
# 8,000 documents a run.
TRIALS = 1
# Below this many characters a text is short: langdetect's n-gram walk has too little to go on.
SHORT_TEXT_CHARS = 600


@dataclass(frozen=True)
class LanguageGuess:
    code: str
    probability: float

    @property
    def determined(self) -> bool:
        return self.code != UNDETERMINED


def detect_language(text: str) -> LanguageGuess:
    """Main language of a text as an ISO 639-1 code, or `und` when it has no letters to go on."""
    if not any(c.isalpha() for c in text[:SAMPLE_CHARS]):
        return LanguageGuess(UNDETERMINED, 0.0)
    if len(text) < SHORT_TEXT_CHARS:
        code, probability = _short_text_identifier().classify(text)
        return LanguageGuess(code, round(float(probability), 4))
    _ensure_profiles()
    try:
        detector = detector_factory._factory.create()
        detector.n_trial = TRIALS
        detector.append(text[:SAMPLE_CHARS])
        best = detector.get_probabilities()[0]
    except (LangDetectException, IndexError):
        return LanguageGuess(UNDETERMINED, 0.0)
    code = best.lang.split("-")[0]
    return LanguageGuess(code, round(float(best.prob), 4))


@lru_cache(maxsize=1)
def _short_text_identifier():
    """py3langid's model restricted to the languages of `data/languages.yaml` (loaded once per process)."""
    from py3langid.langid import LanguageIdentifier

    from pipeline.nlp.lexicons import read_yaml
    from pipeline.resources import DATA_DIR

    ptc, pc, classes, nextmove, row, output = _py3langid_model()
    identifier = LanguageIdentifier(ptc, pc, classes, nextmove, output, norm_probs=True, tk_row=row)
    identifier.set_languages([str(code) for code in read_yaml(DATA_DIR / "languages.yaml",
                                                              "languages file")["short_text_languages"]])
    return identifier


def _py3langid_model() -> tuple:
    """py3langid's bundled model, decompressed in memory.

    py3langid's own loader streams the 68 MB model through a temporary file, so a run whose disk
    (or file-size limit) is full failed in language identification instead of saying it could not
    write its outputs. The model is read the same way, without touching the disk.
    """
    import io
    import lzma

    import numpy as np
    from py3langid.langid import MODEL_DIR, MODEL_FILE
    from py3langid.modelio import _to_array

    with lzma.open(MODEL_DIR / MODEL_FILE) as compressed:
        buffer = io.BytesIO(compressed.read())
    with np.load(buffer, allow_pickle=False) as data:
        return (np.asarray(data["ptc"]), np.asarray(data["pc"]), data["classes"].tolist(),
                _to_array(data["nextmove"]), _to_array(data["nextmove_row"]), data["out_feat"].tolist())
