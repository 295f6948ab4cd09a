"""Every notebook in notebooks/ runs top to bottom in a Jupyter kernel (nbclient), as a
planner would run it; maps show inline; the notebooks are committed without outputs."""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))
TIMEOUT = 300  # seconds per cell


def test_there_are_notebooks() -> None:
    assert {p.stem for p in NOTEBOOKS} >= {"compare_placements", "tradeoff_volume_travel",
                                           "rollout", "vulnerability"}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_committed_without_outputs(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert not cell.outputs and cell.execution_count is None, path.name


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs_top_to_bottom(path: Path) -> None:
    """Executed in a kernel from the notebooks folder; an assertion cell at the end of each
    holds a fact of its result. Every notebook shows at least one map or chart inline."""
    nb = nbformat.read(path, as_version=4)
    env_before = os.environ.get("MPLBACKEND")
    client = NotebookClient(nb, timeout=TIMEOUT, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    client.execute()
    assert os.environ.get("MPLBACKEND") == env_before
    images = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
              if "image/png" in o.get("data", {})]
    assert images, f"{path.name}: no map or chart shown inline"
