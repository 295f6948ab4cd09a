"""Rule of limits (``model/families/limits.py``): each criterion of ``model.limits`` at most
its limit (the epsilon constraints of ``specialeplan frontier``)."""

from __future__ import annotations

import dataclasses

from specialeplan.checker.report import Collector, g
from specialeplan.checker.rules.context import Context, rule
from specialeplan.checker.rules.objective import recompute_terms


@rule("limits")
def _limits(x: Context, c: Collector) -> None:
    """Each criterion of ``model.limits`` at most its limit: an objective term by its raw
    value (recomputed from the tables with weight 1), or a count of designations.csv's rows:
    ``designations`` (specialfunktioner), ``advisory_designations`` (rådgivningsfunktioner)."""
    if not x.params.limits:
        return
    ones = x.params.weights.model_copy(update=dict.fromkeys(
        x.params.weights.model_dump(), 1.0))
    raw = recompute_terms(dataclasses.replace(x, params=x.params.model_copy(
        update={"weights": ones})))
    counts = {"designations": float(len(x.des)),
              "advisory_designations": float(x.des["is_advisory"].sum())}
    for name, limit in x.params.limits.items():
        value = counts[name] if name in counts else raw[name]
        slack = 10 * c.tol * max(1.0, abs(limit)) + c.tol * max(len(x.asg), 1)
        c.single("limits", value <= limit + slack,
                 f"{name} is {g(value)}, above its limit {g(limit)} (model.limits)")
