"""Bytes → text: BOMs first, then strict UTF-8, then charset detection for legacy text.

Swedish pages that are not UTF-8 are Windows-1252 or ISO-8859-1/15, so the
detector (charset-normalizer) chooses among those; left to choose among all
code pages it reads "Åmål" as ISO-8859-3 or CP1250.
"""

from __future__ import annotations

import codecs
import re

from charset_normalizer import from_bytes

LEGACY_ENCODINGS = ["cp1252", "latin_1", "iso8859_15"]

# Magic numbers of formats that are sometimes saved with a .txt name.
_BINARY_MAGIC = {
    b"%PDF": "PDF",
    b"\x89PNG": "PNG",
    b"\xff\xd8\xff": "JPEG",
    b"GIF8": "GIF",
    b"PK\x03\x04": "ZIP/Office",
    b"\xd0\xcf\x11\xe0": "OLE/Office 97",
    b"\x7fELF": "ELF executable",
    b"\x1f\x8b": "gzip",
}
# A multi-byte UTF-8 sequence: its presence means the file was meant to be UTF-8.
_UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")


class DecodeError(ValueError):
    """The bytes are not text we can read; the message says why, for the quarantine table."""


def sniff_binary(data: bytes) -> str | None:
    """Name the binary format, or None when the bytes look like text."""
    for magic, name in _BINARY_MAGIC.items():
        if data.startswith(magic):
            return name
    if b"\x00" in data[:8192]:
        return "binary data (NUL bytes)"
    return None


def decode(data: bytes) -> tuple[str, str]:
    """Return (text, encoding name) or raise DecodeError with a precise reason."""
    if data.startswith(codecs.BOM_UTF8):
        return _strict(data[len(codecs.BOM_UTF8) :], "utf-8"), "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _strict(data, "utf-16"), "utf-16"
    binary = sniff_binary(data)
    if binary:
        raise DecodeError(f"binary content ({binary}), not text")
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as error:
        if _UTF8_MULTIBYTE.search(data):
            raise DecodeError(f"invalid UTF-8 at byte {error.start} (the rest of the file is UTF-8)") from None
    best = from_bytes(data, cp_isolation=LEGACY_ENCODINGS).best()
    if best is None:
        raise DecodeError("undecodable: not UTF-8 and no legacy Western encoding fits")
    return str(best), best.encoding


def _strict(data: bytes, encoding: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as error:
        raise DecodeError(f"invalid {encoding} at byte {error.start}") from None
