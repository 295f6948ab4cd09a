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


@family("moved", elastic=True, on="restricts", reads={},
        explain="today's residents cannot all stay with their provider",
        options={"allow_moves": (False, "today's residents may be moved, at weights.moved "
                                 "each (else they stay where they live)", "relaxes")})
def moved(data: ModelData, b: ProblemBuilder) -> None:
    """Today's residents (c[p,s] = ``competence.current_cases``) stay where they live:

        Σ_k x[k,p,s] + m[p,s] ≥ c[p,s],   0 ≤ m[p,s] ≤ (c[p,s] if allow_moves else 0)

    for pairs with c[p,s] > 0. A provider that is not (re)designated keeps them as a
    transitional arrangement (``linking`` and ``speciale_capacity`` let it serve up to
    c[p,s] with y = 0; seed 002: «Det skal ikke ændres med specialeplanlægningen»). With
    ``allow_moves`` a plan may move them, at w_moved per borgerforløb (objective term
    ``moved``): m = max(0, c − Σ_k x) at the optimum. Switched off, moving is free and there
    is no transitional arrangement (the ``moved_cases`` KPI is still reported).
    """
    pairs = data.pairs
    c = pairs["current_cases"].to_numpy(dtype=float)
    today = np.flatnonzero(c > 0)  # the pairs with current cases (and an m column)
    labels = Labels(pairs, columns=PS).take(today)
    allow = data.params.families.allow_moves
    m = b.variables("m", labels, upper=c[today] if allow else 0.0,
                    doc="moved borgerforløb m[p,s]")
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
