"""MUNICIPALITY: the 290 kommuner in their written forms, ambiguous names only in place context, foreign partners."""

import csv

import pytest
from conftest import entities, extract, needs_shared

from pipeline.nlp.lexicons import MunicipalityLexicon

LEXICON = MunicipalityLexicon.from_files()


def test_lexicon_matches_the_scb_reference():
    reference = needs_shared("reference", "swedish_municipalities.csv")
    with reference.open(encoding="utf-8") as handle:
        expected = {(r["municipality_code"], r["municipality_name"]) for r in csv.DictReader(handle)}
    assert {(m.kb_id, m.name) for m in LEXICON.municipalities} == expected
    assert len(expected) == 290


@pytest.mark.parametrize(
    ("text", "mention", "name", "kb_id"),
    [
        ("Umeå kommun bygger en ny skola.", "Umeå kommun", "Umeå", "2480"),
        ("Under Umeås stadsfest var det fullt.", "Umeås", "Umeå", "2480"),
        ("Beslutet fattades av Göteborgs Stad i går.", "Göteborgs Stad", "Göteborg", "1480"),
        ("Helsingborgs stad inleder en dialog med boende.", "Helsingborgs stad", "Helsingborg", "1283"),
        ("Falu kommun och Kolomyia samarbetar.", "Falu kommun", "Falun", "2080"),
        ("Hon har bott i Upplands-Bro i tio år.", "Upplands-Bro", "Upplands-Bro", "0139"),
        ("Nyheter från Upplands Väsby kommun.", "Upplands Väsby kommun", "Upplands Väsby", "0114"),
    ],
)
def test_inflected_and_suffixed_forms(nlp, text, mention, name, kb_id):
    assert ("MUNICIPALITY", mention, name, kb_id) in entities(nlp, text, "MUNICIPALITY")


@pytest.mark.parametrize(
    "text",
    [
        "Det kan vara bra att komma i tid.",
        "Vara med och påverka din stad!",
        "Mark och vatten är viktiga frågor för lantbrukarna.",
        "Kontakta Jonas Berg för mer information.",
        "Nora Svensson leder projektet.",
        "De gick upp på ett högt berg.",
        "Sala Ekström är ny verksamhetschef.",
    ],
)
def test_ambiguous_names_without_place_context_are_not_municipalities(nlp, text):
    assert entities(nlp, text, "MUNICIPALITY") == []


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Ale kommun har ingått ett partnerskap.", "Ale"),
        ("Hon bor i Vara sedan 2010.", "Vara"),
        ("Familjen flyttade till Mark förra året.", "Mark"),
        ("Bjuvs kommun satsar på fritidsgårdar.", "Bjuv"),
        ("Ett möte hölls i Habo i veckan.", "Habo"),
        ("Hjo kommun bjuder in till samråd.", "Hjo"),
    ],
)
def test_ambiguous_names_in_place_context_are_municipalities(nlp, text, name):
    assert name in [n for _, _, n, _ in entities(nlp, text, "MUNICIPALITY")]


@pytest.mark.parametrize(
    "text",
    [
        "Hon forskar vid Umeå universitet.",
        "Lena är ny landshövding i Örebro län.",
        "Region Skåne ansvarar för kollektivtrafiken.",
        "Barnen åkte till Borås Djurpark i somras.",
        "Ambassadörerna överlämnade sina kreditivbrev i högtidlig audiens på Stockholms slott.",
    ],
)
def test_a_municipality_name_inside_another_name_is_not_a_municipality(nlp, text):
    assert entities(nlp, text, "MUNICIPALITY") == []


def test_foreign_partner_with_its_country(nlp):
    text = "Umeå kommun och Cherson i Ukraina inleder ett samarbete om stadsplanering."
    rows = [r for r in extract(nlp, text)["entities"] if r["label"] == "MUNICIPALITY"]
    found = {(r["normalized"], r["kb_id"], r["country"]) for r in rows}
    assert ("Umeå", "2480", None) in found
    assert ("Cherson", None, "Ukraina") in found


def test_district_council_is_the_foreign_municipality(nlp):
    found = entities(nlp, "Ale kommun har ingått ett kommunalt partnerskap med Ghanzi District Council i Botswana.",
                     "MUNICIPALITY")
    assert ("MUNICIPALITY", "Ghanzi District Council", "Ghanzi", None) in found


def test_a_foreign_city_named_only_as_a_place_is_a_location(nlp):
    found = entities(nlp, "Boendebudget har tidigare genomförts av tre bostadsbolag i Paris.")
    assert not any(label == "MUNICIPALITY" for label, *_ in found)


@pytest.mark.parametrize(
    "text",
    [
        "Morgonens attacker mot Kiev och andra stora städer visar att trycket på Ryssland måste öka.",
        "På seminariet presenterar RISE projektet, och en panel med politiker från kommunen ger sin syn.",
    ],
)
def test_cities_as_places_and_acronyms_are_not_foreign_municipalities(nlp, text):
    assert not any(label == "MUNICIPALITY" for label, *_ in entities(nlp, text))


def test_a_sports_club_named_after_its_town_is_not_the_municipality(nlp):
    text = "Politikerna utmanas av el-hockeylaget Tuna Tanks från Eskilstuna HIF."
    assert entities(nlp, text, "MUNICIPALITY") == []


def test_lookup_normalises_written_forms():
    assert LEXICON.lookup("Göteborgs Stad").name == "Göteborg"
    assert LEXICON.lookup("Falu kommun").kb_id == "2080"
    assert LEXICON.lookup("Ingenstans") is None


def _as_if_the_model_said(nlp, text: str, name: str, label: str) -> list[tuple[str, str]]:
    """The mentions of a text where the model found `name` as `label` (whatever it finds itself)."""
    from pipeline.extract.entities import candidates
    from pipeline.nlp.lexicons import Lexicons

    doc = nlp(text)
    start = text.index(name)
    doc.ents = [doc.char_span(start, start + len(name), label=label)]
    return [(m.label, m.text) for m in candidates(doc, 0, Lexicons.of(nlp)) if m.source == "ner"]


def test_a_foreign_city_after_a_place_preposition_is_a_place_even_as_the_models_organisation(nlp):
    text = "Metoden har prövats av två skolor i Lyon och en i Toronto."
    assert _as_if_the_model_said(nlp, text, "Toronto", "ORG") == [("LOCATION", "Toronto")]
    # without the preposition a city's name can be its club or company: the model's ORG stands
    assert _as_if_the_model_said(nlp, "Finalen vanns av Toronto.", "Toronto", "ORG") == [("ORGANISATION", "Toronto")]


@pytest.mark.parametrize("label", ["ORG", "PER"])
def test_a_name_after_a_noun_for_a_kind_of_place_is_a_place(nlp, label):
    text = "Arbetet börjar i bostadsområdet Västra Sörby och sedan i stadsdelen Norra Ekbacken."
    assert _as_if_the_model_said(nlp, text, "Norra Ekbacken", label) == [("LOCATION", "Norra Ekbacken")]
    assert _as_if_the_model_said(nlp, "Stadsdelsnämnden Norra Ekbacken beslutade.", "Norra Ekbacken", "ORG") == [
        ("ORGANISATION", "Norra Ekbacken")]


def test_a_street_or_square_is_a_place_whatever_the_model_said(nlp):
    text = "Bostadsbolaget förvaltar lägenheter kring Solvädersplatsen och Regngatan."
    assert _as_if_the_model_said(nlp, text, "Solvädersplatsen", "ORG") == [("LOCATION", "Solvädersplatsen")]
    assert _as_if_the_model_said(nlp, text, "Regngatan", "PER") == [("LOCATION", "Regngatan")]


def test_an_organisation_does_not_end_in_a_function_word(nlp):
    text = "Nätverket Gröna Grannar för sitt arbete med odling fick priset."
    assert _as_if_the_model_said(nlp, text, "Gröna Grannar för sitt", "ORG") == [("ORGANISATION", "Gröna Grannar")]


def test_a_persons_name_after_a_place_preposition_is_the_place_it_names(nlp):
    text = "Metoden föddes i Porto Alegre och spreds sedan vidare."
    assert _as_if_the_model_said(nlp, text, "Porto Alegre", "PER") == [("LOCATION", "Porto Alegre")]
    # a surname that is also a town stays a person elsewhere
    assert _as_if_the_model_said(nlp, "Det berättar Eva Sala.", "Eva Sala", "PER") == [("PERSON", "Eva Sala")]
