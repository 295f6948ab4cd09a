"""Municipality-to-municipality car travel times from a graph of land neighbours and crossings.

The model needs one number per (home municipality, provider municipality): typical one-way
car travel minutes. Without a routing engine (which would be a heavy and non-reproducible
dependency) the times are estimated on a graph with the 98 municipalities as nodes:

* **land edge** between neighbours (``adjacency.csv``): great-circle distance between the two
  representative points × :data:`DETOUR_FACTOR` / :data:`ROAD_SPEED_KMH`. The chain of hops
  through neighbouring municipalities already bends around fjords and bays the way roads do,
  so the detour factor over the sum of straight hops is smaller than the usual 1.3 road/air
  ratio of a single straight line.
* **crossing edge** (``crossings.csv``): the crossing's own ``minutes`` plus the land legs from
  each representative point to the bridge head or port. The port position is unknown, so each
  leg is taken as the mean distance of a disk's points from its centre (2/3 of the radius of a
  disk with the municipality's area) at the same detour and speed.
  Where a pair has both a land edge and a crossing (or several crossings), the lower is kept.
* **between municipalities** the time is the shortest path (Dijkstra) plus
  :data:`ACCESS_MINUTES` (parking, local streets at both ends), but never less than the
  intra-municipality time of either end (a neighbour is not "closer" than home).
* **within a municipality** (the diagonal) :func:`intra_minutes`: :data:`ACCESS_MINUTES` plus
  the mean distance between two random points of a disk with the municipality's area
  (128 / (45 π) · r ≈ 0.905 r) × :data:`LOCAL_DETOUR_FACTOR` / :data:`LOCAL_SPEED_KMH`.

The constants were chosen once so that five reference car trips come out within ±30 % (see
``tests/test_travel.py`` and ``data/README.md``).
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd

EARTH_RADIUS_KM = 6371.0088
DETOUR_FACTOR = 1.1
"""Road length / sum of straight hops between neighbouring representative points."""
ROAD_SPEED_KMH = 95.0
"""Average speed between municipalities: mostly motorway (110–130) and main roads (80)."""
ACCESS_MINUTES = 5.0
"""Fixed allowance per trip: local streets, parking, finding the door."""
LOCAL_DETOUR_FACTOR = 1.3
"""Road length / straight line for short trips inside one municipality."""
LOCAL_SPEED_KMH = 60.0
"""Average speed inside one municipality (town streets and country roads)."""
PORT_LEG_SHARE = 2.0 / 3.0
"""Land leg to a bridge head or port, as a share of the municipality's disk radius."""
DISK_MEAN_PAIR_DISTANCE = 128.0 / (45.0 * np.pi)
"""Mean distance between two uniform random points in a unit disk (≈ 0.905)."""


def haversine_km(lon1: np.ndarray, lat1: np.ndarray, lon2: np.ndarray,
                 lat2: np.ndarray) -> np.ndarray:
    """Great-circle distance in km between WGS84 points (vectorised)."""
    lon1, lat1, lon2, lat2 = (np.radians(np.asarray(v, dtype=float))
                              for v in (lon1, lat1, lon2, lat2))
    h = (np.sin((lat2 - lat1) / 2) ** 2
         + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2)
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(h))


def road_minutes(km: np.ndarray | float) -> np.ndarray:
    """Driving minutes between municipalities for a straight-line distance in km."""
    return np.asarray(km, dtype=float) * DETOUR_FACTOR / ROAD_SPEED_KMH * 60.0


def disk_radius_km(area_km2: np.ndarray | float) -> np.ndarray:
    """Radius of a disk with the given area."""
    return np.sqrt(np.asarray(area_km2, dtype=float) / np.pi)


def intra_minutes(area_km2: np.ndarray | float) -> np.ndarray:
    """Typical trip inside a municipality: access allowance + mean distance in a disk."""
    km = DISK_MEAN_PAIR_DISTANCE * disk_radius_km(area_km2)
    return ACCESS_MINUTES + km * LOCAL_DETOUR_FACTOR / LOCAL_SPEED_KMH * 60.0


def build_travel_graph(municipalities: pd.DataFrame, adjacency: pd.DataFrame,
                       crossings: pd.DataFrame) -> nx.Graph:
    """Undirected graph: nodes = municipality codes (name, region, lon, lat, area_km2,
    intra_minutes); edges with ``minutes``, ``km`` (land) and ``mode``/``name`` of the link.

    ``adjacency`` has ``from_code, to_code``; ``crossings`` has ``from_code, to_code, mode,
    name, minutes``. Codes must already be checked against ``municipalities``.
    """
    m = municipalities.set_index("code")
    graph = nx.Graph()
    for code, row in m.iterrows():
        graph.add_node(code, name=row["name"], region=row["region"], lon=float(row["lon"]),
                       lat=float(row["lat"]), area_km2=float(row["area_km2"]),
                       intra_minutes=float(intra_minutes(row["area_km2"])))

    a, b = adjacency["from_code"].to_numpy(), adjacency["to_code"].to_numpy()
    km = haversine_km(m.loc[a, "lon"], m.loc[a, "lat"], m.loc[b, "lon"], m.loc[b, "lat"])
    candidates = [pd.DataFrame({"u": a, "v": b, "minutes": road_minutes(km), "km": km,
                                "mode": "land", "name": ""})]
    if len(crossings):
        ca, cb = crossings["from_code"].to_numpy(), crossings["to_code"].to_numpy()
        legs_km = PORT_LEG_SHARE * (disk_radius_km(m.loc[ca, "area_km2"])
                                    + disk_radius_km(m.loc[cb, "area_km2"]))
        candidates.append(pd.DataFrame({
            "u": ca, "v": cb,
            "minutes": crossings["minutes"].astype(float).to_numpy() + road_minutes(legs_km),
            "km": np.nan, "mode": crossings["mode"].astype(str).to_numpy(),
            "name": crossings["name"].astype(str).to_numpy(),
        }))
    edges = pd.concat(candidates, ignore_index=True)
    edges = edges[edges["u"] != edges["v"]]
    # an undirected pair may be listed as land and crossing, or twice: keep the fastest link
    lo, hi = np.minimum(edges["u"], edges["v"]), np.maximum(edges["u"], edges["v"])
    edges = edges.assign(u=lo, v=hi).sort_values("minutes", kind="stable")
    edges = edges.drop_duplicates(["u", "v"], keep="first")
    graph.add_edges_from(
        (r.u, r.v, {"minutes": float(r.minutes), "km": float(r.km), "mode": r.mode,
                    "name": r.name})
        for r in edges.itertuples(index=False)
    )
    return graph


def path_minutes_matrix(graph: nx.Graph, codes: list[str]) -> np.ndarray:
    """Shortest-path minutes between representative points (inf where unreachable)."""
    index = {c: i for i, c in enumerate(codes)}
    out = np.full((len(codes), len(codes)), np.inf)
    for src, dist in nx.all_pairs_dijkstra_path_length(graph, weight="minutes"):
        cols = [index[c] for c in dist]
        out[index[src], cols] = list(dist.values())
    return out


def minutes_matrix(graph: nx.Graph, codes: list[str]) -> np.ndarray:
    """Door-to-door minutes t[k, l] as documented in the module docstring."""
    intra = np.array([graph.nodes[c]["intra_minutes"] for c in codes])
    t = path_minutes_matrix(graph, codes) + ACCESS_MINUTES
    # a trip to another municipality is never shorter than a typical trip inside either end
    t = np.maximum(t, np.maximum.outer(intra, intra))
    np.fill_diagonal(t, intra)
    return t


def all_pairs_minutes(graph: nx.Graph, municipalities: pd.DataFrame) -> pd.DataFrame:
    """Full table ``from_code, to_code, minutes`` (n × n rows incl. the diagonal)."""
    codes = list(municipalities["code"])
    t = minutes_matrix(graph, codes)
    n = len(codes)
    return pd.DataFrame({"from_code": np.repeat(codes, n), "to_code": np.tile(codes, n),
                         "minutes": t.ravel()})


def shortest_route(graph: nx.Graph, a: str, b: str) -> tuple[float, list[str]]:
    """Door-to-door minutes (as in :func:`all_pairs_minutes`) and the route as codes.

    The route of a trip inside one municipality is ``[a]``.
    """
    if a == b:
        return float(graph.nodes[a]["intra_minutes"]), [a]
    path_min, route = nx.single_source_dijkstra(graph, a, b, weight="minutes")
    floor = max(graph.nodes[a]["intra_minutes"], graph.nodes[b]["intra_minutes"])
    return max(float(path_min) + ACCESS_MINUTES, float(floor)), list(route)


def isolated_groups(graph: nx.Graph) -> list[list[str]]:
    """Connected components other than the largest, as sorted code lists (empty if connected)."""
    comps = sorted((sorted(c) for c in nx.connected_components(graph)),
                   key=lambda c: (-len(c), c))
    return comps[1:]
