import unicodedata

from pipeline.ingest.cleaning import clean_text, normalize_text

SCRAPE = """Hoppa till huvudinnehållet
Vi använder kakor för att ge dig en bättre upplevelse. Läs mer om kakor
Meny
Startsida > Kommun och politik > Nyheter
Ny förskola i Borlänge

Borlänge kommun bygger en ny förskola.

Den öppnar 2026.
Senast ändrad: 2020-07-01
Dela sidan
Skriv ut
Är du nöjd med informationen på sidan?
Ja
Nej
Chatta med oss"""


def test_web_chrome_lines_are_dropped_and_paragraphs_kept():
    assert clean_text(SCRAPE) == "Ny förskola i Borlänge\n\nBorlänge kommun bygger en ny förskola.\n\nDen öppnar 2026."


def test_article_sentences_that_mention_cookies_or_menus_are_kept():
    text = "Kommunen serverar kakor på biblioteket.\nMenyn i skolan är ny."
    assert clean_text(text) == text


def test_normalization_is_nfc_without_controls_and_with_unix_newlines():
    decomposed = unicodedata.normalize("NFD", "Västerås\r\nÖrebro\x07 \u200bkommun")
    assert normalize_text(decomposed) == "Västerås\nÖrebro kommun"


def test_cleaning_is_idempotent():
    once = clean_text(SCRAPE)
    assert clean_text(once) == once


def test_invisible_characters_are_removed_so_words_stay_whole():
    # soft hyphen, zero-width space, word joiner, zero-width no-break space, left-to-right mark
    text = "kommun\u00adstyrelsens ordförande Anna\u200b Berg i Umeå\u2060 kommun\ufeff och Sala\u200e"
    assert normalize_text(text) == "kommunstyrelsens ordförande Anna Berg i Umeå kommun och Sala"
