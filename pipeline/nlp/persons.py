"""People: names the context marks as a person, a filter for the model's PER entities, and short-form resolution.

The component writes `doc.spans["person_patterns"]`: names after a speech verb
("säger Anna Berg") or after a role ("kommundirektör Ida Texell"). The model's
PER entities stay in `doc.ents`; `clean_person_text` keeps the ones that look
like names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import yaml
from spacy.language import Language
from spacy.tokens import Doc, Span

from pipeline.nlp.matching import add_patterns, flag_matcher
from pipeline.resources import DATA_DIR

ROLES_FILE = DATA_DIR / "roles.yaml"
NAMES_FILE = DATA_DIR / "names.yaml"
PATTERN_KEY = "person_patterns"
FIRST_NAME_STOP_WORDS = {"dag", "hans", "inga", "per", "bo", "ute"}
PARTICLES = {"af", "von", "van", "de", "der", "den", "da", "di", "du", "la", "le", "bin", "al"}
# Letters of a name part: "Carl-Oskar", "O'Brien", "Jaan-Henrik", "Löwenhöök".
_NAME_PART = re.compile(r"^[A-ZÅÄÖÉÜØÆ][a-zåäöéèüøæáíóúñç]+(?:[-'’][A-ZÅÄÖa-zåäö][a-zåäöéèüøæáíóúñç]+)*$")


@dataclass(frozen=True)
class RoleLexicon:
    heads: tuple[str, ...]
    roles: frozenset[str]
    speech_verbs: frozenset[str]
    parties: frozenset[str]
    org_prepositions: tuple[str, ...]

    def is_role_word(self, word: str) -> bool:
        lower = word.casefold()
        return lower in self.roles or any(lower.endswith(head) for head in self.heads)


@lru_cache(maxsize=1)
def load_roles() -> RoleLexicon:
    try:
        data = yaml.safe_load(ROLES_FILE.read_text(encoding="utf-8")) or {}
        return RoleLexicon(
            heads=tuple(str(h).casefold() for h in data.get("role_heads", [])),
            roles=frozenset(str(r).casefold() for r in data.get("roles", [])),
            speech_verbs=frozenset(str(v).casefold() for v in data.get("speech_verbs", [])),
            parties=frozenset(str(p) for p in data.get("parties", [])),
            org_prepositions=tuple(str(p) for p in data.get("org_prepositions", [])),
        )
    except (OSError, yaml.YAMLError, AttributeError, TypeError) as error:
        raise ValueError(f"invalid role lexicon {ROLES_FILE}: {error}") from error


@lru_cache(maxsize=1)
def not_name_words() -> frozenset[str]:
    """Words that are never part of a name: the data file's list and Swedish function words."""
    from spacy.lang.sv.stop_words import STOP_WORDS

    try:
        data = yaml.safe_load(NAMES_FILE.read_text(encoding="utf-8")) or {}
        listed = {str(w).casefold() for w in data.get("not_name_words", [])}
    except (OSError, yaml.YAMLError, AttributeError) as error:
        raise ValueError(f"invalid names file {NAMES_FILE}: {error}") from error
    # Some stop words are also first names ("Hans Berg", "Dag Larsson", "Inga Lind").
    return frozenset(listed | (set(STOP_WORDS) - FIRST_NAME_STOP_WORDS))


def clean_person_text(text: str) -> str | None:
    """A person's name, or None: every part a capitalised name word (particles allowed), 1–4 parts."""
    text = text.strip(" \t-–—:;,.\"'”“»«()[]")
    parts = text.split()
    if not 1 <= len(parts) <= 4 or "\n" in text:
        return None
    names = [p for p in parts if p not in PARTICLES]
    if not names or not all(_NAME_PART.match(p) for p in names):
        return None
    if any(p.casefold() in not_name_words() for p in names):
        return None
    return " ".join(parts)


def base_name(text: str) -> str:
    """Without a genitive s: "Sharifs" → "Sharif" (the caller checks the base is known)."""
    return text[:-1] if text.endswith("s") and len(text) > 3 else text


def resolve_short_names(names: list[str]) -> dict[str, str]:
    """Map each name to the fullest name in the document it is part of ("Sharif" → "Sharif Shawky").

    A short form joins a full name when its words are a contiguous run of the
    full name's words (first name, surname, double surname). When several full
    names fit, the short form is left as it is: guessing would merge two people.
    """
    full = sorted({n for n in names if len(n.split()) >= 2}, key=lambda n: -len(n.split()))
    resolved: dict[str, str] = {}
    for name in names:
        if name in resolved:
            continue
        words = name.split()
        candidates = [f for f in full if f != name and _contains_run(f.split(), words)]
        if not candidates and base_name(name) != name:
            words = base_name(name).split()
            candidates = [f for f in full if _contains_run(f.split(), words)]
        longest = [c for c in candidates if len(c.split()) == len(candidates[0].split())] if candidates else []
        resolved[name] = longest[0] if len(set(longest)) == 1 else name
    return resolved


def _contains_run(whole: list[str], part: list[str]) -> bool:
    return any(whole[i : i + len(part)] == part for i in range(len(whole) - len(part) + 1))


class PersonMatcher:
    def __init__(self, nlp: Language, name: str = "kommunnlp_persons"):
        self.name = name
        lexicon = load_roles()
        name_token = {"IS_TITLE": True, "TEXT": {"REGEX": _NAME_PART.pattern}}
        heads = "|".join(re.escape(h) for h in lexicon.heads)
        self.matcher = flag_matcher(nlp.vocab)
        # "säger Anna Berg"; and "säger Pierre." when a lone first name ends the clause after a verb of
        # speaking (not after "enligt", which as often introduces an organisation or a report)
        verbs = {"LOWER": {"IN": sorted(lexicon.speech_verbs)}}
        said = {"LOWER": {"IN": sorted(lexicon.speech_verbs - {"enligt"})}}
        full_name = [verbs, name_token, name_token, {**name_token, "OP": "{0,2}"}]
        first_name = [said, name_token, {"IS_PUNCT": True, "ORTH": {"NOT_IN": ["-"]}}]
        add_patterns(self.matcher, "SPEECH", [full_name, first_name], greedy="LONGEST")
        # "Sharif Shawky är landskapsarkitekt …", "Anna Berg, projektledare …"
        role_head = {"LOWER": {"REGEX": rf"({heads})$"}}  # "projektledare", "förvaltningschef"
        role_word = {**role_head, "IS_LOWER": True}
        add_patterns(
            self.matcher, "APPOSITION",
            [[name_token, name_token, {**name_token, "OP": "?"}, {"LOWER": {"IN": [",", "är", "var", "blir"]}},
              role_word]],
            greedy="LONGEST",
        )
        add_patterns(
            self.matcher, "ROLE",
            [[role_head, name_token, name_token, {**name_token, "OP": "{0,2}"}]],
            greedy="LONGEST",
        )

    def __call__(self, doc: Doc) -> Doc:
        spans = []
        for match_id, start, end in self.matcher(doc):
            if doc.vocab.strings[match_id] == "APPOSITION":
                start, end = start - 1, end - 2  # the name, without the role after it
            elif doc[end - 1].is_punct:
                end -= 1
            span = Span(doc, start + 1, end, label="PER")  # the name, without the verb or role before it
            if clean_person_text(span.text):
                spans.append(span)
        doc.spans[PATTERN_KEY] = spans
        return doc


@Language.factory("kommunnlp_persons")
def make_person_matcher(nlp: Language, name: str) -> PersonMatcher:
    return PersonMatcher(nlp, name)
