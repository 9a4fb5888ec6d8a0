"""A plain `pip install .` with the pip Python bundles (no extras, no constraints) gives a working product.

That pip (23.x with Python 3.11) does not resolve extras that dependencies ask for (justext's
`lxml[html_clean]`), so every package imported at run time must be named in pyproject.toml; this
installs the package as a new user without `make` would (in the background, from collection on) and
runs it on an HTML page.
"""

from __future__ import annotations

import shutil
import subprocess

import duckdb
import pytest
from conftest import PLAIN_INSTALL

PAGE = """<html><head><title>Ny skola i Nödinge</title></head><body><nav>Meny</nav><article>
<h1>Ny skola i Nödinge</h1><p>Kommunfullmäktige i Ale kommun beslutade på måndagen att bygga en ny skola
i Nödinge. Beslutet föregicks av flera dialogmöten med föräldrar och elever under våren.</p>
<p>Kommunstyrelsens ordförande Anna Karlsson (S) välkomnar beslutet.</p></article></body></html>"""


@pytest.mark.slow
def test_a_plain_pip_install_runs_on_an_html_page(tmp_path, request):
    installation = request.config.stash[PLAIN_INSTALL].wait()  # begun at collection (tests/plain_install.py)
    assert installation.returncode == 0, installation.stderr[-3000:]
    environment = installation.environment
    pages = tmp_path / "raw"
    pages.mkdir()
    (pages / "nyhet.html").write_text(PAGE, encoding="utf-8")
    out = tmp_path / "out"
    result = subprocess.run([environment / "bin" / "kommunnlp", "run", str(pages), "--output", str(out)],
                            cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    con = duckdb.connect()
    documents = con.execute(f"SELECT title, text FROM read_parquet('{out}/documents/*.parquet')").fetchall()
    assert len(documents) == 1 and "Nödinge" in documents[0][1]
    entities = {row[0] for row in con.execute(f"SELECT text FROM read_parquet('{out}/entities/*.parquet')").fetchall()}
    assert "Anna Karlsson" in entities
    shutil.rmtree(installation.root)  # a gigabyte of packages
