"""Nothing lost, nothing corrupted: a catalogue of bad inputs, generated here, among good documents."""

from __future__ import annotations

import codecs
import json
import os
import unicodedata
from pathlib import Path

import pytest
from conftest import run, sql

from pipeline.ingest.discover import discover
from pipeline.ingest.read import read_inputs

GOOD = {
    "bra-1.txt": "Umeå kommun bjuder in till dialogmöte om den nya parken i centrum.\n",
    "bra-2.md": "---\ntitle: Ny skola\n---\nLuleå kommun bygger en ny skola för 400 elever.\n",
    "bra-3.txt": "Västerås stad startar en medborgarbudget för unga i tre stadsdelar.\n",
}
SWEDISH = "Åsa på Öland läser en nyhet om äldreomsorgen i Kalmar kommun och Växjö kommun."


def make_catalogue(root) -> dict[str, tuple[str, str | None]]:
    """Write every kind of bad input; returns name → (expected outcome, reason fragment)."""
    for name, text in GOOD.items():
        (root / name).write_text(text, encoding="utf-8")
    expected: dict[str, tuple[str, str | None]] = {n: ("document", None) for n in GOOD}

    def put(name: str, data: bytes, outcome: str, reason: str | None = None) -> None:
        (root / name).write_bytes(data)
        expected[name] = (outcome, reason)

    put("tom.txt", b"", "quarantined", "empty file")
    put("blanksteg.txt", b" \n\t \r\n  ", "quarantined", "only white space")
    put("pdf.txt", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n", "quarantined", "PDF")
    put("png.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "quarantined", "PNG")
    put("trasig-utf8.txt", "Umeå kommun ".encode() + b"\xc3\x28 \xff" + " Luleå".encode(), "quarantined",
        "invalid UTF-8")
    put("utf16.txt", codecs.BOM_UTF16_LE + (SWEDISH + " (1)").encode("utf-16-le"), "document")
    put("windows-1252.txt", (SWEDISH + " (2)").encode("cp1252"), "document")
    put("nfd.txt", unicodedata.normalize("NFD", SWEDISH + " (3)").encode(), "document")
    put("stor.txt", b"", "quarantined", "over the")  # replaced below by a sparse 50 MB file
    with open(root / "stor.txt", "wb") as handle:
        handle.truncate(50 * 1024 * 1024)
    line = ("The municipality publishes its minutes every week and residents may comment on them. " * 60_000)
    put("en-rad.txt", line[: 5 * 1024 * 1024].encode(), "document")
    put("trasig-yaml.md", b'---\ntitle: "oavslutad\ndate: [2024\n---\nText.\n', "quarantined", "front matter")
    put("djup.html", ("<html><body>" + "<div>" * 10_000 + "<p>Mora kommun satsar på skolan och biblioteket "
                      "i centrum under hösten.</p>" + "</div>" * 10_000 + "</body></html>").encode(), "any")
    put("blandat.jsonl", (json.dumps({"text": "Kiruna kommun flyttar stadskärnan österut."}) + "\n{trasig\n"
                          + json.dumps({"text": "Gällivare kommun bygger ett nytt badhus."}) + "\n").encode(), "any")
    put("emoji.txt", ("😀🎉🏛️ \u202e\u200f ‮ \x07\x1b " * 50).encode(), "quarantined", "no language")
    os.symlink(root / "loop-b", root / "loop-a")
    os.symlink(root / "loop-a", root / "loop-b")
    expected["loop-a"] = expected["loop-b"] = ("quarantined", "symbolic link loop")
    return expected


def test_every_bad_input_is_accounted_for_and_the_good_ones_processed(tmp_path):
    source, out = tmp_path / "in", tmp_path / "out"
    source.mkdir()
    expected = make_catalogue(source)
    summary = run(source, out)

    status = dict(sql(out, "SELECT source_path, status FROM files"))
    reasons = dict(sql(out, "SELECT source_path, reason FROM quarantine"))
    for name, (outcome, reason) in expected.items():
        if name.endswith(".jsonl"):
            assert status[f"{name}#1"] == "document" and status[f"{name}#3"] == "document"
            assert status[f"{name}#2"] == "quarantined" and "invalid JSON" in reasons[f"{name}#2"]
            continue
        assert name in status, f"{name} is not accounted for"
        if outcome != "any":
            assert status[name] == outcome, (name, status[name], reasons.get(name))
        if reason:
            assert reason in reasons[name], (name, reasons[name])
    texts = dict(sql(out, "SELECT source_path, text FROM documents"))
    assert texts["utf16.txt"] == SWEDISH + " (1)" and texts["windows-1252.txt"] == SWEDISH + " (2)"
    assert texts["nfd.txt"] == SWEDISH + " (3)"  # stored NFC, like every other text
    languages = dict(sql(out, "SELECT source_path, language FROM documents"))
    assert all(languages[n] == "sv" for n in ("utf16.txt", "windows-1252.txt", "nfd.txt", *GOOD))
    assert summary["files"] == summary["new"] + summary["unchanged"] + summary["duplicates"] + summary["quarantined"]
    assert summary["quarantined"] == len(reasons)
    assert summary["integrity_ok"]


def test_a_file_that_vanishes_between_discovery_and_reading_is_quarantined(tmp_path):
    (tmp_path / "a.txt").write_text("Umeå kommun bygger en ny skola.")
    items = discover(tmp_path)
    (tmp_path / "a.txt").unlink()
    [outcome] = read_inputs(items, {})
    assert (outcome.status, outcome.stage, outcome.reason) == ("quarantined", "read",
                                                               "file vanished before it could be read")


READ_AS_NOBODY = """
import sys
from pathlib import Path
from pipeline.ingest.discover import discover
from pipeline.ingest.read import read_inputs
[outcome] = read_inputs(discover(Path(sys.argv[1])), {})
print(outcome.status, outcome.stage, outcome.reason, sep="|")
"""


def _unprivileged_python() -> tuple[list[str], dict]:
    """As root: the system's Python 3.11 (the project's may live under /root), with our packages on its path."""
    import shutil
    import sys
    import sysconfig

    from conftest import REPO

    if os.geteuid() != 0:
        return [sys.executable], {}
    system = shutil.which("python3.11", path="/usr/bin:/usr/local/bin") or sys.executable
    path = os.pathsep.join([str(REPO), sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]])
    return [system, "-S"], {"PYTHONPATH": path}


def test_an_unreadable_file_is_quarantined():
    """Root reads every file, so as root the reading runs in a child that drops to the user nobody."""
    import shutil
    import subprocess
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="kommunnlp-perm-", dir="/tmp"))
    try:
        folder.chmod(0o755)
        (folder / "hemlig.txt").write_text("Umeå kommun.")
        (folder / "hemlig.txt").chmod(0)
        python, env = _unprivileged_python()
        demote = (lambda: (os.setgid(65534), os.setuid(65534))) if os.geteuid() == 0 else None
        try:
            result = subprocess.run([*python, "-c", READ_AS_NOBODY, str(folder)], capture_output=True, text=True,
                                    preexec_fn=demote, cwd="/tmp", timeout=120, env={**os.environ, **env})
        except PermissionError as error:
            pytest.skip(f"the user nobody cannot run a Python here ({error}); root reads every file")
        if result.returncode != 0 and "Permission denied" in result.stderr and "hemlig" not in result.stderr:
            pytest.skip(f"the user nobody cannot read the project here: {result.stderr[-300:]}")
        assert result.stdout.strip() == "quarantined|read|permission denied", result.stderr[-2000:]
    finally:
        shutil.rmtree(folder, ignore_errors=True)
