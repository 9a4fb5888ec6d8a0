"""PERSON, ORGANISATION and person_roles on short texts written for the tests."""

import pytest
from conftest import entities, extract

from pipeline.extract.resolution import resolve_short_names


def test_short_names_resolve_to_the_full_name_in_the_document(nlp):
    text = ("Sharif Shawky är landskapsarkitekt på Helsingborgs stad.\n\n"
            "– Platsen är tacksam att jobba med, säger Sharif.")
    people = {(t, n) for _, t, n, _ in entities(nlp, text, "PERSON")}
    assert ("Sharif Shawky", "Sharif Shawky") in people
    assert ("Sharif", "Sharif Shawky") in people


def test_double_surnames_and_short_forms():
    names = ["Camilla Waltersson Grönvall", "Waltersson Grönvall", "Camilla", "Erik Slottner", "Slottner"]
    resolved = resolve_short_names(names)
    assert resolved["Waltersson Grönvall"] == "Camilla Waltersson Grönvall"
    assert resolved["Slottner"] == "Erik Slottner"
    # two people share a first name: leave it alone rather than merge them
    assert resolve_short_names(["Anna Berg", "Anna Lind", "Anna"])["Anna"] == "Anna"


def test_menu_words_urls_and_dates_are_not_people(nlp):
    text = ("Kontakt\nTelefon: 090-16 10 00\nwww.umea.se/kontakt\nSenast uppdaterad 12 mars 2024\n"
            "Citizen Participation Consultant\nNorra Biskopsgården")
    assert entities(nlp, text, "PERSON") == []


def test_gazetteer_abbreviation_and_genitive_resolve_to_the_full_name(nlp):
    found = {(t, n) for _, t, n, _ in entities(nlp, "Projektet får stöd av SKR och ICLD. SKR:s ordförande talade.",
                                                 "ORGANISATION")}
    assert ("SKR", "Sveriges Kommuner och Regioner") in found
    assert ("ICLD", "Internationellt centrum för lokal demokrati") in found
    assert ("SKR:s", "Sveriges Kommuner och Regioner") in found


def test_an_abbreviation_introduced_in_brackets_links_to_its_name(nlp):
    text = ("Föreningen Norrlandsnätet (FNN) bjuder in till möte. "
            "Under hösten kommer FNN att arrangera tre träffar i Luleå.")
    found = {(t, n) for _, t, n, _ in entities(nlp, text, "ORGANISATION")}
    assert ("FNN", "Föreningen Norrlandsnätet") in found


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Trafikverket bygger om vägen.", "Trafikverket"),
        ("Beslutet togs av Polismyndigheten i går.", "Polismyndigheten"),
        ("Hon arbetar på Region Stockholm sedan i fjol.", "Region Stockholm"),
        ("Forskare vid Umeå universitet har studerat frågan.", "Umeå universitet"),
        ("Bostäderna förvaltas av AB Uppvidingehus sedan länge.", "AB Uppvidingehus"),
        ("Vi har fått stöd från Livsmedelsverket.", "Livsmedelsverket"),
        ("Ett möte med Länsstyrelsen i Västerbottens län hölls.", "Länsstyrelsen i Västerbottens län"),
    ],
)
def test_organisation_patterns(nlp, text, name):
    assert name in [n for _, _, n, _ in entities(nlp, text, "ORGANISATION")]


@pytest.mark.parametrize(
    "text",
    ["Kommunen har beslutat att bygga.", "Socialtjänsten i kommunen ansvarar.", "Plattformen Decidim används."],
)
def test_generic_bodies_and_platforms_are_not_organisations(nlp, text):
    assert entities(nlp, text, "ORGANISATION") == []


def _roles(nlp, text):
    return {(r["person"], r["role"], r["party"], r["org"]) for r in extract(nlp, text)["person_roles"]}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Beslutet välkomnas av Fredrik Kjos (M), kommunstyrelsens ordförande i Upplands-Bro.",
         ("Fredrik Kjos", "kommunstyrelsens ordförande", "M", "Upplands-Bro")),
        ("Det meddelar kommundirektör Ida Texell i ett pressmeddelande.",
         ("Ida Texell", "kommundirektör", None, None)),
        ("– Vi är glada, säger Diana Silic, operativt verksamhetsansvarig för projektet.",
         ("Diana Silic", "operativt verksamhetsansvarig för projektet", None, None)),
        ("Enligt Johan Lilja, generalsekreterare på ICLD, är intresset stort.",
         ("Johan Lilja", "generalsekreterare", None, "ICLD")),
        ("Kontakt\nMagda Gyllenfjell\nProjektledare\nTelefon 0730-00 00 00",
         ("Magda Gyllenfjell", "projektledare", None, None)),
        ("I pressträffen deltar Andreas Löwenhöök, oppositionsråd (M).",
         ("Andreas Löwenhöök", "oppositionsråd", "M", None)),
        ("Presskontakt: Sofie Wiklund, pressekreterare hos socialtjänstministern",
         ("Sofie Wiklund", "pressekreterare", None, None)),
    ],
)
def test_role_shapes(nlp, text, expected):
    person, role, party, org = expected
    found = _roles(nlp, text)
    assert any(p == person and r == role and pa == party and (org is None or o == org) for p, r, pa, o in found), found


def test_a_phrase_that_runs_into_the_next_name_is_not_a_role(nlp):
    text = "Med på träffen är generaldirektör Per Bergling, socialnämndens ordförande Iosif Karambotis (S) samt fler."
    found = _roles(nlp, text)
    assert ("Per Bergling", "generaldirektör", None, None) in found
    assert ("Iosif Karambotis", "socialnämndens ordförande", "S", None) in found
    assert not any(p == "Per Bergling" and "karambotis" in r for p, r, _, _ in found)


def test_a_biography_gives_roles_by_name_and_by_pronoun(nlp):
    text = ("Regeringen har utsett Karin Lundqvist till ny generaldirektör för Statens bostadsverk. "
            "Karin Lundqvist är i dag ekonomichef och biträdande avdelningschef på departementet. "
            "Hon har tidigare varit kommundirektör i Ydre kommun. Hon är född 1968.")
    found = {(p, r) for p, r, _, _ in _roles(nlp, text)}
    assert ("Karin Lundqvist", "ekonomichef och biträdande avdelningschef") in found  # the position, not its place
    assert ("Karin Lundqvist", "kommundirektör") in found
    assert not any("född" in r for _, r in found)


def test_an_enumeration_of_positions_gives_each_position(nlp):
    text = ("Krister Bringéus är för närvarande ambassadör med ansvar för nordiskt samarbete. Han har tidigare "
            "bland annat varit ambassadör i Belgrad, chef för Sveriges delegation vid OSSE i Wien och chef för "
            "enheten för säkerhetspolitik. Kristina Kühnel tjänstgör vid EU-representationen i Bryssel. Hon har "
            "tidigare varit biträdande avdelningschef på Sida och tillförordnad chef på Sidas Afrikaenhet.")
    found = {(p, r) for p, r, _, _ in _roles(nlp, text)}
    assert {("Krister Bringéus", "ambassadör med ansvar för nordiskt samarbete"), ("Krister Bringéus", "ambassadör"),
            ("Krister Bringéus", "chef för sveriges delegation"),
            ("Krister Bringéus", "chef för enheten för säkerhetspolitik"),
            ("Kristina Kühnel", "biträdande avdelningschef"), ("Kristina Kühnel", "tillförordnad chef")} <= found
    assert not any(r.startswith("vid") for _, r in found)  # "tjänstgör vid …" names a place, not a position


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Regeringen har i dag utsett kanslirådet Martin Hagström till ambassadör i Kiev.",
         {("Martin Hagström", "ambassadör"), ("Martin Hagström", "kanslirådet")}),
        ("Anna Berg utses till ny generaldirektör och chef för Myndigheten för tillgängliga medier.",
         {("Anna Berg", "generaldirektör"), ("Anna Berg", "chef för myndigheten för tillgängliga medier")}),
        ("Entreprenören Gunilla von Platen förordnas som ordförande i styrelsen för Filminstitutet.",
         {("Gunilla von Platen", "ordförande")}),
        ("Johanna Adami, som varit ordförande sedan 2021, får förnyat uppdrag. Hon är rektor för Sophiahemmet "
         "Högskola.", {("Johanna Adami", "ordförande"), ("Johanna Adami", "rektor för sophiahemmet högskola")}),
        ("Nya ledamöter:\n\nProfessorn Bengt Johansson (t.o.m. 2026)\n\nJournalisten Ola Sigvardsson (t.o.m. 2026)",
         {("Bengt Johansson", "professorn"), ("Ola Sigvardsson", "journalisten")}),
    ],
)
def test_appointments_and_definite_titles(nlp, text, expected):
    assert expected <= {(p, r) for p, r, _, _ in _roles(nlp, text)}


def test_dash_list_lines_and_samt_coordinations(nlp):
    text = ("## Deltagare:\n\n* Marie Gartell – avdelningschef på Tillväxtanalys och disputerad nationalekonom\n"
            "* Lena Hensvik – professor i nationalekonomi vid Uppsala universitet\n\n"
            "Energi- och näringsminister samt vice statsminister Ebba Busch, Västerås\n\n"
            "– Det är bra, säger Anna Berg – det är viktigt.")
    found = {(p, r) for p, r, _, _ in _roles(nlp, text)}
    assert {("Marie Gartell", "avdelningschef"), ("Marie Gartell", "disputerad nationalekonom"),
            ("Lena Hensvik", "professor i nationalekonomi"), ("Ebba Busch", "vice statsminister"),
            ("Ebba Busch", "energi- och näringsminister")} <= found
    assert not any(p == "Anna Berg" for p, _ in found)  # after a dash, only a title is a role


def test_speaker_lines_with_a_title_before_the_organisation_or_a_party_inside(nlp):
    text = ("## Medverkande\n\n- Jehna Al-Moushahidi, Grundare & Ordförande, Svenska Organisationen mot Statslöshet\n"
            "- Henrik Frenkel, Moderator, journalist, medgrundare Stiftelsen Alzheimer Life\n"
            "- Marie Morell, Ordförande i SKR:s sjukvårdsdelegation, Oppositionsråd (M) Region Östergötland\n")
    found = _roles(nlp, text)
    assert ("Jehna Al-Moushahidi", "grundare & ordförande", None, "Svenska Organisationen mot Statslöshet") in found
    assert ("Henrik Frenkel", "medgrundare", None, "Stiftelsen Alzheimer Life") in found
    assert ("Marie Morell", "oppositionsråd", "M", "Region Östergötland") in found


def test_an_enumeration_of_titles_after_a_name(nlp):
    text = ("Debatterna leds av Anna Bellman, moderator, föreläsare och talartränare. "
            "Med på scen är Per Holm, projektledare, Umeå kommun, som berättar om arbetet.")
    found = {(p, r) for p, r, _, _ in _roles(nlp, text)}
    assert {("Anna Bellman", "moderator"), ("Anna Bellman", "föreläsare"), ("Anna Bellman", "talartränare")} <= found
    assert ("Per Holm", "projektledare") in found
    assert not any("umeå" in r for p, r in found)  # a place after the title is no further title


def test_till_after_a_name_is_a_role_only_after_an_appointment(nlp):
    text = "Regeringen har utsett Anna Berg att leda arbetet. Anna Berg till exempel."
    assert not any(p == "Anna Berg" for p, _, _, _ in _roles(nlp, text))


def test_a_pronoun_after_two_persons_names_no_one(nlp):
    text = "Karin Lundqvist och Per Holm besökte skolan. Hon är kommundirektör i Ydre kommun."
    assert not any(r == "kommundirektör" for _, r, _, _ in _roles(nlp, text))


def test_cv_lines_under_a_name_are_that_persons_positions(nlp):
    text = ("Agremang har begärts för Maria Ekström som ambassadör i Lissabon. Under senare år har hon haft "
            "följande befattningar:\n\n2019 – Enhetschef för enheten för Afrika vid Utrikesdepartementet\n\n"
            "2015 – 2019 Ambassadråd på Sveriges ambassad i Nairobi\n\n2012 – 2015 Verksam vid presstjänsten")
    found = {(p, r) for p, r, _, _ in _roles(nlp, text)}
    assert ("Maria Ekström", "enhetschef för enheten för afrika") in found
    assert ("Maria Ekström", "ambassadråd") in found
    assert not any(r.startswith("verksam") for _, r in found)  # a line without a title


def test_a_title_between_two_names_belongs_to_the_first(nlp):
    text = "De nya ledamöterna är Annika Ström, biträdande professor, Olle Berg, rättschef på Skatteverket."
    found = {(p, r) for p, r, _, _ in _roles(nlp, text)}
    assert ("Annika Ström", "biträdande professor") in found
    assert ("Olle Berg", "biträdande professor") not in found


def test_a_coordinated_compound_is_not_two_roles(nlp):
    text = "Detta säger Thomas Paulsson, generaldirektör för Patent- och registreringsverket."
    roles = {r for p, r, _, _ in _roles(nlp, text) if p == "Thomas Paulsson"}
    assert roles and not any(r.startswith("registreringsverket") for r in roles)


def test_an_introduced_abbreviation_is_the_organisation_wherever_the_document_uses_it(nlp):
    text = ("Föreningen Gröna Gårdar (FGG) startar i vår. Medlemmar i FGG odlar tillsammans, "
            "och FGG:s styrelse väljs i maj.")
    found = [(t, n, s) for t, n, s in ((r["text"], r["normalized"], r["source"])
                                        for r in extract(nlp, text)["entities"]) if t.startswith("FGG")]
    assert {n for _, n, _ in found} == {"Föreningen Gröna Gårdar"}
    assert len(found) == 3
