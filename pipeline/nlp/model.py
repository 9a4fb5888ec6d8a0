"""The Swedish spaCy pipeline: which model, loaded once per process, run in batches over long texts."""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
from functools import lru_cache
from pathlib import Path

import spacy
from spacy.language import Language
from spacy.tokens import Doc

from pipeline import UserError
from pipeline.resources import SHIPPED_MODEL_DIR

DEFAULT_MODEL = "sv_core_news_sm"
SHIPPED_MODEL = "kommunnlp"


class ModelNotFound(UserError, RuntimeError):
    pass


def resolve_model(name: str | None = None) -> str:
    """`--model` as given; otherwise sv_core_news_sm when installed, else the model this package ships."""
    if name and name != SHIPPED_MODEL:
        if spacy.util.is_package(name) or Path(name).is_dir():
            return name
        raise ModelNotFound(f"spaCy model {name!r} is neither an installed package nor a folder")
    if name is None and spacy.util.is_package(DEFAULT_MODEL):
        return DEFAULT_MODEL
    if (SHIPPED_MODEL_DIR / "meta.json").exists():
        return str(SHIPPED_MODEL_DIR)
    raise ModelNotFound(
        f"no Swedish model: {DEFAULT_MODEL} is not installed and {SHIPPED_MODEL_DIR} is missing; "
        "run `kommunnlp train-ner` to train the shipped model"
    )


# kommunnlp's own components, added after the model's (they read its entities and sentences).
COMPONENTS = ("kommunnlp_municipalities", "kommunnlp_organisations", "kommunnlp_persons")


@lru_cache(maxsize=2)
def load_pipeline(model: str) -> Language:
    """Load once per process (workers reuse it) and add the kommunnlp components with the package's data.

    A pipeline saved with the components already (`nlp.to_disk`) keeps the
    data it was saved with.
    """
    import pipeline.nlp.municipalities
    import pipeline.nlp.organisations
    import pipeline.nlp.persons  # noqa: F401 - registers the component factories

    nlp = spacy.load(model)
    if multiprocessing.parent_process() is not None:
        # In a worker the model's ~250,000 Python objects live as long as the process; frozen, they
        # are no longer walked by every later garbage collection (3-5% of analysis time). Workers
        # end without a final collection, so nothing notices they were never freed.
        gc.freeze()
    splitter = next((p for p in ("senter", "parser", "sentencizer") if nlp.has_pipe(p)), None)
    if splitter is None:
        splitter = "sentencizer"
        nlp.add_pipe(splitter)
    if not nlp.has_pipe("kommunnlp_line_breaks"):
        nlp.add_pipe("kommunnlp_line_breaks", before=splitter)
    for component in COMPONENTS:
        if not nlp.has_pipe(component):
            nlp.add_pipe(component).initialize(nlp=nlp)
    return nlp


def preload(model: str | None) -> None:
    """Load the pipeline `--model` names into this process's cache (returns nothing, so a worker can run it).

    A model that cannot be found is no error here: the run reports it.
    """
    with contextlib.suppress(ModelNotFound):
        load_pipeline(resolve_model(model))


@Language.factory("kommunnlp_line_breaks")
def make_line_breaks(nlp: Language, name: str):
    return line_breaks


def line_breaks(doc: Doc) -> Doc:
    """A line break ends a sentence: headlines, list items and contact blocks are not run-on sentences."""
    for token in doc[:-1]:
        if "\n" in token.whitespace_ or (token.is_space and "\n" in token.text):
            doc[token.i + 1].is_sent_start = True
    return doc


def model_label(nlp: Language) -> str:
    return _label(nlp.meta)


def _label(meta: dict) -> str:
    return f"{meta.get('lang', 'xx')}_{meta.get('name', 'pipeline')}-{meta.get('version', '0')}"


def model_label_of(model: str) -> str:
    """The label of a model from its meta.json, without loading it (the flow's process may never need it)."""
    import json

    meta = _meta_file(model)
    return _label(json.loads(meta.read_text(encoding="utf-8"))) if meta else model_label(load_pipeline(model))


def model_fingerprint(model: str) -> str:
    """The label and a hash of meta.json: a model retrained under the same version is another model."""
    import hashlib

    meta = _meta_file(model)
    digest = hashlib.sha256(meta.read_bytes()).hexdigest()[:12] if meta else "unknown"
    return f"{model_label_of(model)}@{digest}"


def _meta_file(model: str) -> Path | None:
    folder = Path(model) if Path(model).is_dir() else spacy.util.get_package_path(model)
    return next((m for m in (folder / "meta.json", *folder.glob("*/meta.json")) if m.exists()), None)
