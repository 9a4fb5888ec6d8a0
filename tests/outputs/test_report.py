"""The run report: a self-contained page, rendered for real in headless Chromium."""

import shutil
import subprocess

import pytest
from conftest import EXAMPLES, run

from flows.cli import main

SECTIONS = ("counts", "latest-run", "languages", "quarantine", "top-entities", "dialogue_methods",
            "cooperation_themes", "documents")


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("processed")
    run(EXAMPLES, out)
    page = out.parent / "report.html"
    assert main(["report", "--processed", str(out), "--out", str(page)]) == 0
    return page


def test_report_is_self_contained_with_every_section(report):
    text = report.read_text(encoding="utf-8")
    for section in SECTIONS:
        assert f"id='{section}'" in text
    assert "<script" not in text and "http://" not in text.replace("http://www.w3.org/2000/svg", "")
    assert "trasig-front-matter.md" in text  # the quarantined example, with its reason
    assert "entities" in text or "entity" in text  # displaCy's highlighted mentions


def test_report_renders_in_headless_chromium(report, tmp_path):
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("Chromium is not installed (.ci/system-deps installs it)")
    result = subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}",
         "--enable-logging=stderr", "--v=0", "--dump-dom", report.as_uri()],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    dom = result.stdout
    for section in SECTIONS:
        assert f'id="{section}"' in dom
    assert "Uncaught" not in result.stderr and "CONSOLE" not in result.stderr
    assert "Sundsvall" in dom and "<svg" in dom


def test_report_for_an_unknown_run_is_a_clear_error(tmp_path, capsys):
    out = tmp_path / "processed"
    run(EXAMPLES, out)
    assert main(["report", "--processed", str(out), "--run", "nope", "--out", str(tmp_path / "r.html")]) == 1
    assert "no run 'nope'" in capsys.readouterr().err


def test_the_default_report_covers_the_outputs_after_a_run_that_found_nothing_new(tmp_path):
    out = tmp_path / "processed"
    run(EXAMPLES, out)
    run(EXAMPLES, out)  # a scheduled run over unchanged input
    page = tmp_path / "r.html"
    assert main(["report", "--processed", str(out), "--out", str(page), "--max-documents", "2"]) == 0
    text = page.read_text(encoding="utf-8")
    assert "Inget att visa" not in text.split("id='languages'")[1].split("id='quarantine'")[0]
    assert "Sundsvall" in text and "Medborgarbudget" in text  # entities and the labels' Swedish names
    assert "Visar de första 2 av 6 dokument" in text and "--max-documents 0" in text
    assert "Dialogmetoder" in text and "Samarbetsteman" in text
    assert main(["report", "--processed", str(out), "--out", str(page)]) == 0
    assert "Visar de första" not in page.read_text(encoding="utf-8")


def test_long_names_fit_their_chart():
    from pipeline.outputs.report import _bars

    name = "Myndigheten för familjerätt och föräldraskapsstöd och ännu längre namn"
    svg = _bars([(name, 3), ("Umeå", 1)])
    width = int(svg.split("width='")[1].split("'")[0])
    assert width > 7 * 40 and f"<title>{name}: 3</title>" in svg and "…" in svg
