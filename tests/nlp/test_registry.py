"""The agency registry: every form resolves to the body it names; predecessors stay themselves; misleading forms
are left out; the shipped file is what the build script makes from ../shared."""

import csv
import json
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest
from conftest import REPO, entities, needs_shared

from pipeline.nlp.registry import REGISTRY_FILE, RegistryEntry, _rules, build_registry, load_registry, write_registry

ENTRIES = load_registry()
BY_FORM = {entry.form: entry for entry in ENTRIES}


def resolves(form: str) -> tuple[str, str | None, str]:
    entry = BY_FORM[form]
    return entry.name, entry.kb_id, entry.kind


@pytest.mark.parametrize(
    ("form", "name", "kb_id", "kind"),
    [
        ("Affärsverket svenska kraftnät", "Affärsverket svenska kraftnät", "202100-4284", "official"),
        ("SVK", "Affärsverket svenska kraftnät", "202100-4284", "short"),
        ("Svenska kraftnät", "Affärsverket svenska kraftnät", "202100-4284", "short"),  # SCB's capitals, re-cased
        ("Swedish National Grid", "Affärsverket svenska kraftnät", "202100-4284", "english"),
        ("Svenska kraftnät, affärsverk", "Affärsverket svenska kraftnät", "202100-4284", "former"),
        ("Försäkringskassan", "Försäkringskassan", "Q3372219", "official"),
        ("FK", "Försäkringskassan", "Q3372219", "short"),
        ("Swedish Social Insurance Agency", "Försäkringskassan", "Q3372219", "english"),
        # renames: the same body (same organisation number, Wikidata's own item), so the current name
        ("MSB", "Myndigheten för civilt försvar", "Q3430725", "short"),
        ("Myndigheten för samhällsskydd och beredskap", "Myndigheten för civilt försvar", "Q3430725", "former"),
        ("Datainspektionen", "Integritetsskyddsmyndigheten", "Q1172261", "former"),
        ("Folkhälsoinstitutet", "Statens folkhälsoinstitut", "Q1252909", "former"),
        ("Kriminalvårdsverket", "Kriminalvården", "Q7061065", "former"),
        ("Statens maritima museer", "Statens museer för maritim-, transport- och försvarshistoria", "Q10677695",
         "former"),
        ("Ekonomistyrningsverket", "Statskontoret", "Q7654780", "former"),  # ESV renamed, with its number
        # SCB's register spelling in capitals, written as text writes it
        ("Högsta domstolen", "Högsta domstolen", None, "official"),
        ("Förvaltningsrätten i Göteborg", "Förvaltningsrätten i Göteborg", None, "official"),
        ("Sveriges riksbank", "Sveriges riksbank", "202100-2684", "official"),
    ],
)
def test_forms_resolve_to_the_body_they_name(form, name, kb_id, kind):
    assert resolves(form) == (name, kb_id, kind)


@pytest.mark.parametrize(
    ("form", "successor"),
    [
        ("Arbetsmarknadsstyrelsen", "Arbetsförmedlingen"),  # Wikidata: Arbetsförmedlingen replaces it
        ("Arbetsmarknadsverket", "Arbetsförmedlingen"),  # ended 2008, the year Arbetsförmedlingen began
        ("Rikspolisstyrelsen", "Polismyndigheten"),
        ("Riksåklagaren", "Åklagarmyndigheten"),
        ("Statens räddningsverk", "Myndigheten för civilt försvar"),  # an entry of its own, replaced by it
        ("Räddningsverket", "Myndigheten för civilt försvar"),
        ("Statens folkhälsoinstitut", "Folkhälsomyndigheten"),
        ("Smittskyddsinstitutet", "Folkhälsomyndigheten"),
        ("Statens bakteriologiska laboratorium", "Smittskyddsinstitutet"),
        ("Styrelsen för internationell utveckling", "Styrelsen för internationellt utvecklingssamarbete"),
    ],
)
def test_a_predecessor_is_its_own_body_not_its_successor(form, successor):
    name, _, kind = resolves(form)
    assert name != successor
    assert name == form or kind != "official"
    if form in ("Statens räddningsverk", "Smittskyddsinstitutet"):
        assert BY_FORM[form].kb_id.startswith("Q")  # its own Wikidata item, not the successor's


def test_the_successor_keeps_its_own_forms():
    assert resolves("Arbetsförmedlingen") == ("Arbetsförmedlingen", "Q3440237", "official")
    assert resolves("AF") == ("Arbetsförmedlingen", "Q3440237", "short")
    assert resolves("Polismyndigheten")[0] == "Polismyndigheten"


@pytest.mark.parametrize(
    "form",
    [
        "AV", "AD", "BO", "DO", "HAV", "MIG",  # Swedish and English words (registry.yaml common_words)
        "AMV", "AMS", "RPS",  # abbreviations of predecessors that no longer exist
        "AI", "SJ", "SRV", "KBM", "FHI",  # abbreviations of bodies that no longer exist
        "Statskontoret",  # the new Statskontoret (ESV's number) and the one it replaced in 2026
        "Regional Ethical Review Board",  # six boards
        "Tingsrätter", "Okänd",  # not one body
        "ARBETSFÖRMEDLINGEN", "Statskontoret (gamla)",  # not how text writes a name
        "Försäkringskassans", "MSB:s",  # genitives are the components' business
    ],
)
def test_misleading_forms_are_absent(form):
    assert form not in BY_FORM


def test_no_form_names_two_bodies_and_every_form_is_written_as_text_writes_it():
    bodies = defaultdict(set)
    for entry in ENTRIES:
        bodies[entry.form.casefold()].add(entry.name)
        assert len(entry.form) >= 2
        assert entry.kind in ("official", "short", "english", "former")
        assert not (entry.form.isupper() and (" " in entry.form or len(entry.form) > 7)), entry
        assert entry.form.casefold() not in {str(w).casefold() for w in _rules()["common_words"]}
        assert entry.form == entry.form.strip() and "  " not in entry.form
    assert [form for form, names in bodies.items() if len(names) > 1] == []


def test_kb_id_is_the_wikidata_id_where_there_is_one_else_the_organisation_number():
    for entry in ENTRIES:
        if entry.kb_id:
            assert entry.kb_id[0] == "Q" or (len(entry.kb_id) == 11 and entry.kb_id[6] == "-"), entry
    ids = defaultdict(set)
    for entry in ENTRIES:
        ids[entry.name].add(entry.kb_id)
    # one body per name, but for the two Statskontoret: the one ESV became in 2026 and the one it replaced
    assert {name for name, found in ids.items() if len(found) > 1} == {"Statskontoret"}
    assert ids["Statskontoret"] == {"Q7654780", "202100-0852"}
    assert resolves("Swedish Agency for Administrative Development") == ("Statskontoret", "202100-0852", "english")
    assert resolves("Trafikverket")[1] == "Q1677108"
    assert resolves("Arbetsdomstolen")[1] == "202100-2122"  # no Wikidata record in the registry


def test_the_shipped_file_is_compact_and_names_its_source():
    assert REGISTRY_FILE.stat().st_size < 1_000_000
    import gzip

    with gzip.open(REGISTRY_FILE, "rt", encoding="utf-8") as handle:
        header = handle.readline()
    assert header.startswith("#") and "myndighetsdata" in header and "CC0" in header
    assert len(ENTRIES) > 1500 and {e.kind for e in ENTRIES} == {"official", "short", "english", "former"}


def test_the_shipped_file_equals_a_fresh_build(tmp_path):
    shared = needs_shared("reference", "myndigheter", "merged.json").parent
    fresh = build_registry(shared)
    assert fresh == ENTRIES, "rebuild with `python -m pipeline.nlp.registry` and commit the file"
    write_registry(fresh, tmp_path / "fresh.tsv.gz")
    assert (tmp_path / "fresh.tsv.gz").read_bytes() == REGISTRY_FILE.read_bytes()


def test_write_and_load_round_trip(tmp_path):
    entries = [RegistryEntry("MSB", "Myndigheten för civilt försvar", "Q3430725", "short"),
               RegistryEntry("Arbetsmarknadsverket", "Arbetsmarknadsverket", None, "official")]
    path = tmp_path / "registry.tsv.gz"
    write_registry(entries, path)
    assert sorted(load_registry(path)) == sorted(entries)
    first = path.read_bytes()
    write_registry(reversed(entries), path)
    assert path.read_bytes() == first  # no time stamp, one order: a rebuild shows no diff


def test_a_broken_file_is_an_error_naming_it(tmp_path):
    path = tmp_path / "broken.tsv.gz"
    path.write_bytes(b"not gzip")
    with pytest.raises(ValueError, match=r"broken\.tsv\.gz"):
        load_registry(path)


def test_the_module_does_not_import_spacy():
    code = "import sys, pipeline.nlp.registry as r; r.load_registry(); assert 'spacy' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO, env={"PYTHONPATH": str(REPO)})


# --- the rules, on a small made-up source ------------------------------------------------------------------
def _source(tmp_path: Path, merged: dict, wikidata: dict | None = None, matchlist: list | None = None) -> Path:
    (tmp_path / "merged.json").write_text(json.dumps(merged), encoding="utf-8")
    (tmp_path / "wd.json").write_text(json.dumps(wikidata or {}), encoding="utf-8")
    with (tmp_path / "matchlist.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["name", "official_name"])
        writer.writerows(matchlist or [])
    return tmp_path


def _resolved(tmp_path: Path, merged: dict, **kwargs) -> dict[str, tuple]:
    return {e.form: (e.name, e.kb_id, e.kind) for e in build_registry(_source(tmp_path, merged, **kwargs))}


def test_rule_a_name_that_ended_before_the_body_began_is_a_predecessor(tmp_path):
    merged = {"Nya verket": {
        "esv": {"short_name": "NV2", "name_en": "New Agency", "org_nr": "202100-0001",
                "old_names": ["Gamla verket", "GV", "Verket förr"]},
        "sfs": [{"start": "2010-01-01", "end": None, "other_names": [], "replaces": ["Gamla verket"]},
                {"start": "1990-01-01", "end": "2010-01-01", "other_names": ["Gamla verket"], "replaces": []},
                {"start": "1980-01-01", "end": "1990-01-01", "other_names": ["Verket förr"], "replaces": []}],
        "wd": {"id": "Q1", "start": "2010-01-01", "org_nr": "202100-0001"}}}
    found = _resolved(tmp_path, merged)
    assert found["Nya verket"] == ("Nya verket", "Q1", "official")
    assert found["NV2"] == ("Nya verket", "Q1", "short")
    assert found["New Agency"] == ("Nya verket", "Q1", "english")
    assert found["Gamla verket"] == ("Gamla verket", None, "official")  # ended 2010, the year Nya verket began
    assert found["Verket förr"] == ("Verket förr", None, "official")  # ended 1990: a predecessor too
    assert "GV" not in found  # fits Gamla verket, not Nya verket: a predecessor's abbreviation


def test_rule_a_rename_resolves_to_the_current_name(tmp_path):
    merged = {"Nya nämnden": {
        "esv": {"short_name": "NN", "org_nr": "202100-0002", "old_names": ["Gamla nämnden"]},
        "sfs": [{"start": "2020-01-01", "end": None, "other_names": [], "replaces": ["Gamla nämnden"]},
                {"start": "1995-01-01", "end": "2020-01-01", "other_names": ["Gamla nämnden"], "replaces": []}],
        "wd": {"id": "Q2", "start": "1995-01-01", "other_names": ["Gamla nämnden"]},
        "scb": {"org_nr": "202100-0002", "other_names": ["NYA NÄMNDEN", "GAMLA NÄMNDEN"]}}}
    found = _resolved(tmp_path, merged)
    assert found["Gamla nämnden"] == ("Nya nämnden", "Q2", "former")
    assert found["NN"] == ("Nya nämnden", "Q2", "short")
    assert not [form for form in found if form.isupper() and " " in form]


def test_rule_wikidata_replaces_and_other_bodies_records(tmp_path):
    merged = {
        "Högskolan": {"esv": {"org_nr": "202100-0003"}, "wd": {"id": "Q3", "replaces": ["Seminariet"]},
                      "agv": [{"other_names": ["Privata högskolan"]}, {}],
                      "sfs": {"start": None, "end": None, "other_names": ["Seminariet"], "replaces": []}},
        "Grannverket": {"esv": {"org_nr": "202100-0004", "short_name": "GRV"}},
        "Bo-verket": {"esv": {"org_nr": "202100-0005", "short_name": "AV", "end": "2001"}},
        "Ett verk": {"esv": {"org_nr": "202100-0006", "name_en": "The Board"}},
        "Ett annat verk": {"esv": {"org_nr": "202100-0007", "name_en": "The Board"}},
    }
    found = _resolved(tmp_path, merged)
    assert found["Seminariet"] == ("Seminariet", None, "official")  # Wikidata: replaced by Högskolan
    assert "Privata högskolan" not in found  # another body's statistics, merged in by a similar name
    assert found["GRV"] == ("Grannverket", "202100-0004", "short")
    assert "AV" not in found  # a common word, and an abbreviation of a body that has closed
    assert "The Board" not in found  # names two bodies
    assert found["Ett verk"][2] == "official"


# --- the registry in the product: the organisation component's gazetteer and entities.kb_id ----------------
def test_the_gazetteer_resolves_every_registry_form_and_keeps_one_name_per_body():
    from pipeline.nlp.lexicons import Gazetteer

    gazetteer = Gazetteer.from_file()
    for form in ("Försäkringskassan", "FK", "Swedish Social Insurance Agency", "Försäkringskassans"):
        assert gazetteer.canonical_name(form) == "Försäkringskassan", form
    # a body the gazetteer file lists under its everyday name keeps that name for the registry's forms
    assert gazetteer.canonical_name("Statens skolverk") == gazetteer.canonical_name("Skolverket")
    assert gazetteer.canonical_name("Arbetsmarknadsverket") != "Arbetsförmedlingen"
    assert gazetteer.kb_ids["Försäkringskassan"] == "Q3372219"


def test_an_agency_found_in_text_carries_its_registry_id(nlp):
    found = entities(nlp, "Kommunen har fått stöd från Försäkringskassan och Myndigheten för delaktighet.",
                     "ORGANISATION")
    ids = {normalized: kb_id for _, _, normalized, kb_id in found}
    assert ids.get("Försäkringskassan") == "Q3372219"
    assert ids.get("Myndigheten för delaktighet")
