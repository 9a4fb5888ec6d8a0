"""The role-title lexicon (data/role_titles.tsv): real titles from speaker lists and the annotated corpus."""

from __future__ import annotations

from conftest import needs_shared

from pipeline.training import role_titles


def test_the_shipped_lexicon_has_thousands_of_titles_each_with_how_it_was_found():
    titles = role_titles.read_titles()
    assert len(titles) >= 2000
    assert all(found and all(n > 0 for n in found.values()) for found in titles.values())
    assert {"projektledare", "kommunstyrelsens ordförande", "docent"} <= set(titles)


def test_bodies_and_places_in_the_organisations_slot_are_not_titles():
    titles = role_titles.read_titles()
    # "Name, Projektledare, Region Gotland", "Name, ledamot, SKR", "Name, Arkitekt, SAR/MSA, OKK+"
    assert not {"skr", "gotland", "sar/msa", "socialutskottet", "chalmers", "region gotland"} & set(titles)


def test_the_shipped_lexicon_is_what_the_build_makes():
    shared = needs_shared("corpus", "text", "almedalen-events.jsonl.gz").parent.parent.parent
    built = role_titles.build(shared)
    assert built == role_titles.read_titles(), "rebuild it: python -m pipeline.training.role_titles"


def test_the_test_splits_titles_do_not_feed_the_lexicon():
    from pipeline.training import corpus

    records = corpus.load_records()
    seen = {r["role"].lower() for rec in records if rec["split"] != "test" for r in rec["person_roles"]}
    only_in_test = {r["role"].lower() for rec in records if rec["split"] == "test" for r in rec["person_roles"]} - seen
    assert only_in_test  # the check below means something
    titles = role_titles.read_titles()
    assert not [t for t in only_in_test if "corpus" in titles.get(t, {})]
