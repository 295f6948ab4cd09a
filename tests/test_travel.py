"""Travel-time graph of the bundled Denmark data: structure and plausibility."""

from __future__ import annotations

import json

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from specialeplan.cli.data import data_app, resolve_municipality
from specialeplan.data import load_travel_graph
from specialeplan.data.travel import (
    ACCESS_MINUTES,
    all_pairs_minutes,
    build_travel_graph,
    intra_minutes,
    shortest_route,
)
from specialeplan.errors import SpecialeplanError


@pytest.fixture(scope="module")
def network() -> tuple[nx.Graph, pd.DataFrame]:
    return load_travel_graph()


@pytest.fixture(scope="module")
def matrix(network: tuple[nx.Graph, pd.DataFrame]) -> pd.DataFrame:
    graph, munis = network
    table = all_pairs_minutes(graph, munis)
    return table.pivot(index="from_code", columns="to_code", values="minutes")


def test_graph_is_connected(network: tuple[nx.Graph, pd.DataFrame]) -> None:
    graph, munis = network
    assert graph.number_of_nodes() == 98
    assert set(graph.nodes) == set(munis["code"])
    assert nx.is_connected(graph)
    # 186 land pairs + 21 crossings, none of which duplicates a land pair
    assert graph.number_of_edges() == 186 + 21
    assert graph.nodes["101"]["name"] == "København"
    assert {"name", "region", "lon", "lat"} <= set(graph.nodes["751"])


def test_matrix_full_symmetric_with_intra_diagonal(
    network: tuple[nx.Graph, pd.DataFrame], matrix: pd.DataFrame
) -> None:
    _, munis = network
    t = matrix.to_numpy()
    assert t.shape == (98, 98)
    assert np.isfinite(t).all()
    np.testing.assert_allclose(t, t.T)
    intra = intra_minutes(munis.set_index("code").loc[matrix.index, "area_km2"].to_numpy())
    np.testing.assert_allclose(np.diag(t), intra)
    assert (np.diag(t) > 0).all()
    # leaving the municipality never beats staying: off-diagonal >= either end's intra time
    off = ~np.eye(98, dtype=bool)
    assert (t[off] >= np.maximum.outer(intra, intra)[off] - 1e-9).all()
    assert t.max() < 12 * 60  # Bornholm–Læsø, the longest trip, is ~10 h


def test_intra_minutes_grows_with_area() -> None:
    areas = np.array([5.0, 50.0, 500.0, 1500.0])
    m = intra_minutes(areas)
    assert (np.diff(m) > 0).all()
    assert m[0] > ACCESS_MINUTES
    assert 5 < m[0] < 10 and 25 < m[-1] < 40


# Typical car travel times (online route planners, daytime, no congestion), in minutes:
#   København–Aarhus   ≈ 180 via Storebælt (~300 km; the Mols-Linien ferry route is similar)
#   København–Odense   ≈ 100 (~165 km over Storebælt)
#   Aarhus–Aalborg     ≈  80 (~120 km, E45)
#   Esbjerg–Odense     ≈  95 (~135 km over Lillebælt)
#   København–Rønne    ≈ 180 incl. the Ystad–Rønne fast ferry (Øresund Bridge, Sweden)
REFERENCES = [
    ("København", "Aarhus", 180),
    ("København", "Odense", 100),
    ("Aarhus", "Aalborg", 80),
    ("Esbjerg", "Odense", 95),
    ("København", "Bornholm", 180),
]


@pytest.mark.parametrize(("a", "b", "reference"), REFERENCES)
def test_plausible_against_reference_trips(
    network: tuple[nx.Graph, pd.DataFrame], matrix: pd.DataFrame, a: str, b: str,
    reference: float,
) -> None:
    graph, munis = network
    code = dict(zip(munis["name"], munis["code"], strict=True))
    minutes, route = shortest_route(graph, code[a], code[b])
    assert minutes == pytest.approx(matrix.loc[code[a], code[b]])
    assert route[0] == code[a] and route[-1] == code[b]
    assert 0.7 * reference <= minutes <= 1.3 * reference, (a, b, minutes)


def test_routes_use_the_expected_crossings(network: tuple[nx.Graph, pd.DataFrame]) -> None:
    graph, _ = network
    _, route = shortest_route(graph, "101", "461")  # København–Odense over Storebælt
    assert ("330", "450") in zip(route, route[1:], strict=False)
    _, route = shortest_route(graph, "101", "400")  # Bornholm via Ystad, not Køge–Rønne
    assert route == ["101", "400"]
    assert shortest_route(graph, "101", "101") == (pytest.approx(
        graph.nodes["101"]["intra_minutes"]), ["101"])


def test_lower_of_land_edge_and_crossing_is_kept() -> None:
    munis = pd.DataFrame({"code": ["001", "002", "003"], "name": list("ABC"),
                          "region": "R", "lon": [10.0, 10.5, 11.0], "lat": 56.0,
                          "area_km2": 100.0})
    adjacency = pd.DataFrame({"from_code": ["001", "002"], "to_code": ["002", "003"]})
    crossings = pd.DataFrame({"from_code": ["002", "003"], "to_code": ["001", "002"],
                              "mode": ["ferry", "bridge"], "name": ["slow", "fast"],
                              "minutes": [500.0, 0.0]})
    graph = build_travel_graph(munis, adjacency, crossings)
    assert graph.edges["001", "002"]["mode"] == "land"  # land beats the 500-minute ferry
    assert graph.edges["002", "003"]["name"] == "fast"  # the bridge beats the land edge
    land = graph.edges["001", "002"]["minutes"]
    assert graph.edges["002", "003"]["minutes"] < land


# ----------------------------------------------------------------- CLI `data travel`
runner = CliRunner()


def test_cli_travel_json_by_names() -> None:
    res = runner.invoke(data_app, ["travel", "København", "aarhus", "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["from"] == {"code": "101", "name": "København"}
    assert out["to"]["code"] == "751"
    assert 126 <= out["minutes"] <= 234
    assert out["route"][0] == {"code": "101", "name": "København"}
    assert out["route"][-1]["name"] == "Aarhus"
    assert all(c["mode"] != "land" for c in out["crossings"])


def test_cli_travel_text_marks_crossings() -> None:
    res = runner.invoke(data_app, ["travel", "101", "Odense"])
    assert res.exit_code == 0, res.output
    assert "København (101) → Odense (461)" in res.stdout
    assert "[bridge: Storebæltsforbindelsen" in res.stdout


@pytest.mark.parametrize(("query", "code"), [
    ("København", "101"), ("KØBENHAVN", "101"), ("koebenhavn", "101"), ("Kobenhavn", "101"),
    ("Copenhagen", "101"), ("Århus", "751"), ("Aarhus Kommune", "751"), ("851", "851"),
    ("ringkobing-skjern", "760"), ("Rønne", "400"), ("  Læsø ", "825"),
])
def test_resolve_municipality_spellings(network: tuple[nx.Graph, pd.DataFrame], query: str,
                                        code: str) -> None:
    assert resolve_municipality(query, network[1]) == code


def test_cli_travel_unknown_name_lists_close_matches() -> None:
    res = runner.invoke(data_app, ["travel", "Aarhuss", "Odense"])
    assert res.exit_code == 2
    assert "unknown municipality 'Aarhuss'" in res.stderr
    assert "Aarhus (751)" in res.stderr


def test_resolve_unknown_code(network: tuple[nx.Graph, pd.DataFrame]) -> None:
    with pytest.raises(SpecialeplanError, match="unknown municipality '999'"):
        resolve_municipality("999", network[1])
