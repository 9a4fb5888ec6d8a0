"""kommunnlp's spaCy components in spaCy's own manner: config, initialize with data, save and load with the pipeline."""

from __future__ import annotations

import spacy

import pipeline
from pipeline.nlp import lexicons

TEXT = ("Umeå kommun och Sveriges Kommuner och Regioner (SKR) bjöd in till dialogmöte i Mark. "
        "– Det gick bra, säger Anna Berg, projektledare på Trafikverket.\n\n"
        "Kommundirektör Ida Texell i Ale kommun höll med.")
KEYS = ("municipalities", "org_gazetteer", "org_patterns", "person_patterns")


def spans_of(nlp, text: str = TEXT) -> dict[str, list[tuple]]:
    doc = nlp(text)
    return {key: [(s.start_char, s.end_char, s.label_, s.kb_id_) for s in doc.spans[key]] for key in KEYS}


def test_a_saved_pipeline_loads_with_spacy_and_gives_the_same_spans_without_the_data_folder(tmp_path, monkeypatch):
    nlp = pipeline.load_pipeline()
    before = spans_of(nlp)
    assert before["municipalities"] and before["org_gazetteer"] and before["person_patterns"]
    nlp.to_disk(tmp_path / "saved")

    def no_data_files(*args, **kwargs):
        raise AssertionError("a saved pipeline read the package's data folder")

    # every way a component reads its data files is closed: the loaded components read what was saved
    for lexicon, loader in ((lexicons.MunicipalityLexicon, "from_files"), (lexicons.Gazetteer, "from_file"),
                            (lexicons.RoleLexicon, "from_file"), (lexicons.NameLexicon, "from_file")):
        monkeypatch.setattr(lexicon, loader, no_data_files)
    monkeypatch.setattr(lexicons, "read_yaml", no_data_files)
    loaded = spacy.load(tmp_path / "saved")
    assert [p for p in loaded.pipe_names if p.startswith("kommunnlp")] == [
        "kommunnlp_line_breaks", "kommunnlp_municipalities", "kommunnlp_organisations", "kommunnlp_persons"]
    assert spans_of(loaded) == before


def test_a_component_can_be_built_over_a_lexicon_of_its_own(tmp_path):
    (tmp_path / "kommuner.csv").write_text("kb_id,name,county,ambiguous,other_forms\n9999,Påhittby,Testlän,,Påhitt\n",
                                           encoding="utf-8")
    (tmp_path / "context.yaml").write_text("suffixes: [kommun]\nnot_after: []\nnot_before: []\n"
                                           "place_prepositions: [i]\n", encoding="utf-8")
    nlp = spacy.blank("sv")
    ruler = nlp.add_pipe("kommunnlp_municipalities", config={"spans_key": "orter"})
    ruler.initialize(lexicon=tmp_path / "kommuner.csv", context=tmp_path / "context.yaml")
    doc = nlp("Påhittby kommun och Umeå kommun samarbetar i Påhitt.")
    assert [(s.text, s.kb_id_) for s in doc.spans["orter"]] == [("Påhittby kommun", "9999"), ("Påhitt", "9999")]


def test_a_component_without_its_lexicon_says_so():
    nlp = spacy.blank("sv")
    nlp.add_pipe("kommunnlp_persons")
    try:
        nlp("säger Anna Berg")
    except ValueError as error:
        assert "initialize" in str(error)
    else:
        raise AssertionError("an uninitialized component ran")


def test_components_score_their_spans_with_spacys_scorer():
    from spacy.training import Example

    nlp = pipeline.load_pipeline()
    predicted = nlp(TEXT)
    reference = nlp.make_doc(TEXT)
    reference.spans["municipalities"] = [reference.char_span(s.start_char, s.end_char, label=s.label_)
                                         for s in predicted.spans["municipalities"]]
    scores = nlp.get_pipe("kommunnlp_municipalities").score([Example(predicted, reference)])
    assert scores["spans_municipalities_f"] == 1.0
