"""Every notebook in notebooks/ runs top to bottom in a Jupyter kernel (nbclient), as a
planner would run it; maps show inline; the notebooks are committed without outputs."""

from __future__ import annotations

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
def test_notebook_runs_top_to_bottom(path: Path, tmp_path: Path) -> None:
    """Executed in a kernel started in an empty folder (neither the repository root nor
    notebooks/: nothing may depend on the working folder); an assertion cell at the end of
    each holds a fact of its result. Every notebook shows at least one map or chart inline,
    and the kernel's matplotlib backend is still the inline one at the end (nothing called
    matplotlib.use or switched it)."""
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(
        "import matplotlib\nprint('backend:', matplotlib.get_backend())"))
    client = NotebookClient(nb, timeout=TIMEOUT, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}})
    client.execute()
    printed = "".join(o.get("text", "") for o in nb.cells[-1].outputs)
    assert "backend: module://matplotlib_inline.backend_inline" in printed, printed
    images = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
              if "image/png" in o.get("data", {})]
    assert images, f"{path.name}: no map or chart shown inline"
