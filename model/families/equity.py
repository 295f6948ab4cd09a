"""Equity: the worst-served municipalities' mean family travel (optional)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from specialeplan.model.builder import ProblemBuilder
from specialeplan.model.keys import KS
from specialeplan.model.registry import family
from specialeplan.solvers.problem import Labels

if TYPE_CHECKING:
    from specialeplan.model.sets import ModelData


def tail_weight(n: np.ndarray, alpha: float) -> np.ndarray:
    """1/(α·n_s), the CVaR weight of one municipality's excess (at most 1: with α·n ≤ 1 the
    CVaR is the maximum)."""
    return 1.0 / np.maximum(alpha * np.asarray(n, dtype=float), 1.0)


@family("equity", default=False, elastic=True, on="restricts", reads={"equity": "same"},
        explain="the cap on the worst-off municipalities' mean travel (equity.limit_minutes) "
                "cannot be met")
def equity(data: ModelData, b: ProblemBuilder) -> None:
    """The worst-served municipalities, per speciale s. Mean family travel of municipality
    k, a[k,s] = Σ_{physical arcs} t[k,p]·x[k,p,s] / d[k,s], is linear in x because the
    demand d is data (outreach and near-family help travel 0 for the family; unmet demand
    counts 0 here and is penalised by ``unmet``). Over the n_s municipalities with demand:

    - ``equity.measure: cvar`` (Rockafellar–Uryasev): CVaR_α = η_s + 1/(α·n_s)·Σ_k z[k,s]
      with z[k,s] ≥ a[k,s] − η_s, z ≥ 0, η_s free; at the optimum η_s is the ⌈α·n_s⌉-th
      largest a and CVaR_α the mean of the worst α share (α = ``equity.alpha``);
    - ``equity.measure: max``: η_s ≥ a[k,s] for every k; the measure is η_s.

    The measure costs w_equity per minute (objective term ``equity``), so a planner trades
    total travel against the worst-off; ``equity.limit_minutes`` L adds the hard cap
    measure_s ≤ L. Off by default.
    """
    eq = data.params.equity
    dem, arcs = data.dem, data.arcs
    specs = [s for s in data.functions if s in set(dem["function"])]  # those with demand
    sid = dem["function"].map({s: i for i, s in enumerate(specs)}).to_numpy()
    n_s = np.bincount(sid, minlength=len(specs))
    eta = b.variables("eta", Labels(pd.DataFrame({"function": specs})), lower=-np.inf,
                      doc="equity threshold eta[s]")
    phys = np.flatnonzero((arcs["mode"] == "physical").to_numpy())
    k, t, d = (arcs[c].to_numpy()[phys] for c in ("dem", "minutes", "demand"))
    mean_travel = (t / d * b.var("x")[phys]).sum(by=k, size=len(dem))  # a[k,s]
    eta_k = eta[sid]  # η_s of each municipality's speciale
    if eq.measure == "cvar":
        z = b.variables("z", Labels(dem, columns=KS), doc="equity excess z[k,s]")
        b.add_rows("equity_excess_min", z >= mean_travel - eta_k, Labels(dem, columns=KS))
    else:
        b.add_rows("equity_threshold_min", eta_k >= mean_travel, Labels(dem, columns=KS))
    if eq.limit_minutes is not None:
        measure = eta.expr()  # η_s, plus the tail 1/(α·n_s)·Σ_k z[k,s] for CVaR
        if eq.measure == "cvar":
            tail = tail_weight(n_s, eq.alpha)[sid] * b.var("z")
            measure = measure + tail.sum(by=sid, size=len(specs))
        b.add_rows("equity_measure_max", measure <= float(eq.limit_minutes),
                   Labels(pd.DataFrame({"function": specs})))
