"""Dialogue methods and cooperation themes: cues, inflections and compounds, and what must not count."""

import pytest
import yaml
from conftest import extract

from pipeline.extract import labels


def _labels(nlp, text: str, table: str) -> set[str]:
    rows = extract(nlp, text)[table]
    for row in rows:  # the cue's offsets lie inside the evidence sentence
        assert text[row["start_char"] : row["end_char"]] in row["evidence"]
    return {row["label"] for row in rows}


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("Samhällsvandringarna genomfördes i oktober tillsammans med boende.", "samhallsvandring"),
        ("Kommunen bjöd in till en trygghetsvandring i centrum.", "samhallsvandring"),
        ("Dialogmötena lockade över hundra invånare.", "dialogmote"),
        ("Efter vandringen hölls ett öppet möte i biblioteket med politiker.", "dialogmote"),
        ("Boende deltog i två workshops om parkens framtid.", "workshop"),
        ("Vi höll en framtidsverkstad med föreningar och boende.", "workshop"),
        ("Under våren genomfördes fokusgrupper med unga vuxna.", "fokusgrupp"),
        ("Kommunen skickade en webbenkät till alla hushåll.", "enkat"),
        ("Medborgarbudgeten omfattar 500 000 kronor.", "medborgarbudget"),
        ("Kvartersbudget och deltagande budget prövas i tre stadsdelar.", "medborgarbudget"),
        ("Ett medborgarråd med slumpvis utvalda invånare ska ge rekommendationer.", "medborgarrad"),
        ("Invånare kan lämna medborgarförslag via e-förslag på webben.", "medborgarforslag"),
        ("Förslagen samlas in på plattformen Decidim.", "digital_plattform"),
        ("Samrådet om detaljplanen pågår till den 1 juni.", "samrad"),
        ("Ungdomsrådet fick tycka till om den nya skateparken.", "ungdomsdialog"),
        ("En delegation från Kolomyia gjorde ett studiebesök i Falun.", "studiebesok"),
    ],
)
def test_each_dialogue_method_cue(nlp, text, label):
    assert label in _labels(nlp, text, "dialogue_methods")


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("Projektet stärker den lokala demokratin och invånarnas inflytande.", "demokrati_delaktighet"),
        ("Samarbetet gäller skolor och lärare i båda kommunerna. Eleverna deltar.", "utbildning"),
        ("Fokus ligger på stadsplanering och offentliga platser i bostadsområdet.", "samhallsplanering"),
        ("Partnerskapet handlar om vattenförsörjning, avlopp och avfallshantering.", "teknisk_infrastruktur"),
        ("Kommunen satsar på klimatanpassning och minskade utsläpp.", "miljo_klimat"),
        ("Målet är jämställdhet mellan kvinnor och män i styrelser.", "jamstalldhet"),
        ("Arbetet ska minska segregation och öka tryggheten i området.", "social_hallbarhet"),
        ("Samarbetet utvecklar ledarskap och styrning i förvaltningen.", "ledarskap_styrning"),
        ("Kommunen stärker sin krisberedskap och det civila försvaret.", "krisberedskap"),
        ("Digitalisering av kommunens e-tjänster står i centrum.", "digitalisering"),
        ("Landsbygdsutveckling och kommersiell service i byarna prioriteras.", "lokal_service"),
        ("Äldreomsorg och hemtjänst är samarbetets fokus. Omsorgen ska bli bättre.", "halsa_omsorg"),
        ("Arbetet riktar sig till barn och unga i området. Barnen får vara med.", "barn_unga"),
    ],
)
def test_each_cooperation_theme_cue(nlp, text, label):
    assert label in _labels(nlp, text, "cooperation_themes")


def test_words_in_a_menu_or_link_list_do_not_count(nlp):
    text = ("Medborgardialog\nMedborgarbudget\nMedborgarförslag\nSamråd\nWorkshop\n\n"
            "Kommunen har öppnat en ny badplats vid sjön under sommaren.")
    assert _labels(nlp, text, "dialogue_methods") == set()


def test_front_matter_categories_do_not_count(tmp_path):
    from pipeline.ingest.formats import parse_markdown

    parsed = parse_markdown("---\ntitle: Ny badplats\ncategories:\n- medborgarbudget\n- samråd\n---\n"
                            "Kommunen har öppnat en ny badplats vid sjön.\n")
    assert "medborgarbudget" not in parsed.text
    assert parsed.metadata["categories"] == ["medborgarbudget", "samråd"]


def test_a_passing_weak_mention_is_not_enough(nlp):
    assert _labels(nlp, "Kommunen redovisade sin budget för nästa år.", "dialogue_methods") == set()
    assert "samrad" not in _labels(nlp, "Beslutet togs i samråd med föreningarna.", "dialogue_methods")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Alla som bor i Majorna-Linné kan lägga förslag och rösta om vilka förslag som ska genomföras.",
         {"medborgarforslag"}),
        ("Hyresgästerna har makten att lämna förslag och rösta.", {"medborgarforslag"}),
        ("Regeringen uppdrar åt Inspektionen för strategiska produkter att analysera frågan samt lämna förslag "
         "till utformning av ett system för kontroller.", set()),
        ("Jordbruksverket har lämnat förslag på hur regelverket kan förenklas.", set()),
    ],
)
def test_proposals_are_residents_only_when_the_sentence_names_who(nlp, text, expected):
    assert _labels(nlp, text, "dialogue_methods") & {"medborgarforslag"} == expected


def test_a_cue_in_the_title_counts_more(nlp):
    taxonomy = labels.load_taxonomies()["dialogue_methods"]
    title = labels.classify([(0, nlp("Ny medborgarbudget i Ersboda\n\nKommunen satsar pengar."))],
                            {"dialogue_methods": taxonomy})["dialogue_methods"]
    body = labels.classify([(0, nlp("Kommunen satsar pengar.\n\nEn ny medborgarbudget i Ersboda."))],
                           {"dialogue_methods": taxonomy})["dialogue_methods"]
    assert title[0].score > body[0].score


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("threshold: 1\nlabels: not-a-list\n", "list under 'labels'"),
        ("threshold: -1\nlabels: []\n", "positive number"),
        ("threshold: 1\nlabels:\n  - {id: a, name: A, description: d}\n", "missing 'strong'"),
        ("threshold: 1\nlabels:\n  - {id: a, name: A, description: d, strong: [x]}\n"
         "  - {id: a, name: B, description: d, strong: [y]}\n", "duplicate id"),
        ("threshold: 1\nlabels: [\n", "cannot read"),
    ],
)
def test_an_invalid_taxonomy_is_a_clear_error(tmp_path, content, message):
    (tmp_path / "dialogue_methods.yaml").write_text(content)
    with pytest.raises(labels.TaxonomyError, match=message):
        labels.load_taxonomy(tmp_path / "dialogue_methods.yaml")


def test_an_analyst_can_add_a_label_without_code(tmp_path, nlp):
    data = yaml.safe_load((labels.TAXONOMY_DIR / "dialogue_methods.yaml").read_text())
    data["labels"].append({"id": "hackathon", "name": "Hackathon", "description": "d", "strong": ["hackathon"]})
    (tmp_path / "dialogue_methods.yaml").write_text(yaml.safe_dump(data, allow_unicode=True))
    taxonomy = labels.load_taxonomy(tmp_path / "dialogue_methods.yaml")
    doc = nlp("Kommunen ordnade ett hackathon för unga utvecklare.")
    found = labels.classify([(0, doc)], {"dialogue_methods": taxonomy})["dialogue_methods"]
    assert "hackathon" in {r.label for r in found}
