"""The run report: a self-contained page, rendered for real in headless Chromium."""

import shutil
import subprocess

import pytest
from conftest import EXAMPLES, run

from flows.cli import main

SECTIONS = ("counts", "languages", "quarantine", "top-entities", "dialogue_methods", "cooperation_themes",
            "documents")


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
