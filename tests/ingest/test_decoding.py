import codecs

import pytest

from pipeline.ingest.decoding import DecodeError, decode

SWEDISH = "Åmål och Örebro – kommunernas äldreomsorg får “nya” pengar."


def test_utf8_with_and_without_bom():
    assert decode(SWEDISH.encode("utf-8")) == (SWEDISH, "utf-8")
    assert decode(codecs.BOM_UTF8 + SWEDISH.encode("utf-8")) == (SWEDISH, "utf-8-sig")


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_with_bom(encoding):
    data = SWEDISH.encode(encoding)
    if encoding != "utf-16":  # the -le/-be codecs write no BOM; add the right one
        data = (codecs.BOM_UTF16_LE if encoding.endswith("le") else codecs.BOM_UTF16_BE) + data
    assert decode(data)[0] == SWEDISH


def test_windows_1252_swedish_is_detected():
    text, encoding = decode(SWEDISH.encode("cp1252"))
    assert text == SWEDISH
    assert encoding == "cp1252"


def test_latin1_swedish_is_detected():
    text, _ = decode("Här bor många i Västerås och Borås.".encode("latin-1"))
    assert text == "Här bor många i Västerås och Borås."


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "PDF"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "PNG"),
        (b"text\x00with\x00nul", "NUL"),
    ],
)
def test_binary_is_refused_with_its_kind(data, reason):
    with pytest.raises(DecodeError, match=reason):
        decode(data)


def test_invalid_utf8_in_an_otherwise_utf8_file_is_refused():
    data = "Umeå kommun".encode() + b" \xff\xfe trasigt " + "Luleå".encode()
    with pytest.raises(DecodeError, match="invalid UTF-8 at byte"):
        decode(data)
