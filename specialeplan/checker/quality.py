"""How good a checked solution is, beside whether it is feasible.

A folder can pass every rule and still be a poor plan: a large gap (the solver stopped far
from the bound), borgerforløb left unmet, municipalities without rådgivning in reach.
:func:`quality_warnings` lists those against :class:`QualityLimits`; ``specialeplan check``
prints them, and ``check --strict`` fails on them (CI regression checks).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import pandas as pd


@dataclass(frozen=True)
class QualityLimits:
    """Thresholds above which a result gets a quality warning.

    ``max_gap`` None: the scenario's ``solver.mip_rel_gap`` (what the run aimed for);
    ``max_unmet`` in borgerforløb; ``max_reach_shortfalls`` in municipality × speciale.
    """

    max_gap: float | None = None
    max_unmet: float = 0.0
    max_reach_shortfalls: float = 0.0

    def __post_init__(self) -> None:
        from specialeplan.errors import SpecialeplanError

        for name in ("max_gap", "max_unmet", "max_reach_shortfalls"):
            value = getattr(self, name)
            if value is None and name == "max_gap":
                continue
            if (not isinstance(value, int | float) or isinstance(value, bool)
                    or not math.isfinite(value) or value < 0):
                raise SpecialeplanError(f"--{name.replace('_', '-')} must be a finite number "
                                        f"≥ 0, got {value!r}")


def quality_warnings(kpis: dict[str, Any], solver: dict[str, Any], coverage: pd.DataFrame,
                     reach: pd.DataFrame, limits: QualityLimits, tol: float = 1e-6
                     ) -> list[str]:
    """Warnings on gap, unmet demand and reach shortfalls (from the tables, not the KPIs)."""
    out = []
    status = kpis.get("status")
    target = limits.max_gap
    if target is None:
        rel = solver.get("mip_rel_gap")
        target = float(rel) if isinstance(rel, int | float) and not isinstance(rel, bool) \
            else 0.0
    gap = kpis.get("mip_gap")
    if not isinstance(gap, int | float) or isinstance(gap, bool) or not math.isfinite(gap):
        out.append(f"gap unknown (no lower bound; status {status}): the solution's distance "
                   "from the optimum is not known")
    elif gap > target + tol:
        out.append(f"gap {gap:.2%} is above {target:.2%} (status {status}): the plan may be "
                   "far from the best one; give the solver more time")
    unmet = float(coverage["unmet"].sum())
    if unmet > limits.max_unmet + tol:
        per = coverage.groupby("function")["unmet"].sum()
        worst = ", ".join(f"{s} {v:,.4g}" for s, v in per[per > tol].sort_values(
            ascending=False).head(5).items())
        out.append(f"{unmet:,.4g} borgerforløb unmet (limit {limits.max_unmet:g}): {worst}")
    short = reach.loc[reach["advisory_provider_id"] == "", "share"].sum()
    if short > limits.max_reach_shortfalls + tol:
        out.append(f"{short:,.4g} municipality × speciale without a rådgivningsfunktion in "
                   f"reach (limit {limits.max_reach_shortfalls:g})")
    return out
