import datetime as dt

import pytest

from pipeline.ingest.formats import ParseError, parse_html, parse_jsonl_line, parse_markdown
from pipeline.ingest.metadata import published_of, title_of


def test_markdown_front_matter_becomes_metadata_and_links_keep_their_text():
    source = "---\ntitle: Hej\ndate: 2019-03-18\n---\n# Rubrik\n\nSe [boendebudgeten](https://x.se) i *Paris*.\n"
    parsed = parse_markdown(source)
    assert parsed.metadata == {"title": "Hej", "date": "2019-03-18"}
    assert parsed.text == "Hej\n\nRubrik\n\nSe boendebudgeten i Paris."  # the title opens the text


def test_markdown_html_blocks_keep_their_text():
    parsed = parse_markdown('Före\n\n<figure><img src="a.jpg"><figcaption>Bildtext här</figcaption></figure>\n\nEfter')
    assert parsed.text == "Före\n\nBildtext här\n\nEfter"


def test_broken_front_matter_is_a_parse_error():
    with pytest.raises(ParseError, match="front matter"):
        parse_markdown('---\ntitle: "unterminated\ndate: [2024\n---\ntext')


def test_html_main_text_without_navigation_and_title_from_page():
    page = """<html><head><title>Sidtitel</title></head><body>
    <nav><a href="/">Startsida</a> <a href="/a">Om kommunen</a></nav>
    <main><h1>Nytt äldreboende i Kalmar</h1>
    <p>Kalmar kommun öppnar ett nytt äldreboende med 60 platser i centrala staden under hösten.</p>
    <p>Boendet byggs med fokus på trygghet, gemenskap och närhet till service för de äldre.</p></main>
    <footer>Kalmar kommun, växel 0480-00 00 00</footer></body></html>"""
    parsed = parse_html(page)
    assert "Kalmar kommun öppnar ett nytt äldreboende" in parsed.text
    assert "Om kommunen" not in parsed.text
    assert parsed.metadata["title"] in ("Sidtitel", "Nytt äldreboende i Kalmar")


def test_jsonl_line_text_and_metadata():
    parsed = parse_jsonl_line('{"text": "Hej Umeå", "title": "T", "published": "2024-01-02"}')
    assert parsed.text == "Hej Umeå"
    assert parsed.metadata == {"title": "T", "published": "2024-01-02"}
    with pytest.raises(ParseError, match="invalid JSON"):
        parse_jsonl_line('{"text": ')
    with pytest.raises(ParseError, match="no string field 'text'"):
        parse_jsonl_line('{"body": "x"}')


@pytest.mark.parametrize(
    ("metadata", "raw", "path", "expected"),
    [
        ({"date": "2019-03-18 14:21:40"}, "", "a.md", dt.date(2019, 3, 18)),
        ({}, "Text\nSenast ändrad: 2020-07-01\n", "a.txt", dt.date(2020, 7, 1)),
        ({}, "Publicerad 12 mars 2021", "a.txt", dt.date(2021, 3, 12)),
        ({}, "Sidan publicerades 2022-11-03", "a.txt", dt.date(2022, 11, 3)),
        ({}, "Ingen datumrad", "nyheter/2018/05/a.txt", dt.date(2018, 5, 1)),
        ({}, "Ingen datumrad", "gov-2023-02-15-besok.md", dt.date(2023, 2, 15)),
        ({}, "Ingen datumrad", "a.txt", None),
    ],
)
def test_published_date_sources(metadata, raw, path, expected):
    assert published_of(metadata, raw, path) == expected


def test_title_from_metadata_else_first_line():
    assert title_of({"title": "  Hej  där "}, "x") == "Hej där"
    assert title_of({}, "\n# Rubrik\n\nText") == "Rubrik"
