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

Which change restricts is recorded where each family is registered (``on=`` for its switch,
``reads=`` for the parameters it reads; :class:`specialeplan.model.registry.Change`), and in
:data:`OWN` for the few parameters no family reads; :func:`loosening` says which changes
stand in the way.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from specialeplan.model.families import FAMILIES
from specialeplan.model.keys import PS
from specialeplan.model.params import ModelParams
from specialeplan.model.registry import Change
from specialeplan.model.sets import ModelData
from specialeplan.solvers.base import Backend, Deadline, SolverOptions
from specialeplan.solvers.problem import LinearProblem

#: The scenario parameters no family reads, and which of their changes only restrict. Every
#: other parameter is classified where the family that reads it is registered
#: (``reads=`` and ``on=`` of :func:`specialeplan.model.registry.family`).
OWN: dict[str, Change] = {
    "specialer": Change("same"),
    "functions": Change("same"),
    "demand_growth": Change("same"),  # the global multiplier and the per-speciale one
    "weights": Change("lower_limit"),  # every objective term is non-negative
    "capacity_changes": Change("same"),
    # which pairs may be designated and their places (model/applications.py)
    "mode": Change("same"),
    "plan_year": Change("same"),
    "close_gaps": Change("same"),
    # formulations of the same maths
    "assignment_formulation": Change("any"),
    "volume_formulation": Change("any"),
    "reach_formulation": Change("any"),
    "pricing": Change("same"),  # another objective: the earlier bound does not hold
}


def classification() -> dict[str, list[tuple[str, Change]]]:
    """Every classified scenario value → who classifies it (a family's name, or
    ``resolve`` for :data:`OWN`) and how. Keys are ``ModelParams`` fields, per-speciale
    fields (``SpecialeParams``, compared speciale by speciale) and ``families.<switch>``."""
    out: dict[str, list[tuple[str, Change]]] = {k: [("resolve", c)] for k, c in OWN.items()}
    for fam in FAMILIES.values():
        if fam.switch and fam.on is not None:
            out.setdefault(f"families.{fam.name}", []).append((fam.name, fam.on))
        for opt, o in fam.options.items():
            out.setdefault(f"families.{opt}", []).append((fam.name, o.on))
        for key, change in fam.reads.items():
            out.setdefault(key, []).append((fam.name, change))
    return out


def _tables(old: ModelParams, new: ModelParams, specialer: list[str],
            specialer_of: dict[str, list[str]] | None = None
            ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Both scenarios' resolved rules for the planned functions (``specialer``);
    ``specialer_of``: each function's specialer (default: one function per speciale)."""
    of = {f: [f] for f in specialer} if specialer_of is None else specialer_of
    known = sorted(set(specialer) | set(of) | set(old.per_function) | set(new.per_function))
    known_sp = sorted({s for ss in of.values() for s in ss} | set(old.per_speciale)
                      | set(new.per_speciale))
    return tuple(p.function_table(specialer, known, None, of, known_sp).set_index("function")
                 for p in (old, new))  # type: ignore[return-value]


def loosening(old: ModelParams, new: ModelParams, specialer: list[str],
              specialer_of: dict[str, list[str]] | None = None) -> list[str]:
    """The changes from ``old`` to ``new`` not known to only restrict, each as
    ``"<value> (<who>: <change>)"``; empty when every change restricts (so an old lower bound
    is valid for ``new``). A family's ``reads`` count while it is active in either scenario;
    a value nobody classifies must stay the same (conservative)."""
    a, b = old.model_dump(), new.model_dump()
    sa, sb = _tables(old, new, specialer, specialer_of)
    rules = classification()
    active = {name for name, fam in FAMILIES.items()
              if not fam.switch or a["families"].get(name) or b["families"].get(name)}

    def values(key: str) -> list[tuple[Any, Any]]:
        if key.startswith("families."):
            k = key.removeprefix("families.")
            return [(a["families"].get(k), b["families"].get(k))]
        out = []
        if key in a and key not in ("defaults", "per_speciale", "per_function", "families"):
            out.append((a[key], b[key]))
        if key in sa.columns:
            out += list(zip(sa[key].tolist(), sb[key].tolist(), strict=True))
        return out

    keys = [k for k in a if k not in ("defaults", "per_speciale", "per_function", "families")]
    keys += [c for c in sa.columns if c not in keys]
    keys += [f"families.{k}" for k in a["families"]]
    found = []
    for key in keys:
        pairs = values(key)
        if all(Change("same").restricts(o, n) for o, n in pairs):
            continue
        who = [(w, c) for w, c in rules.get(key, [("nobody", Change("same"))])
               if w == "resolve" or w == "nobody" or w in active]
        for w, change in who:
            if change.with_ and not (a.get(change.with_) or b.get(change.with_)):
                continue
            if not all(change.restricts(o, n) for o, n in pairs):
                found.append(f"{key} ({w}: {change})")
    return found


def bound_carries_over(old: ModelParams, new: ModelParams, specialer: list[str],
                       specialer_of: dict[str, list[str]] | None = None) -> bool:
    """True when every solution of ``new`` is feasible for ``old`` at no lower cost (so an old
    lower bound is valid for ``new``): every change between them only restricts, as the
    registry classifies it (:func:`loosening`). Conservative: a change it does not recognise
    as a restriction (demand growth, region bounds, any unclassified parameter) answers
    False."""
    return not loosening(old, new, specialer, specialer_of)


def affected_specialer(old: ModelParams, new: ModelParams, specialer: list[str],
                       specialer_of: dict[str, list[str]] | None = None) -> set[str]:
    """The specialer whose rules differ between ``old`` and ``new`` (all when a change is
    global: defaults, weights, switches, demand growth, per-provider limits)."""
    everything = set(specialer)
    a, b = old.model_dump(), new.model_dump()
    for k in a:
        if k in ("per_speciale", "per_function", "fixed", "forbidden", "region_bounds"):
            continue
        if a[k] != b[k]:
            return everything
    out: set[str] = set()
    sa, sb = _tables(old, new, specialer, specialer_of)
    diff = ~((sa == sb) | (sa.isna() & sb.isna())).all(axis=1)
    out |= set(diff[diff].index)
    for k in ("fixed", "forbidden"):
        changed = {(d["provider_id"], d["function"]) for d in a[k]} ^ {
            (d["provider_id"], d["function"]) for d in b[k]}
        out |= {s for _, s in changed}
    out |= {r["function"] for r in a["region_bounds"] + b["region_bounds"]
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
    if affected >= set(data.functions) and z is not None:
        return z, info  # a global change: freeing its specialer would be the whole model
    spec = np.concatenate([b.labels.column("function") if b.labels.column("function")
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
