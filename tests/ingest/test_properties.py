"""Property tests: the text stages never raise on arbitrary Unicode, and offsets always slice the stored text."""

from conftest import extract
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.ingest.cleaning import clean_text
from pipeline.ingest.language import detect_language

# Text with Swedish words, names and web chrome mixed into arbitrary Unicode (controls, RTL, emoji …).
WORDS = st.sampled_from(["Umeå", "kommun", "Göteborgs", "Stad", "säger", "Anna", "Berg", "(M),", "ordförande",
                         "medborgarbudget", "dialogmöte", "och", "i", "Vara", "Mark", "\n", "\n\n", "SKR", "(SKR)",
                         "Hoppa till huvudinnehållet", "Region", "Skåne", ".", ",", "–"])
TEXT = st.lists(st.one_of(WORDS, st.text(max_size=12)), max_size=60).map(" ".join)


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_cleaning_never_raises_and_is_idempotent(text):
    cleaned = clean_text(text)
    assert clean_text(cleaned) == cleaned


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=300))
def test_language_detection_never_raises(text):
    guess = detect_language(text)
    assert isinstance(guess.code, str) and 0.0 <= guess.probability <= 1.0


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(TEXT)
def test_extraction_never_raises_and_offsets_slice_the_text(nlp, raw):
    text = clean_text(raw)
    if not text:
        return
    rows = extract(nlp, text)  # asserts entity offsets slice the text
    for table in ("dialogue_methods", "cooperation_themes", "person_roles", "partnerships"):
        for row in rows[table]:
            assert 0 <= row["start_char"] <= row["end_char"] <= len(text)
            assert row["doc_id"] == "test-doc"
