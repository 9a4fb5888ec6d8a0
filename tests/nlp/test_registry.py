"""The agency registry: the forms text writes an agency in resolve to the body, and only to the right one."""

from __future__ import annotations

from conftest import entities, needs_shared

from pipeline.nlp.lexicons import Gazetteer
from pipeline.nlp.registry import REGISTRY_FILE, build_registry, load_registry, write_registry


def test_official_short_english_and_own_former_names_resolve_to_the_body():
    gazetteer = Gazetteer.from_file()
    for form in ("Försäkringskassan", "FK", "Swedish Social Insurance Agency"):
        assert gazetteer.canonical_name(form) == "Försäkringskassan", form
    # Wikidata names the body as text does, the other sources by its official name: one body, one name
    assert gazetteer.canonical_name("Statens skolverk") == gazetteer.canonical_name("Skolverket")
    assert gazetteer.canonical_name("Statistikmyndigheten") == "Statistiska centralbyrån"  # its own old name
    assert gazetteer.kb_ids["Försäkringskassan"] == "Q3372219"


def test_forms_that_name_something_else_are_left_out():
    forms = {entry.form for entry in load_registry()}
    assert "Myndigheten för civilt försvar" in forms
    assert not {"AI", "IT", "EU", "SVT"} & forms  # abbreviations running text uses for other things
    assert "Regelrådet" not in forms  # a board the agency hosts, listed by a source as its other name
    assert not [form for form in forms if form.isupper() and len(form) > 6]  # register capitals
    assert not [form for form in forms if form.endswith(".")]


def test_an_agency_found_in_text_carries_its_registry_id(nlp):
    found = entities(nlp, "Kommunen har fått stöd från Försäkringskassan och Myndigheten för delaktighet.",
                     "ORGANISATION")
    ids = {normalized: kb_id for _, _, normalized, kb_id in found}
    assert ids.get("Försäkringskassan") == "Q3372219"
    assert ids.get("Myndigheten för delaktighet", "missing") not in (None, "missing")


def test_the_shipped_registry_is_what_the_build_makes_from_the_shared_data(tmp_path):
    shared = needs_shared("reference", "myndigheter").parent.parent
    entries, left_out = build_registry(shared)
    write_registry(entries, tmp_path / "registry.tsv.gz")
    assert (tmp_path / "registry.tsv.gz").read_bytes() == REGISTRY_FILE.read_bytes(), \
        "rebuild it: python -m pipeline.nlp.registry"
    assert left_out["form of two bodies"] > 0  # shared forms are dropped, not given to one body at random
