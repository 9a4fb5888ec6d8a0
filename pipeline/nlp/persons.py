"""A spaCy component that finds people's names where the context marks them as a person.

It writes `doc.spans["person_patterns"]`: names after a speech verb
("säger Anna Berg") or a role ("kommundirektör Ida Texell"), or before a role
("Anna Berg, projektledare"). Speech verbs and role words come from
`data/roles.yaml`, words that are never names from `data/names.yaml`. The
model's PER entities stay in `doc.ents`; `clean_person_text` keeps the ones
that look like names.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from spacy.language import Language
from spacy.tokens import Doc, Span
from spacy.training import Example

from pipeline.nlp.component import SPAN_SCORER, LexiconComponent, score_weights
from pipeline.nlp.lexicons import NAMES_FILE, ROLES_FILE, NameLexicon, RoleLexicon
from pipeline.nlp.matching import add_patterns, flag_matcher

DEFAULT_SPANS_KEY = "person_patterns"
# Letters of a name part: "Carl-Oskar", "O'Brien", "Jaan-Henrik", "Löwenhöök".
_NAME_PART = re.compile(r"^[A-ZÅÄÖÉÜØÆ][a-zåäöéèüøæáíóúñç]+(?:[-'’][A-ZÅÄÖa-zåäö][a-zåäöéèüøæáíóúñç]+)*$")
_INITIAL = re.compile(r"^[A-ZÅÄÖ]\.$")  # "A. I. Rabin", "Carl G. Persson"
MAX_NAME_PARTS = 5


def clean_person_text(text: str, names: NameLexicon) -> str | None:
    """A person's name, or None: every part a capitalised name word or an initial before the surname
    (particles allowed), 1–5 parts."""
    text = text.strip(" \t-–—:;,\"'”“»«()[]")
    text = text[:-1] if text.endswith(".") and not _INITIAL.match(text.split()[-1] if text.split() else "") else text
    parts = text.split()
    if not 1 <= len(parts) <= MAX_NAME_PARTS or "\n" in text:
        return None
    words = [p for p in parts if p not in names.particles]
    initials = [p for p in words[:-1] if _INITIAL.match(p)]
    words = [p for p in words if p not in initials]
    if not words or not all(_NAME_PART.match(p) for p in words):
        return None
    if any(p.casefold() in names.not_name_words for p in words):
        return None
    return " ".join(parts)


@Language.factory(
    "kommunnlp_persons",
    assigns=["doc.spans"],
    default_config={"spans_key": DEFAULT_SPANS_KEY, "scorer": SPAN_SCORER},
    default_score_weights=score_weights(DEFAULT_SPANS_KEY),
)
def make_person_matcher(nlp: Language, name: str, spans_key: str, scorer: Callable | None) -> PersonMatcher:
    return PersonMatcher(nlp, name, spans_key=spans_key, scorer=scorer)


class PersonMatcher(LexiconComponent):
    def __init__(self, nlp: Language, name: str = "kommunnlp_persons", *, spans_key: str = DEFAULT_SPANS_KEY,
                 scorer: Callable | None = None):
        super().__init__(nlp, name, scorer)
        self.spans_key = spans_key
        self.span_keys = (spans_key,)
        self.roles: RoleLexicon | None = None
        self.names: NameLexicon | None = None

    def initialize(self, get_examples: Callable[[], Iterable[Example]] | None = None, *, nlp: Language | None = None,
                   roles: str | Path | None = None, names: str | Path | None = None) -> None:
        """Load the role and name lexicons: the package's data files unless other files are given."""
        self.use_lexicon_data({"roles": RoleLexicon.from_file(Path(roles or ROLES_FILE)).to_dict(),
                               "names": NameLexicon.from_file(Path(names or NAMES_FILE)).to_dict()})

    def lexicon_data(self) -> dict[str, Any]:
        return {"roles": self.roles.to_dict(), "names": self.names.to_dict()}

    def use_lexicon_data(self, data: dict[str, Any]) -> None:
        self.roles = RoleLexicon.from_dict(data["roles"])
        self.names = NameLexicon.from_dict(data["names"])
        name_token = {"IS_TITLE": True, "TEXT": {"REGEX": _NAME_PART.pattern}}
        heads = "|".join(re.escape(h) for h in self.roles.heads)
        self.matcher = flag_matcher(self.nlp.vocab)
        # "säger Anna Berg"; and "säger Pierre." when a lone first name ends the clause after a verb of
        # speaking (not after "enligt", which as often introduces an organisation or a report)
        verbs = {"LOWER": {"IN": sorted(self.roles.speech_verbs)}}
        said = {"LOWER": {"IN": sorted(self.roles.speech_verbs - self.roles.not_before_lone_first_name)}}
        full_name = [verbs, name_token, name_token, {**name_token, "OP": "{0,2}"}]
        first_name = [said, name_token, {"IS_PUNCT": True, "ORTH": {"NOT_IN": ["-"]}}]
        add_patterns(self.matcher, "SPEECH", [full_name, first_name], greedy="LONGEST")
        # "Sharif Shawky är landskapsarkitekt …", "Anna Berg, projektledare …"
        role_head = {"LOWER": {"REGEX": rf"({heads})$"}}  # "projektledare", "förvaltningschef"
        role_word = {**role_head, "IS_LOWER": True}
        add_patterns(
            self.matcher, "APPOSITION",
            [[name_token, name_token, {**name_token, "OP": "?"}, {"LOWER": {"IN": list(self.roles.apposition_links)}},
              role_word]],
            greedy="LONGEST",
        )
        add_patterns(
            self.matcher, "ROLE",
            [[role_head, name_token, name_token, {**name_token, "OP": "{0,2}"}]],
            greedy="LONGEST",
        )
        self.ready = True

    def __call__(self, doc: Doc) -> Doc:
        self.require_lexicon()
        spans = []
        for match_id, start, end in self.matcher(doc):
            if doc.vocab.strings[match_id] == "APPOSITION":
                start, end = start - 1, end - 2  # the name, without the role after it
            elif doc[end - 1].is_punct:
                end -= 1
            span = Span(doc, start + 1, end, label="PER")  # the name, without the verb or role before it
            if clean_person_text(span.text, self.names):
                spans.append(span)
        doc.spans[self.spans_key] = spans
        return doc
