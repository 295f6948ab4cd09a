"""Limits on criteria: an upper bound on an objective term's raw value or on a count (the
epsilon constraints of ``specialeplan frontier``)."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

import pandas as pd

from specialeplan.model.builder import Coefs, Expr, ProblemBuilder
from specialeplan.model.registry import TERMS, family
from specialeplan.solvers.problem import Labels

if TYPE_CHECKING:
    from specialeplan.model.sets import ModelData

#: the counts a limit may bound besides the objective terms: criterion → variable block
COUNTS = {"designations": "y", "advisory_designations": "r"}


class _Capture:
    """Stands in for the builder while an objective term is built, keeping its costs."""

    def __init__(self, b: ProblemBuilder) -> None:
        self.b = b
        self.coefs: list[Coefs] = []
        self.constant = 0.0

    def has(self, name: str) -> bool:
        return self.b.has(name)

    def var(self, name: str) -> Any:
        return self.b.var(name)

    def cost(self, term: str, *coefs: Coefs, constant: float = 0.0) -> None:
        self.coefs += coefs
        self.constant += constant


def raw_term(data: ModelData, b: ProblemBuilder, name: str) -> Expr:
    """Objective term ``name`` with its weight taken as 1, as a one-row expression (built by
    the term's own function, so it is the objective's maths, not a copy)."""
    weights = data.params.weights.model_copy(update={name: 1.0})
    raw = dataclasses.replace(data, params=data.params.model_copy(update={"weights": weights}))
    cap = _Capture(b)
    TERMS[name].build(raw, cap)  # type: ignore[arg-type]
    return Expr(1, tuple(cap.coefs), cap.constant)


@family("limits", elastic=True, on="restricts", reads={"limits": "upper_limit"},
        explain="a limit on a criterion (model.limits, e.g. a frontier's bound) cannot be met")
def limits(data: ModelData, b: ProblemBuilder) -> None:
    """Upper limits L_c from ``model.limits`` (none by default), one row each:

    - an objective term t, by its raw value (weight 1): raw_t(z) ≤ L_t, e.g. ``travel``
      Σ_{physical arcs} t[k,p]·x ≤ L (borgerforløb-minutes), ``designation`` Σ f·y ≤ L,
      ``equity`` Σ_s measure_s ≤ L (with ``families.equity`` on; a term whose family is off
      is 0);
    - ``designations``: Σ_{p,s} y[p,s] ≤ L; ``advisory_designations``: Σ r ≤ L.

    The raw term is built by the term's own function, so the limit and the objective can
    never disagree; a limit holds whatever the term's weight (also 0).
    """
    for name, limit in data.params.limits.items():
        labels = Labels(pd.DataFrame({"criterion": [name], "limit": [float(limit)]}))
        if name in COUNTS:
            b.add_rows(f"{name}_total_max", b.var(COUNTS[name]).sum() <= float(limit), labels)
            continue
        raw = raw_term(data, b, name)
        if not raw.parts:  # the term's family is off: its value is 0 ≤ L
            continue
        b.add_rows(f"{name}_total_max", raw <= float(limit), labels)
