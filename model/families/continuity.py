"""Continuity with today: citizens already placed, and today's rådgivningsfunktioner."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from specialeplan.model.builder import ProblemBuilder
from specialeplan.model.families.volume import pair_volume_expr
from specialeplan.model.keys import PS
from specialeplan.model.registry import family
from specialeplan.solvers.problem import Labels

if TYPE_CHECKING:
    from specialeplan.model.sets import ModelData


@family("moved", explain="citizens already placed would have to move")
def moved(data: ModelData, b: ProblemBuilder) -> None:
    """Citizens already placed (c[p,s] = ``competence.current_cases``) who cannot stay with
    their provider are moved, and moving them is costed:

        m[p,s] + Σ_k x[k,p,s] ≥ c[p,s],  m[p,s] ≥ 0   (pairs with c[p,s] > 0),

    so m[p,s] = max(0, c[p,s] − Σ_k x[k,p,s]) at the optimum: all of them where p is no
    longer a specialfunktion for s (x = 0), the excess where it keeps fewer borgerforløb than
    today. Cost w_moved per borgerforløb moved (objective term ``moved``). Switched off,
    moving is free (the ``moved_borgerforloeb`` KPI is still reported).
    """
    pairs = data.pairs
    c = pairs["current_cases"].to_numpy(dtype=float)
    keep = c > 0
    rows_p = np.flatnonzero(keep)
    m = b.variables("m", Labels(pairs, positions=rows_p, columns=PS),
                    doc="moved borgerforløb m[p,s]")
    if len(rows_p) == 0:
        return
    j = np.arange(len(rows_p))
    b.rows("moved", Labels(pairs, positions=rows_p, columns=PS),
           m.coef(j, j), pair_volume_expr(data, b, rows_p), lower=c[keep])


@family("keep_advisory_today", elastic=True,
        explain="today's rådgivningsfunktioner cannot all be kept (keep_advisory_today)")
def keep_advisory_today(data: ModelData, b: ProblemBuilder) -> None:
    """The rådgivning duty is tendered for eight years at a time, so with
    ``keep_advisory_today: true`` today's rådgivningsfunktioner (``competence.advisory_today``)
    stay: r[p,s] ≥ 1 (and so y[p,s] = 1 through r ≤ y)."""
    idx = np.flatnonzero(data.pairs["fixed_advisory"].to_numpy())
    b.rows("keep_advisory_today", Labels(data.pairs, positions=idx, columns=PS),
           b.var("r").coef(np.arange(len(idx)), idx), lower=1.0)
