"""Partnerships in the shapes partnership news uses."""

from conftest import extract


def _pairs(nlp, text):
    return {(p["swedish_municipality"], p["swedish_kb_id"], p["partner"], p["partner_country"],
             tuple(p["themes"] or ())) for p in extract(nlp, text)["partnerships"]}


def test_pair_starting_a_cooperation(nlp):
    pairs = _pairs(nlp, "Umeå kommun och Cherson i Ukraina inleder ett samarbete om stadsplanering.")
    assert ("Umeå", "2480", "Cherson", "Ukraina", ()) in pairs


def test_partnership_with_a_district_council(nlp):
    pairs = _pairs(nlp, "Ale kommun har ingått ett kommunalt partnerskap med Ghanzi District Council i Botswana.")
    assert ("Ale", "1440", "Ghanzi", "Botswana", ()) in pairs


def test_heading_pair_with_cooperation_areas(nlp):
    text = ("Kommunala partnerskap 2024\n\nFalun och Kolomyia\nSamarbetsområde: vatten och avlopp, jämställdhet\n\n"
            "Eskilstuna och Kisumu\nSamarbetsområde: avfallshantering")
    pairs = _pairs(nlp, text)
    assert ("Falun", "2080", "Kolomyia", None, ("jamstalldhet", "teknisk_infrastruktur")) in pairs


def test_two_swedish_municipalities_are_no_partnership(nlp):
    assert _pairs(nlp, "Umeå kommun och Luleå kommun inleder ett samarbete om kollektivtrafik.") == set()
