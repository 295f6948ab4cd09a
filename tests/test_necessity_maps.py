"""Necessity maps of a search for alternatives (issue 24, part 3): per speciale, the providers
of ``necessity.csv`` coloured by their map class, the best plan's specialfunktioner filled and
large, the other candidates hollow; the interactive version with a popup per provider; a
clear error when the folder has no necessity.csv.

The folder comes from a real search on the tie of tests/test_alternatives.py (line
m0–m1–m2; type A: P0 and P2 tie, P1 costs 50 more; type B: only P1), at slack 0: the best
plan's A designation is replaceable by the other half of the tie, P1's B designation is
needed, the other tie provider is a possible candidate for A, P1 for A is never within the
slack.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import folium
import numpy as np
import pandas as pd
import pytest
from conftest import write_tie
from matplotlib.colors import to_rgba

from specialeplan.analyses.alternatives import run_alternatives
from specialeplan.analyses.necessity import run_necessity
from specialeplan.errors import DataValidationError
from specialeplan.maps.interactive import necessity_html, write_necessity_html
from specialeplan.maps.static import (
    CANDIDATE_SIZE,
    DESIGNATED_SIZE,
    NECESSITY_CLASSES,
    MapFigure,
    plot_necessity,
    write_necessity_maps,
)
from specialeplan.scenarios.schema import load_scenario


@pytest.fixture(scope="module")
def alt(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real alternatives folder of the tie with necessity.csv."""
    root = tmp_path_factory.mktemp("necessity_maps")
    res = run_alternatives(load_scenario(write_tie(root)), root / "out", slack=0.0, count=2)
    run_necessity(res, case_time_limit=10)
    return res.folder


@pytest.fixture
def copy(alt: Path, tmp_path: Path) -> Path:
    """A copy of the folder to edit."""
    return Path(shutil.copytree(alt, tmp_path / alt.name))


def _table(folder: Path) -> pd.DataFrame:
    return pd.read_csv(folder / "necessity.csv", dtype=str, keep_default_na=False)


def _where(folder: Path) -> dict[str, tuple[float, float]]:
    """provider_id → (lon, lat) of its municipality."""
    inst = folder / "runs" / "best" / "instance"
    munis = pd.read_csv(inst / "municipalities.csv", dtype={"code": str}).set_index("code")
    prov = pd.read_csv(inst / "providers.csv", dtype={"municipality_code": str})
    return {p: (float(munis.loc[c, "lon"]), float(munis.loc[c, "lat"]))
            for p, c in zip(prov["provider_id"], prov["municipality_code"], strict=True)}


def _markers(fig: MapFigure) -> dict[str, object]:
    """The marker collections of a necessity map by gid (kind/class/type)."""
    return {c.get_gid(): c for c in fig.axes[0].collections if c.get_gid()}


def test_the_search_gives_every_class_but_undecided(alt: Path) -> None:
    t = _table(alt)
    assert set(zip(t["kind"], t["map_class"], strict=True)) == {
        ("designation", "sometimes"), ("designation", "always"), ("candidate", "sometimes"),
        ("candidate", "never")}


def _check_static(folder: Path, speciale: str, fig: MapFigure) -> None:
    """Every row of the speciale is a marker of its class's colour at its provider, filled and
    large in the best plan, hollow and small otherwise; nothing else is drawn."""
    t = _table(folder)
    rows = t[t["specialer"].str.split(";").map(lambda ss: speciale in ss)]
    assert not rows.empty
    where, markers = _where(folder), _markers(fig)
    drawn = sum(len(c.get_offsets()) for c in markers.values())
    assert drawn == len(rows)
    for r in rows.itertuples():
        c = markers[f"{r.kind}/{r.map_class}/{r.function}"]
        lon, lat = where[r.provider_id]
        near = np.hypot(c.get_offsets()[:, 0] - lon, c.get_offsets()[:, 1] - lat) < 0.15
        assert near.sum() == 1, (r.provider_id, r.function)
        colour = to_rgba(NECESSITY_CLASSES[r.map_class][0])
        if r.kind == "designation":
            assert tuple(c.get_facecolor()[0]) == pytest.approx(colour)
            assert c.get_sizes()[0] == DESIGNATED_SIZE
        else:
            assert tuple(c.get_facecolor()[0]) == pytest.approx(to_rgba("white"))
            assert tuple(c.get_edgecolor()[0]) == pytest.approx(colour)
            assert c.get_sizes()[0] == CANDIDATE_SIZE


@pytest.mark.parametrize("speciale", ["A", "B"])
def test_static_map_colours_match_necessity_csv(alt: Path, speciale: str) -> None:
    fig = plot_necessity(alt, speciale, labels=False)
    _check_static(alt, speciale, fig)
    assert isinstance(fig, MapFigure) and fig._repr_png_()[:4] == b"\x89PNG"
    assert f"speciale {speciale}" in fig.texts[0].get_text()  # the title
    assert "within 0 %" in fig.texts[0].get_text()  # the slack of alternatives.yaml
    legend = [t.get_text() for leg in fig.legends for t in leg.get_texts()]
    assert "specialfunktion in the best plan" in legend
    assert any(t.startswith("always: in every plan within 0 %") for t in legend)
    assert any(t.startswith("never: in no plan within 0 %") for t in legend)


def test_static_map_draws_the_replacement_and_labels(alt: Path) -> None:
    t = _table(alt)
    des = t[(t["kind"] == "designation") & (t["function"] == "A")].iloc[0]
    assert des["necessity"] == "replaceable" and des["replacement"] in ("P0", "P2")
    fig = plot_necessity(alt, "A")
    ax = fig.axes[0]
    dashed = [ln for ln in ax.get_lines() if ln.get_linestyle() == "--"]
    assert len(dashed) == 1  # best plan's A provider → the other half of the tie
    texts = {x.get_text() for x in ax.texts}
    assert {des["provider_id"], des["replacement"]} <= texts  # labelled by name (= id here)
    assert "P1" not in texts  # a never candidate is not labelled


def test_slack_comes_from_the_record(copy: Path) -> None:
    record = copy / "alternatives.yaml"
    record.write_text(record.read_text(encoding="utf-8").replace("slack: 0.0",
                                                                  "slack: 0.025"),
                      encoding="utf-8")
    fig = plot_necessity(copy, "A", labels=False)
    assert "within 2.5 %" in fig.texts[0].get_text()
    assert "within 2.5 %" in necessity_html(copy, "A").get_root().render()


def test_undecided_and_a_speciale_of_two_types(copy: Path) -> None:
    """Hand-edited: P1's B designation undecided, and A and B both types of speciale S."""
    t = _table(copy)
    t.loc[t["function"] == "B", ["necessity", "map_class"]] = ["undecided", "undecided"]
    t["specialer"] = "S"
    t.to_csv(copy / "necessity.csv", index=False)
    fig = plot_necessity(copy, "S", labels=False)
    _check_static(copy, "S", fig)
    assert "designation/undecided/B" in _markers(fig)
    legend = [x.get_text() for leg in fig.legends for x in leg.get_texts()]
    assert {"type A", "type B"} <= set(legend)
    markers = {c.get_gid().split("/")[2]: c.get_paths()[0] for c in _markers(fig).values()}
    assert len(markers["A"].vertices) != len(markers["B"].vertices)  # a shape per type
    pops = _popups(necessity_html(copy, "S"))
    assert pops["P1", "B"][1]["fillColor"] == NECESSITY_CLASSES["undecided"][0]
    assert "class: <b>undecided</b>" in pops["P1", "B"][0]
    # one type only, by its id
    assert len(_markers(plot_necessity(copy, "B", labels=False))) == 1


def _walk(e: object) -> Iterator[object]:
    yield e
    for c in e._children.values():  # type: ignore[attr-defined]
        yield from _walk(c)


def _popups(m: folium.Map) -> dict[tuple[str, str], tuple[str, dict]]:
    """(provider_id, type) → (popup text, the circle's options) of a necessity web map."""
    out = {}
    for e in _walk(m):
        if isinstance(e, folium.CircleMarker):
            popup = next(c for c in e._children.values() if isinstance(c, folium.Popup))
            text = "".join(h.data for h in popup.html._children.values())
            pid = text.split("</b> (")[1].split(")")[0]
            function = text.split("type: ")[1].split(" ")[0]
            out[pid, function] = (text, e.options)
    return out


@pytest.mark.parametrize("speciale", ["A", "B"])
def test_html_popups_match_necessity_csv(alt: Path, speciale: str) -> None:
    t = _table(alt)
    rows = t[t["specialer"] == speciale]
    pops = _popups(necessity_html(alt, speciale))
    assert set(pops) == set(zip(rows["provider_id"], rows["function"], strict=True))
    for r in rows.itertuples():
        text, opts = pops[r.provider_id, r.function]
        colour = NECESSITY_CLASSES[r.map_class][0]
        assert f"<b>{r.provider_name}</b> ({r.provider_id})" in text
        assert f"type: {r.function} " in text
        assert f"class: <b>{r.map_class}</b> ({r.necessity}:" in text
        if r.kind == "designation":
            assert "in the best plan" in text and opts["fillColor"] == colour
            assert opts["radius"] > 5
            want = r.replacement if r.necessity == "replaceable" else "–"
            assert f"replaced by: {want}" in text
        else:
            assert "not in the best plan" in text and opts["fillColor"] == "white"
            assert opts["color"] == colour and opts["radius"] < 5


def test_writers_put_maps_into_the_folder(copy: Path) -> None:
    pngs = write_necessity_maps(copy)
    assert pngs == [copy / "maps" / "necessity_A.png", copy / "maps" / "necessity_B.png"]
    assert all(p.stat().st_size > 10_000 for p in pngs)
    pages = write_necessity_html(copy, ["A"])
    assert pages == [copy / "maps" / "necessity_A.html"]
    text = pages[0].read_text(encoding="utf-8")
    assert "what every plan within 0 % needs" in text
    assert text.count("class: \\u003cb\\u003e") + text.count("class: <b>") >= 3


def test_missing_necessity_is_a_clear_error(copy: Path) -> None:
    (copy / "necessity.csv").unlink()
    for draw in (lambda: plot_necessity(copy, "A"), lambda: necessity_html(copy, "A"),
                 lambda: write_necessity_maps(copy), lambda: write_necessity_html(copy)):
        with pytest.raises(DataValidationError, match="necessity.csv") as err:
            draw()
        assert err.value.file == str(copy / "necessity.csv")
        assert "--necessity" in str(err.value)
    assert not (copy / "maps").exists()


def test_unknown_speciale_and_bad_class_are_clear_errors(copy: Path) -> None:
    with pytest.raises(DataValidationError, match="'nope' is not in necessity.csv"):
        plot_necessity(copy, "nope")
    t = _table(copy)
    t.loc[0, "map_class"] = "maybe"
    t.to_csv(copy / "necessity.csv", index=False)
    with pytest.raises(DataValidationError, match="unknown map_class 'maybe'") as err:
        necessity_html(copy, "A")
    assert err.value.field == "map_class"
