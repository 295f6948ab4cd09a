"""Maps: static PNGs (legible: labels, a size legend, a capped colour scale), interactive
HTML, difference and vulnerability maps; never the global matplotlib backend."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import folium
import numpy as np
import pandas as pd
import pytest
from conftest import write_tiny
from matplotlib import colormaps
from matplotlib.collections import PolyCollection
from typer.testing import CliRunner

from specialeplan.cli import app
from specialeplan.maps.interactive import speciale_html, vulnerability_html
from specialeplan.maps.static import (
    BORNHOLM_LON,
    LOST,
    MapFigure,
    _capped_colorbar,
    _damage_levels,
    _shift,
    nice_cap,
    plot_difference,
    plot_speciale,
    plot_vulnerability,
)


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
    code = ("import matplotlib; matplotlib.use('svg'); import specialeplan.maps.static, "
            "specialeplan.maps.interactive; assert matplotlib.get_backend() == 'svg', "
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
from specialeplan.analyses.frontier import write_frontier_plot
from specialeplan.analyses.sweep_report import write_pareto, write_stability
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


def _tooltips(m: folium.Map) -> tuple[list[str], list[str]]:
    """The marker tooltips and the municipality tooltips of a folium map."""
    def walk(e: object) -> Iterator[object]:
        yield e
        for c in e._children.values():  # type: ignore[attr-defined]
            yield from walk(c)
    markers = [e.text for e in walk(m) if isinstance(e, folium.Tooltip)]
    areas = [f["properties"]["tip"] for e in walk(m) if isinstance(e, folium.GeoJson)
             for f in e.data["features"]]
    return markers, areas


def test_html_map_has_tooltips(two_plans: tuple[Path, Path], tmp_path: Path) -> None:
    a, _ = two_plans
    m = speciale_html(a, "A")
    markers, areas = _tooltips(m)
    assert len(markers) == 1  # P1, the only specialfunktion
    assert "<b>P1</b> (P1)" in markers[0] and "30.0 borgerforløb" in markers[0]
    assert "rådgivningsfunktion</b>, advises 3 municipalities" in markers[0]
    assert "provider capacity" in markers[0] and "mean family travel" in markers[0]
    assert len(areas) == 3 and all("mean family travel" in t and "rådgivning from: P1"
                                   in t for t in areas)
    path = tmp_path / "a.html"
    m.save(str(path))
    assert path.stat().st_size > 10_000


@pytest.mark.parametrize("cap", [35.0, 75.0, 450.0])
def test_capped_colour_bar_always_says_at_least_the_cap(cap: float) -> None:
    fig = MapFigure()
    cb = _capped_colorbar(fig, colormaps["viridis_r"], cap, True, "minutes")
    fig.draw_without_rendering()
    ticks, labels = cb.get_ticks(), [t.get_text() for t in cb.ax.get_yticklabels()]
    assert ticks[-1] == cap and labels[-1] == f"≥ {cap:g}"
    assert not any(lab.startswith("≥") for lab in labels[:-1])
    assert all(t < 0.92 * cap for t in ticks[:-1])  # no label overlapping the cap's


def test_difference_map_shows_lost_service_as_such(two_plans: tuple[Path, Path],
                                                   tmp_path: Path) -> None:
    """B serves nobody in 151 (hand-edited): not "0 minutes, shorter" but hatched LOST."""
    a, b = two_plans
    lost = tmp_path / "lost"
    shutil.copytree(b, lost)
    cov = pd.read_csv(lost / "coverage.csv", dtype={"municipality_code": str})
    row = cov["municipality_code"] == "151"
    cov.loc[row, ["served", "unmet", "mean_travel_minutes"]] = [0.0, 10.0, np.nan]
    cov.to_csv(lost / "coverage.csv", index=False)
    fig = plot_difference(a, lost, "A", labels=False)
    ax = fig.axes[0]
    shapes = [c for c in ax.collections if isinstance(c, PolyCollection)][:3]  # 101, 147, 151
    assert shapes[2].get_hatch() == "xxxx"
    assert tuple(shapes[2].get_facecolor()[0]) == pytest.approx(LOST)
    assert shapes[0].get_hatch() is None and shapes[1].get_hatch() is None
    legend = [t.get_text() for leg in fig.legends for t in leg.get_texts()]
    assert "not served in B" in legend and "not served in A" not in legend
    # the other way round: A → lost, 151 is gained
    fig = plot_difference(lost, a, "A", labels=False)
    shapes = [c for c in fig.axes[0].collections if isinstance(c, PolyCollection)][:3]
    assert shapes[2].get_hatch() == "...."
    assert "not served in A" in [t.get_text() for leg in fig.legends for t in leg.get_texts()]


def _vulnerability_folder(folder: Path) -> Path:
    """Three closures of speciale A: 500, 1490 and one that leaves no solution (inf)."""
    folder.mkdir()
    pd.DataFrame({
        "rank": [1, 2, 3], "closure": ["P2/A", "P1/A", "P0/A"],
        "provider_id": ["P2", "P1", "P0"], "function": ["A"] * 3,
        "displaced": [10.0, 10.0, 10.0], "damage": [np.inf, 1490.0, 500.0],
        "unmet_added": [np.nan, 0.0, 0.0], "travel_added": [np.nan, 300.0, 100.0],
        "travel_added_per_displaced": [np.nan, 30.0, 10.0], "reach_lost": [0, 0, 0],
        "pushed_to_capacity": [0, 0, 0], "broken_rules": ["no solution", "", ""],
    }).to_csv(folder / "vulnerability.csv", index=False)
    return folder


def test_vulnerability_maps_draw_no_solution_apart(two_plans: tuple[Path, Path],
                                                   tmp_path: Path) -> None:
    a, _ = two_plans
    vf = _vulnerability_folder(tmp_path / "v")
    fig = plot_vulnerability(vf, a, "A", labels=False)
    ax = fig.axes[0]
    dots = [c for c in ax.collections if c.__class__.__name__ == "PathCollection"]
    coloured, unsolved = dots[0], dots[1]
    assert len(unsolved.get_offsets()) == 1
    assert tuple(unsolved.get_facecolor()[0]) == (0.0, 0.0, 0.0, 1.0)
    assert sorted(coloured.get_array()) == [500.0, 1490.0]  # inf is not the top class
    assert coloured.norm.boundaries[-1] >= 1490  # the top class holds the largest damage
    assert "no solution without it" in [t.get_text() for leg in fig.legends
                                        for t in leg.get_texts()]
    markers, _ = _tooltips(vulnerability_html(vf, a))
    assert sum("damage no solution without it" in t for t in markers) == 1
    assert any("damage 1,490" in t for t in markers)


def test_damage_levels_round_the_top_up() -> None:
    assert _damage_levels(np.array([0.0, 100.0, 1490.0, np.inf]))[-1] == 1500
    assert _damage_levels(np.array([7.2]))[-1] == 8
    levels = _damage_levels(np.array([3.0, 40.0, 95.0, 980.0]))
    assert levels == sorted(set(levels)) and levels[-1] >= 980


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
