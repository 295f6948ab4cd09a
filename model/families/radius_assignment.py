"""The radius formulation of the assignment (Elloumi 2010, telescoped), for p-median-like models."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from specialeplan.model.builder import ProblemBuilder
from specialeplan.model.registry import family
from specialeplan.solvers.problem import Labels

if TYPE_CHECKING:
    from specialeplan.model.sets import ModelData


def radius_levels(data: ModelData) -> dict[str, np.ndarray]:
    """The distance levels of every client (row of ``data.dem``) from its sorted arcs.

    Per arc, in level order: ``arc`` (row of ``data.arcs``) and ``level`` (global level id).
    Per level: ``dem`` (client), ``distance`` D, ``k`` (index within the client), ``z``
    (whether it gets a column) and ``row`` (whether it gets a row).
    """
    arcs = data.arcs
    t, dem = arcs["minutes"].to_numpy(), arcs["dem"].to_numpy()
    order = np.lexsort((t, dem))
    t, dem = t[order], dem[order]
    new = np.ones(len(t), dtype=bool)
    new[1:] = (dem[1:] != dem[:-1]) | (t[1:] - t[:-1] > 1e-9)
    level = np.cumsum(new) - 1
    l_dem, l_dist = dem[new], t[new]
    n_dem = len(data.dem)
    first = np.searchsorted(l_dem, np.arange(n_dem))
    n_levels = np.bincount(l_dem, minlength=n_dem)
    k = np.arange(len(l_dem)) - first[l_dem]
    sites = np.cumsum(np.bincount(level, minlength=len(l_dem)))
    within = sites - np.r_[0, sites][first[l_dem]]  # providers within D^k of the client
    # with at least min_count of the speciale's usable providers open, a level holding more
    # than (usable − min_count) of them certainly has one open
    spec = data.dem["function"]
    usable = spec.map(data.pairs[data.pairs["usable"]].groupby("function").size()).astype(
        float).fillna(0)
    min_count = spec.map(data.function_params["min_count"]).astype(float).fillna(0.0).to_numpy()
    if not data.params.families.count_bounds:
        min_count = np.zeros(n_dem)
    threshold = usable.to_numpy() - min_count + 1
    covered = (within >= threshold[l_dem]) & (min_count[l_dem] > 0)
    stop = np.full(n_dem, -1)
    hit = pd.Series(k[covered]).groupby(l_dem[covered]).min()
    stop[hit.index.to_numpy(dtype=int)] = hit.to_numpy(dtype=int)
    # rows for levels 0..stop-1 (then covered) or for every level (the last forces service);
    # z for the levels with a row, except that last forcing one
    n_rows = np.where(stop >= 0, stop, n_levels)
    n_z = np.where(stop >= 0, stop, n_levels - 1)
    return {"arc": order, "level": level, "dem": l_dem, "distance": l_dist, "k": k,
            "z": k < n_z[l_dem], "row": k < n_rows[l_dem]}


@family("radius_assignment", switch=False, elastic=True,
        reads={"min_count": "lower_limit", "families.count_bounds": "restricts"},
        explain="a client has no provider within the travel cutoff that can serve it")
def radius_assignment(data: ModelData, b: ProblemBuilder) -> None:
    """Every client (k,s) is served by its nearest open provider (``assignment`` radius).
    With its distinct arc distances D¹ < D² < … and z^l ∈ [0,1] ("not served within D^l"):

    - z¹ + Σ_{p: t[k,p] = D¹} y[p,s] ≥ 1,  z^l − z^{l−1} + Σ_{p: t[k,p] = D^l} y[p,s] ≥ 0;
    - travel = w_travel · d[k,s] · (D¹ + Σ_l (D^{l+1} − D^l) · z^l).

    Each provider appears once per client, so rows stay short (the covering form grows like
    n²). A level holding more than (usable providers − min_count) providers is certainly
    covered: it and the levels beyond it are dropped (exact for IP and LP). Without such a
    level the last row has no z, so the client must be served; a client without any arc
    gets the empty row 0 ≥ 1. Replaces ``demand_balance`` and ``linking``; exact only when
    nothing but travel decides where a client goes (``model.sets.radius_blockers``).
    """
    if data.assignment != "radius":
        return
    lv = radius_levels(data)
    y = b.var("y")
    clients = data.dem[["municipality_code", "function"]].reset_index(drop=True)
    z_levels = np.flatnonzero(lv["z"])
    z = b.variables("zr", Labels(clients.iloc[lv["dem"][z_levels]].assign(
        level=lv["k"][z_levels])), upper=1.0, doc="client not served within a distance level")
    row_levels = np.flatnonzero(lv["row"])
    lonely = np.setdiff1d(np.arange(len(clients)), lv["dem"])
    row_of = np.full(len(lv["dem"]), -1)
    row_of[row_levels] = np.arange(len(row_levels))
    z_of = np.full(len(lv["dem"]), -1)
    z_of[z_levels] = np.arange(len(z_levels))
    arc_level = lv["level"]
    arcs_in = lv["row"][arc_level]
    own = row_levels[lv["z"][row_levels]]  # rows with their own z^l
    prev = row_levels[lv["k"][row_levels] > 0]  # rows with z^{l-1}
    labels = pd.concat([clients.iloc[lv["dem"][row_levels]].assign(level=lv["k"][row_levels]),
                        clients.iloc[lonely].assign(level=0)], ignore_index=True)
    n = len(labels)  # one row per level with a row, then one per client without arcs
    at_level = y[data.arcs["pair"].to_numpy()[lv["arc"][arcs_in]]].sum(
        by=row_of[arc_level[arcs_in]], size=n)  # Σ_{p: t[k,p] = D^l} y[p,s]
    not_within = z[z_of[own]].sum(by=row_of[own], size=n)  # z^l
    not_before = z[z_of[prev - 1]].sum(by=row_of[prev], size=n)  # z^{l−1}
    first = np.r_[(lv["k"][row_levels] == 0).astype(float), np.ones(len(lonely))]  # l = 1
    b.add_rows("level_cover_min", not_within - not_before + at_level >= first,
               Labels(labels))
    w = data.params.weights.travel * data.dem["demand"].to_numpy()
    step = np.r_[lv["distance"][1:], 0.0] - lv["distance"]  # D^{l+1} − D^l (same client)
    first = np.zeros(len(clients))
    starts = lv["k"] == 0
    first[lv["dem"][starts]] = lv["distance"][starts]
    b.cost("travel", z.linear(np.arange(len(z_levels)), w[lv["dem"][z_levels]] * step[z_levels]),
           constant=float(w @ first))
