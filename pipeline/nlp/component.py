"""What kommunnlp's spaCy components share, in the manner of spaCy's own `SpanRuler`.

Each component is built empty by its registered factory, gets its data in
`initialize()` (the package's data files unless the caller names others),
writes that data with the pipeline in `to_disk()` and reads it back in
`from_disk()`, so `spacy.load()` of a saved pipeline needs no data folder.
Its spans are scored with spaCy's span scorer under the component's keys.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import srsly
from spacy.language import Language
from spacy.training import Example

LEXICON_FILE = "lexicon.json"
SPAN_SCORER = {"@scorers": "spacy.overlapping_labeled_spans_scorer.v1"}


def score_weights(*keys: str) -> dict[str, float]:
    """The default score weights of a component writing these span keys: F1 counts, P and R are shown."""
    return {f"spans_{key}_{m}": (1.0 / len(keys) if m == "f" else 0.0) for key in keys for m in "fpr"}


class LexiconComponent:
    """A component whose behaviour is its lexicon: subclasses say how to use and (de)serialise it."""

    def __init__(self, nlp: Language, name: str, scorer: Callable | None) -> None:
        self.nlp = nlp
        self.name = name
        self.scorer = scorer
        self.ready = False

    # subclasses ----------------------------------------------------------------------------
    span_keys: tuple[str, ...] = ()

    def lexicon_data(self) -> dict[str, Any]:
        raise NotImplementedError

    def use_lexicon_data(self, data: dict[str, Any]) -> None:
        """Take the lexicons (from initialize or from disk) and build the matchers over them."""
        raise NotImplementedError

    # shared ------------------------------------------------------------------------------
    def require_lexicon(self) -> None:
        if not self.ready:
            raise ValueError(f"{self.name} has no lexicon: call its initialize() first (load_pipeline does)")

    def score(self, examples: Iterable[Example], **kwargs) -> dict[str, Any]:
        scores: dict[str, Any] = {}
        for key in self.span_keys:
            scores.update(self.scorer(examples, spans_key=key, **kwargs))
        return scores

    def to_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> None:
        self.require_lexicon()
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        srsly.write_json(path / LEXICON_FILE, self.lexicon_data())

    def from_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> LexiconComponent:
        self.use_lexicon_data(srsly.read_json(Path(path) / LEXICON_FILE))
        return self
