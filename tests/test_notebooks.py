"""Every notebook in notebooks/ runs top to bottom (its code cells, in order)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))


def test_there_are_notebooks() -> None:
    assert NOTEBOOKS


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs(path: Path) -> None:
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    namespace: dict[str, object] = {"__name__": "__main__"}
    cwd = os.getcwd()
    os.chdir(path.parents[1])
    try:
        for i, cell in enumerate(c for c in cells if c["cell_type"] == "code"):
            source = "".join(cell["source"])
            exec(compile(source, f"{path.name}[cell {i}]", "exec"), namespace)  # noqa: S102
    finally:
        os.chdir(cwd)
    kpis = namespace["kpis"]
    # a stricter minimum volume can only keep or reduce the number of specialfunktioner
    assert kpis.loc["specialfunktioner", "min_cases=30"] <= kpis.loc[
        "specialfunktioner", "min_cases=10"]
