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


@family("moved", on="restricts", reads={},
        explain="citizens already placed would have to move")
def moved(data: ModelData, b: ProblemBuilder) -> None:
    """Citizens already placed (c[p,s] = ``competence.current_cases``) who cannot stay with
    their provider are moved, and moving them is costed:

        m[p,s] + Σ_k x[k,p,s] ≥ c[p,s],  m[p,s] ≥ 0   (pairs with c[p,s] > 0),

    so m[p,s] = max(0, c[p,s] − Σ_k x[k,p,s]) at the optimum: all of them where p is no
    longer a specialfunktion for s (x = 0), the excess where it keeps fewer borgerforløb than
    today. Cost w_moved per borgerforløb moved (objective term ``moved``). Switched off,
    moving is free (the ``moved_cases`` KPI is still reported).
    """
    pairs = data.pairs
    c = pairs["current_cases"].to_numpy(dtype=float)
    today = np.flatnonzero(c > 0)  # the pairs with current cases (and an m column)
    labels = Labels(pairs, columns=PS).take(today)
    m = b.variables("m", labels, doc="moved borgerforløb m[p,s]")
    if len(today) == 0:
        return
    b.add_rows("moved_min", m + pair_volume_expr(data, b).take(today) >= c[today], labels)


@family("keep_advisory_today", elastic=True, on="restricts",
        reads={"keep_advisory_today": "restricts"},
        explain="today's rådgivningsfunktioner cannot all be kept (keep_advisory_today)")
def keep_advisory_today(data: ModelData, b: ProblemBuilder) -> None:
    """The rådgivning duty is tendered for eight years at a time, so with
    ``keep_advisory_today: true`` today's rådgivningsfunktioner (``competence.advisory_today``)
    stay: r[p,s] ≥ 1 (and so y[p,s] = 1 through r ≤ y)."""
    b.add_rows("advisory_today_min", b.var("r") >= 1, Labels(data.pairs, columns=PS),
               where=data.pairs["fixed_advisory"].to_numpy())
