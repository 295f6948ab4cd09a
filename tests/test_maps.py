"""Maps: static PNGs (legible: labels, a size legend, a capped colour scale), interactive
HTML, difference and vulnerability maps; never the global matplotlib backend."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import write_tiny
from typer.testing import CliRunner

from specialeplan.cli import app
from specialeplan.maps import (
    BORNHOLM_LON,
    MapFigure,
    _shift,
    nice_cap,
    plot_difference,
    plot_speciale,
)
from specialeplan.maps_html import speciale_html


@pytest.fixture(scope="module")
def two_plans(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The tiny line (conftest): plan A = {P1}; plan B forbids P1 → {P0, P2}."""
    root = tmp_path_factory.mktemp("maps")
    scen = write_tiny(root)
    runner = CliRunner()
    res = runner.invoke(app, ["run", str(scen), "--out", str(root / "r"), "--quiet",
                              "--maps"])
    assert res.exit_code == 0, res.output
    b = root / "b.yaml"
    b.write_text("name: b\nextends: tiny.yaml\nmodel:\n  forbidden: [{provider_id: P1, "
                 "speciale: A}]\n", encoding="utf-8")
    assert runner.invoke(app, ["run", str(b), "--out", str(root / "r"),
                               "--quiet"]).exit_code == 0
    return root / "r" / "tiny", root / "r" / "b"


def test_maps_module_leaves_the_backend_alone() -> None:
    code = ("import matplotlib; matplotlib.use('svg'); import specialeplan.maps, "
            "specialeplan.maps_html; assert matplotlib.get_backend() == 'svg', "
            "matplotlib.get_backend()")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_sweep_and_frontier_plots_leave_pyplot_alone(tmp_path: Path) -> None:
    """The Pareto, stability and frontier PNGs of a sweep run from a notebook: the kernel's
    backend stays and its open figures stay open."""
    code = f"""
import matplotlib
matplotlib.use("svg")
import matplotlib.pyplot as plt
import pandas as pd
from specialeplan.frontier import write_frontier_plot
from specialeplan.sweep_report import write_pareto, write_stability
mine = plt.figure()
out = {str(tmp_path)!r}
t = pd.DataFrame({{"run": ["a", "b", "c"], "status": ["optimal"] * 3,
                  "x": [1.0, 2.0, 3.0], "y": [3.0, 1.0, 2.0]}})
write_pareto(t, ["x", "y"], out + "/p.png")
st = pd.DataFrame({{"speciale": ["A", "A"], "provider_id": ["P0", "P1"],
                   "provider_name": ["n0", "n1"], "municipality_name": ["m", "m"],
                   "share": [1.0, 0.5]}})
write_stability(st, out + "/s.png", n_runs=2)
f = pd.DataFrame({{"limit": [3.0, 2.0], "travel": [3.0, 2.0], "objective": [1.0, 2.0],
                  "non_dominated": [True, True]}})
write_frontier_plot(f, out + "/f.png", bound="travel", minimise="objective")
assert matplotlib.get_backend() == "svg", matplotlib.get_backend()
assert plt.get_fignums() == [mine.number], plt.get_fignums()
"""
    subprocess.run([sys.executable, "-c", code], check=True)
    assert all((tmp_path / f"{n}.png").stat().st_size > 1000 for n in "psf")


def test_nice_cap_stops_the_scale_before_the_outliers() -> None:
    values = np.array([0, 2, 3, 5, 8, 10, 12, 15, 18, 150, 190, np.nan])
    cap, above = nice_cap(values, 0.8)
    assert 15 <= cap < 150 and above
    assert nice_cap(np.array([1.0, 2.0]), 0.9) == (10.0, False)


def test_bornholm_is_drawn_in_its_box() -> None:
    lon, lat = _shift(np.array([12.5, 14.9]), np.array([55.7, 55.1]))
    assert lon[0] == 12.5 and lon[1] < BORNHOLM_LON and lat[1] > 55.1


def test_static_map_is_labelled_with_a_size_legend(two_plans: tuple[Path, Path]) -> None:
    a, _ = two_plans
    fig = plot_speciale(a, "A")
    texts = [t.get_text() for ax in fig.axes for t in ax.texts]
    assert "P1" in texts  # the specialfunktion's label (the provider's name)
    legends = [t.get_text() for ax in fig.axes for leg in ax.findobj(
        lambda o: o.__class__.__name__ == "Legend") for t in leg.get_texts()]
    assert any("borgerforløb/year" in leg.get_title().get_text()
               for ax in fig.axes for leg in ax.findobj(
                   lambda o: o.__class__.__name__ == "Legend"))
    assert legends  # the size legend's entries
    assert isinstance(fig, MapFigure) and fig._repr_png_()[:4] == b"\x89PNG"
    assert (a / "maps" / "A.png").stat().st_size > 10_000
    assert (a / "maps" / "A.html").is_file()  # run --maps draws the interactive one too


def test_html_map_has_tooltips(two_plans: tuple[Path, Path], tmp_path: Path) -> None:
    a, _ = two_plans
    path = tmp_path / "a.html"
    speciale_html(a, "A").save(str(path))
    html = path.read_text(encoding="utf-8")
    assert "rådgivningsfunktion" in html and "borgerforløb" in html
    assert "P1" in html and "mean family travel" in html


def test_difference_map(two_plans: tuple[Path, Path]) -> None:
    a, b = two_plans
    fig = plot_difference(a, b, "A")
    assert any("2 opened, 1 closed, 0 kept" in t.get_text() for t in fig.texts)
    res = CliRunner().invoke(app, ["map", str(a), "--compare", str(b)])
    assert res.exit_code == 0, res.output
    assert (a / "maps" / "vs_b" / "A.png").stat().st_size > 10_000


def test_map_command_errors_are_clear(two_plans: tuple[Path, Path]) -> None:
    a, _ = two_plans
    res = CliRunner().invoke(app, ["map", str(a), "--speciale", "nope"])
    assert res.exit_code == 2 and "nope" in res.output
