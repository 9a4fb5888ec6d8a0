"""Matcher patterns whose regular expressions are tested once per word, not once per token.

spaCy's Matcher runs a `REGEX` predicate in Python for every token of every
document, before it looks at the pattern's other attributes; on a pattern's
first token that is every token of the corpus. The same test as a lexeme
flag (`Vocab.add_flag`) runs once per distinct word, and matching it is then a
bit test in C. Patterns are written (and validated) as usual, with `REGEX`;
only what the Matcher is given is rewritten.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from spacy import attrs
from spacy.errors import MatchPatternError
from spacy.matcher import Matcher
from spacy.schemas import validate_token_pattern
from spacy.vocab import Vocab

# Bits below FLAG19 hold spaCy's own flags (IS_ALPHA … IS_CURRENCY).
_FIRST_FREE_FLAG = attrs.FLAG19
_LAST_FLAG = 63
# Attributes a REGEX may test → whether the word is lower-cased first (spaCy's LOWER is str.lower).
_REGEX_ATTRS = {"TEXT": False, "ORTH": False, "LOWER": True}


@dataclass(frozen=True)
class RegexFlag:
    """A word's flag: does the pattern match the word (lower-cased, for LOWER)?"""

    pattern: str
    lower: bool

    def __call__(self, text: str) -> bool:
        return re.search(self.pattern, text.lower() if self.lower else text) is not None


def flag_for(vocab: Vocab, test: RegexFlag) -> int:
    """The vocabulary's flag for this test, added the first time it is asked for."""
    for flag_id, getter in vocab.lex_attr_getters.items():
        if getter == test:
            return flag_id
    free = next((bit for bit in range(_FIRST_FREE_FLAG, _LAST_FLAG + 1) if bit not in vocab.lex_attr_getters), None)
    if free is None:
        raise ValueError("no lexeme flag left in this vocabulary for another REGEX test")
    return vocab.add_flag(test, free)


def flag_matcher(vocab: Vocab) -> Matcher:
    """A Matcher for `add_patterns` (which validates the patterns it is given; the flags would not pass)."""
    return Matcher(vocab, validate=False)


def add_patterns(matcher: Matcher, key: str, patterns: list[list[dict]], **options) -> None:
    """`matcher.add` with every plain `{"REGEX": …}` on TEXT, ORTH or LOWER turned into a lexeme flag."""
    errors = {i: found for i, pattern in enumerate(patterns) if (found := validate_token_pattern(pattern))}
    if errors:
        raise MatchPatternError(key, errors)
    matcher.add(key, [[_flagged(matcher.vocab, token) for token in pattern] for pattern in patterns], **options)


def _flagged(vocab: Vocab, token: dict) -> dict:
    result: dict = {}
    for name, value in token.items():
        if name in _REGEX_ATTRS and isinstance(value, dict) and set(value) == {"REGEX"}:
            result[flag_for(vocab, RegexFlag(value["REGEX"], _REGEX_ATTRS[name]))] = True
        else:
            result[name] = value
    return result
