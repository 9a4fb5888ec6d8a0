"""Training data conversion (IO → BIO) and the train-ner flow on a tiny corpus, for real."""

from pathlib import Path

import pytest
import spacy

from pipeline.training.ner import io_to_bio, read_io_corpus, to_doc


def test_io_to_bio_starts_each_entity_and_joins_runs_of_one_type():
    assert io_to_bio(["PER", "PER", "0", "LOC", "ORG", "ORG", "0"]) == ["B-PER", "I-PER", "O", "B-LOC", "B-ORG",
                                                                        "I-ORG", "O"]


def test_reading_the_token_per_line_format(tmp_path):
    path = tmp_path / "c.txt"
    path.write_text("Gunhild\tPER\nWestman\tPER\nbor\t0\ni\t0\nUmeå\tLOC\n\nbn\nslut 0\n", encoding="utf-8")
    sentences = read_io_corpus(path)
    assert [s.words for s in sentences] == [["Gunhild", "Westman", "bor", "i", "Umeå"], ["bn", "slut"]]
    doc = to_doc(spacy.blank("sv"), sentences[0])
    assert [(e.text, e.label_) for e in doc.ents] == [("Gunhild Westman", "PER"), ("Umeå", "LOC")]


def test_an_unknown_tag_names_the_line(tmp_path):
    path = tmp_path / "c.txt"
    path.write_text("Umeå\tPLACE\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"c.txt:1: unknown tag 'PLACE'"):
        read_io_corpus(path)


@pytest.mark.slow
def test_train_ner_flow_trains_and_evaluates_on_tiny_corpora(tmp_path):
    from flows.train import train_ner_flow

    shared = tmp_path / "shared"
    news = shared / "training" / "swedish-ner-corpus"
    prose = shared / "training" / "uner-swedish-talbanken"
    news.mkdir(parents=True)
    prose.mkdir(parents=True)
    sentences = ["Anna\tPER\nBerg\tPER\nbor\t0\ni\t0\nUmeå\tLOC\n.\t0\n",
                 "Trafikverket\tORG\nbygger\t0\nvägar\t0\ni\t0\nEuropa\tMISC\n.\t0\n"]
    (news / "train_corpus.txt").write_text("\n".join(sentences * 20), encoding="utf-8")
    (news / "test_corpus.txt").write_text("\n".join(sentences * 2), encoding="utf-8")
    iob2 = "# text = Erik bor i Lund .\n1\tErik\tB-PER\n2\tbor\tO\n3\ti\tO\n4\tLund\tB-LOC\n5\t.\tO\n\n"
    (prose / "sv_talbanken-ud-train.iob2").write_text(iob2 * 20, encoding="utf-8")
    (prose / "sv_talbanken-ud-test.iob2").write_text(iob2 * 2, encoding="utf-8")
    (tmp_path / "annotations.jsonl").write_text("", encoding="utf-8")
    result = train_ner_flow(work_dir=str(tmp_path / "work"), pretrain_epochs=0, max_steps=30, install=False,
                            with_vectors=False, shared=str(shared), annotations=str(tmp_path / "annotations.jsonl"))
    assert result["metrics"]["test_snc"]["n_docs"] == 4 and result["metrics"]["test_uner"]["n_docs"] == 2
    assert "MISC" not in result["metrics"]["test_snc"]["per_type"]  # MISC is read as outside
    assert "test_uner" in result["report"] and "ALL" in result["report"]
    assert Path(tmp_path / "work" / "trained" / "model-best" / "meta.json").exists()


def test_the_shipped_model_names_its_sources_and_licence_and_reports_every_test_set():
    import json

    from pipeline.resources import SHIPPED_MODEL_DIR

    meta = json.loads((SHIPPED_MODEL_DIR / "meta.json").read_text())
    metrics = json.loads((SHIPPED_MODEL_DIR / "metrics.json").read_text())
    assert {"dev", "test_corpus", "test_uner", "test_snc"} <= set(metrics)
    assert metrics["test_corpus"]["ents_f"] >= 0.75 and metrics["test_corpus"]["per_type"]["PER"]["f"] >= 0.85
    sources = json.dumps(meta["sources"])
    assert "CC BY 4.0" in sources and "CC BY-SA 4.0" in sources and "CC BY-SA 4.0" in meta["license"]
