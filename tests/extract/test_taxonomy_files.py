"""A taxonomy is one data file: a new YAML file is a new label table, with no code changed."""

from __future__ import annotations

import shutil

import pytest
from conftest import sql

from flows.cli import main
from pipeline.resources import TAXONOMY_DIR

HACKATHONS = """\
title: Innovationsformer
what: innovation formats
threshold: 1.0
labels:
  - id: hackathon
    name: Hackathon
    description: Residents and developers build prototypes together over a day or two.
    strong: [hackathon, civic hack]
  - id: innovationstavling
    name: Innovationstävling
    description: A competition for new solutions.
    strong: [innovationstävling]
"""


def test_a_new_taxonomy_file_is_a_new_table_filled_and_checked(tmp_path):
    folder = tmp_path / "taxonomies"
    shutil.copytree(TAXONOMY_DIR, folder)
    (folder / "innovation_formats.yaml").write_text(HACKATHONS, encoding="utf-8")
    source = tmp_path / "in"
    source.mkdir()
    (source / "nyhet.txt").write_text(
        "Umeå kommun bjöd in till ett hackathon om kollektivtrafik.\n\n"
        "Under helgen byggde invånare och utvecklare prototyper på hackathonet, och kommunen höll ett "
        "dialogmöte om resultaten.", encoding="utf-8")
    out = tmp_path / "out"
    assert main(["run", str(source), "--output", str(out), "--taxonomies", str(folder)]) == 0
    assert sql(out, "SELECT label FROM innovation_formats") == [("hackathon",)]
    assert ("dialogmote",) in sql(out, "SELECT label FROM dialogue_methods")  # the shipped ones still run
    assert main(["check", "--processed", str(out)]) == 0
    assert main(["query", "SELECT count(*) FROM innovation_formats", "--processed", str(out)]) == 0
    assert main(["report", "--processed", str(out), "--out", str(tmp_path / "r.html")]) == 0
    assert "Innovationsformer" in (tmp_path / "r.html").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", ["documents", "Bad-Name"])
def test_a_taxonomy_file_name_must_be_a_table_name(tmp_path, name):
    (tmp_path / f"{name}.yaml").write_text(HACKATHONS, encoding="utf-8")
    assert main(["run", str(tmp_path), "--output", str(tmp_path / "out"), "--taxonomies", str(tmp_path)]) == 1
