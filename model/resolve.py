"""Re-solving after a change: what an earlier solution and its bound are still worth.

A planner's sweep or N-1 analysis changes one thing at a time (forbid a designation, raise
the minimum volume, change a weight, grow demand). Two facts make such re-solves cheap:

- **The old solution, repaired, is a start.** :func:`repair_start` keeps the earlier
  designations (y, r) where the new rules allow them, fixes every binary, and solves the
  remaining LP for the borgerforløb; when that LP is infeasible it frees the binaries of the
  specialer the change touches (:func:`affected_specialer`) and solves that small MIP.
- **The old bound still holds for a restriction.** When the new scenario only restricts the
  old one (:func:`bound_carries_over`: more forbidden or fixed designations, stricter limits,
  larger weights — every objective term is non-negative — and nothing else changed), every
  new solution was possible before and costs at least as much, so the old lower bound is a
  lower bound now. With a repaired start within the gap of that bound the re-solve is done
  without proving anything again.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from specialeplan.model.keys import PS
from specialeplan.model.params import ModelParams
from specialeplan.model.sets import ModelData
from specialeplan.solvers.base import Backend, Deadline, SolverOptions
from specialeplan.solvers.problem import LinearProblem

# per-speciale limits: +1 when a larger value restricts, -1 when a smaller one does
_TIGHTER = {"min_cases": 1, "max_travel_minutes": -1, "reach_minutes": -1, "min_count": 1,
            "max_count": -1, "min_advisory": 1, "max_advisory": -1, "backup_minutes": -1}


def _no_looser(old: float | None, new: float | None, sign: int) -> bool:
    """Whether ``new`` is at least as strict as ``old``: a lower limit (``sign`` +1) not
    lower, an upper limit (-1) not higher; None/NaN means no limit."""
    unset = -math.inf if sign > 0 else math.inf
    o = unset if old is None or (isinstance(old, float) and math.isnan(old)) else old
    n = unset if new is None or (isinstance(new, float) and math.isnan(new)) else new
    return n >= o if sign > 0 else n <= o


def _tables(old: ModelParams, new: ModelParams, specialer: list[str]
            ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Both scenarios' resolved per-speciale rules for the planned specialer."""
    known = sorted(set(specialer) | set(old.per_speciale) | set(new.per_speciale))
    return (old.speciale_table(specialer, known).set_index("speciale"),
            new.speciale_table(specialer, known).set_index("speciale"))


#: fields compared as restrictions below; the formulations are the same maths either way
_HANDLED = {"specialer", "defaults", "per_speciale", "demand_growth", "weights", "families",
            "fixed", "forbidden", "keep_today", "max_specialer_per_provider", "max_changes",
            "assignment_formulation", "volume_formulation", "reach_formulation", "limits"}


def bound_carries_over(old: ModelParams, new: ModelParams, specialer: list[str]) -> bool:
    """True when every solution of ``new`` is feasible for ``old`` at no lower cost (so an old
    lower bound is valid for ``new``). Conservative: a change it does not recognise as a
    restriction (demand growth, region bounds, any new parameter) answers False."""
    a, b = old.model_dump(), new.model_dump()
    if any(a[k] != b[k] for k in a if k not in _HANDLED):
        return False
    if old.specialer != new.specialer or a["demand_growth"] != b["demand_growth"]:
        return False
    sa, sb = _tables(old, new, specialer)
    if not np.allclose(sa["demand_growth"], sb["demand_growth"]):
        return False
    for col, sign in _TIGHTER.items():
        if not all(_no_looser(o, n, sign) for o, n in zip(sa[col], sb[col], strict=True)):
            return False
    if any(b["weights"][k] < a["weights"][k] for k in a["weights"]):
        return False
    for k, on in a["families"].items():  # a rule switched off, or soft slack allowed: looser
        now = b["families"][k]
        if (k.startswith("allow_") and now and not on) or (
                not k.startswith("allow_") and on and not now):
            return False
    pairs = lambda items: {(d["provider_id"], d["speciale"]) for d in items}  # noqa: E731
    if not (pairs(a["fixed"]) <= pairs(b["fixed"])
            and pairs(a["forbidden"]) <= pairs(b["forbidden"])
            and set(a["keep_today"]) <= set(b["keep_today"])):
        return False
    if any(k not in b["limits"] or b["limits"][k] > v for k, v in a["limits"].items()):
        return False  # a limit dropped or raised: looser
    return all(_no_looser(a[k], b[k], -1) for k in ("max_specialer_per_provider",
                                                    "max_changes"))


def affected_specialer(old: ModelParams, new: ModelParams, specialer: list[str]) -> set[str]:
    """The specialer whose rules differ between ``old`` and ``new`` (all when a change is
    global: defaults, weights, switches, demand growth, per-provider limits)."""
    everything = set(specialer)
    a, b = old.model_dump(), new.model_dump()
    for k in a:
        if k in ("per_speciale", "fixed", "forbidden", "region_bounds"):
            continue
        if a[k] != b[k]:
            return everything
    out: set[str] = set()
    sa, sb = _tables(old, new, specialer)
    diff = ~((sa == sb) | (sa.isna() & sb.isna())).all(axis=1)
    out |= set(diff[diff].index)
    for k in ("fixed", "forbidden"):
        changed = {(d["provider_id"], d["speciale"]) for d in a[k]} ^ {
            (d["provider_id"], d["speciale"]) for d in b[k]}
        out |= {s for _, s in changed}
    out |= {r["speciale"] for r in a["region_bounds"] + b["region_bounds"]
            if r not in a["region_bounds"] or r not in b["region_bounds"]}
    return out & everything


def previous_binaries(data: ModelData, designations: pd.DataFrame) -> dict[str, np.ndarray]:
    """The earlier designations (``provider_id, speciale, is_advisory``) as y and r over the new
    pairs, kept only where the new rules allow them (unusable → 0, fixed → 1, r ≤ y)."""
    key = data.pairs[PS]
    des = designations[[*PS, "is_advisory"]].drop_duplicates(PS)
    m = key.merge(des.assign(_y=1.0), on=PS, how="left")
    y = m["_y"].fillna(0.0).to_numpy()
    r = m["is_advisory"].fillna(False).astype(bool).to_numpy().astype(float) * y
    usable = data.pairs["usable"].to_numpy()
    y = np.where(data.pairs["fixed"].to_numpy(), 1.0, y) * usable
    return {"y": y, "r": r * y}


REPAIR_SECONDS = 10.0
"""At most this long for re-optimising the specialer a change touches (with the others kept)."""


def repair_start(
    data: ModelData, problem: LinearProblem, binaries: dict[str, np.ndarray],
    affected: set[str], backend: Backend, options: SolverOptions, deadline: Deadline,
) -> tuple[np.ndarray | None, dict[str, Any]]:
    """A feasible solution of ``problem`` close to the earlier designations (module
    docstring): the LP with every binary fixed; then, when the change touches only some
    specialer, the MIP with their binaries free (the others kept) from that LP solution, for
    at most :data:`REPAIR_SECONDS`; the better of the two. Returns the column vector (or
    None) and what was done."""
    lower, upper = problem.lower.copy(), problem.upper.copy()
    for name, values in binaries.items():
        sl = problem.columns[name].slice
        lower[sl] = np.maximum(lower[sl], values)
        upper[sl] = np.minimum(upper[sl], values)
    quick = options.model_copy(update={"verbose": False, "log_file": None,
                                       "time_limit": deadline.limit(30.0)})
    result, z = backend.solve(problem.with_bounds(lower, upper), quick)
    info = {"repair": "lp", "repair_status": str(result.status)}
    if affected >= set(data.specialer) and z is not None:
        return z, info  # a global change: freeing its specialer would be the whole model
    spec = np.concatenate([b.labels.column("speciale") if b.labels.column("speciale")
                           is not None else np.full(b.size, "") for b in
                           problem.columns.values()])
    free = np.isin(spec, sorted(affected))
    lower[free], upper[free] = problem.lower[free], problem.upper[free]
    local = quick.model_copy(update={"time_limit": deadline.limit(REPAIR_SECONDS),
                                     "mip_rel_gap": options.mip_rel_gap / 4})
    result2, z2 = backend.solve(problem.with_bounds(lower, upper), local, z)
    if z2 is not None and (z is None or problem.objective(z2) < problem.objective(z)):
        z, info = z2, {"repair": "mip over " + ", ".join(sorted(affected)),
                       "repair_status": str(result2.status)}
    return z, info
