"""From analysed spaCy docs to rows of the entity tables, offsets in the document's text."""

from __future__ import annotations

from spacy.tokens import Doc

from pipeline.ingest import DocumentRecord

# The shipped model uses the corpus's PER/ORG/LOC/MISC; sv_core_news_sm uses PRS/ORG/LOC/…
MODEL_LABELS = {"PER": "PERSON", "PRS": "PERSON", "ORG": "ORGANISATION", "LOC": "LOCATION"}


def extract_document(document: DocumentRecord, docs: list[tuple[int, Doc]]) -> dict[str, list[dict]]:
    entities: list[dict] = []
    for offset, doc in docs:
        for ent in doc.ents:
            label = MODEL_LABELS.get(ent.label_)
            if label is None:
                continue
            entities.append(
                {"doc_id": document.doc_id, "source_path": document.source_path, "label": label,
                 "text": ent.text, "normalized": ent.text, "kb_id": None, "country": None,
                 "start_char": offset + ent.start_char, "end_char": offset + ent.end_char,
                 "sentence": ent.sent.text if doc.has_annotation("SENT_START") else None,
                 "source": "ner", "score": 0.5, "review_status": "unreviewed"}
            )
    return {"entities": entities}
