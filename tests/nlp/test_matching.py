"""REGEX patterns turned into lexeme flags match exactly what spaCy's REGEX predicates match."""

import pytest
import spacy
from spacy.errors import MatchPatternError
from spacy.matcher import Matcher

from pipeline.nlp.matching import RegexFlag, add_patterns, flag_for, flag_matcher

PATTERNS = [
    [{"LOWER": {"REGEX": r"(chef|ordförande)$"}}, {"IS_TITLE": True, "TEXT": {"REGEX": r"^[A-ZÅÄÖ][a-zåäö]+$"}}],
    [{"TEXT": {"REGEX": r"^[A-ZÅÄÖ][\w-]*(verket|myndigheten)$"}}],
]
TEXT = ("Skolchefen Anna Berg och kommunstyrelsens ordförande Per Öberg besökte Trafikverket, "
        "TRAFIKVERKET och Polismyndigheten. ORDFÖRANDE Lisa talade; socialchef Omar Ali-Hassan också.")


def _spans(matcher, doc):
    return sorted((doc.vocab.strings[key], start, end) for key, start, end in matcher(doc))


def test_flags_match_what_regex_predicates_match():
    nlp = spacy.blank("sv")
    plain, flagged = Matcher(nlp.vocab), flag_matcher(nlp.vocab)
    plain.add("X", PATTERNS)
    add_patterns(flagged, "X", PATTERNS)
    doc = nlp(TEXT)  # most of these words are new to the vocabulary: their flags are set as they come
    assert _spans(flagged, doc) == _spans(plain, doc)
    assert {doc[s:e].text for _, s, e in flagged(doc)} >= {"ordförande Per", "Trafikverket", "Polismyndigheten"}


def test_one_flag_per_test_and_vocabulary():
    nlp = spacy.blank("sv")
    test = RegexFlag(r"chef$", lower=True)
    assert flag_for(nlp.vocab, test) == flag_for(nlp.vocab, RegexFlag(r"chef$", lower=True))
    assert flag_for(nlp.vocab, RegexFlag(r"chef$", lower=False)) != flag_for(nlp.vocab, test)


def test_patterns_are_still_validated():
    nlp = spacy.blank("sv")
    with pytest.raises(MatchPatternError):
        add_patterns(flag_matcher(nlp.vocab), "BAD", [[{"LOWR": {"REGEX": "x"}}]])
