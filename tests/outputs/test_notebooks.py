"""The notebooks run top to bottom against the example output, so they never rot."""

import os

import nbformat
import pytest
from conftest import EXAMPLES, REPO, SHARED, run
from nbclient import NotebookClient

NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))


@pytest.fixture(scope="module")
def example_output(tmp_path_factory):
    out = tmp_path_factory.mktemp("processed")
    run(EXAMPLES, out)
    return out


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs_and_is_committed_without_outputs(path, example_output, monkeypatch):
    notebook = nbformat.read(path, as_version=4)
    assert all(not cell.get("outputs") for cell in notebook.cells if cell.cell_type == "code"), \
        "commit notebooks without outputs"
    monkeypatch.setenv("KOMMUNNLP_PROCESSED", str(example_output))
    gold = SHARED / "corpus" / "dev" / "gold.jsonl"
    if gold.exists():
        monkeypatch.setenv("KOMMUNNLP_GOLD", str(gold))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.setenv("PYTHONPATH", str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    NotebookClient(notebook, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    errors = [o for cell in notebook.cells for o in cell.get("outputs", []) if o.get("output_type") == "error"]
    assert errors == []
    assert sum(len(cell.get("outputs", [])) for cell in notebook.cells) >= 3
