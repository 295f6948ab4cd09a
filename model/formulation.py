"""The placement MIP of SPEC §2 as a Pyomo model — the readable reference formulation.

:func:`build_model` calls one ``add_<family>`` function per constraint family, in this order:
variables, demand_balance, linking, min_volume, capacity, speciale_capacity, reach,
count_bounds, region_bounds, max_specialer, fixed, change_limit, objective. Each function
states its maths in its docstring. Symbols → components:

======================= ====================== ==========================================
symbol                  component              index (see :mod:`specialeplan.model.sets`)
======================= ====================== ==========================================
y[p,s] ∈ {0,1}          ``m.y``                pair (row of ``data.pairs``)
r[p,s] ∈ {0,1}          ``m.r``                pair
x[k,p,s] ≥ 0            ``m.x``                arc (row of ``data.arcs``)
u[k,s] ≥ 0              ``m.u``                dem (row of ``data.dem``)
v[k,p,s] ∈ [0,1]        ``m.v``                reach arc (row of ``data.reach``)
q[k,s] ∈ [0,1]          ``m.q``                need (row of ``data.need``)
======================= ====================== ==========================================

With ``elastic=`` a set of family names (see :data:`ELASTIC_FAMILIES`), those hard families
get non-negative slack columns and the objective becomes the total slack: the minimal
relaxation that makes an infeasible scenario feasible, used by
:mod:`specialeplan.model.diagnose` to say *which* family, speciale and place is at fault.
Slacks are registered in ``m._slacks`` as (family, Var, labels DataFrame).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pyomo.environ as pyo

from specialeplan.model.sets import ModelData

Rule = Callable[..., object]


def _groups(ids: np.ndarray, n: int) -> list[list[int]]:
    """Positions of each id 0..n-1 in ``ids`` (a CSR-style grouping without Python loops
    over the full product)."""
    order = np.argsort(ids, kind="stable")
    bounds = np.searchsorted(ids[order], np.arange(n + 1))
    return [order[bounds[i]:bounds[i + 1]].tolist() for i in range(n)]


def _elastic(m: pyo.ConcreteModel, family: str, labels: pd.DataFrame) -> pyo.Var | None:
    """Slack columns for ``family`` (one per row of ``labels``) when building elastically."""
    if m._elastic is None or family not in m._elastic or len(labels) == 0:
        return None
    name = f"slack_{family}_{len(m._slacks)}"
    var = pyo.Var(range(len(labels)), domain=pyo.NonNegativeReals)
    m.add_component(name, var)
    m._slacks.append((family, var, labels.reset_index(drop=True)))
    return var


def add_variables(m: pyo.ConcreteModel, data: ModelData) -> None:
    """y, r binary per competence pair; x, u, v, q continuous on their sparse index sets.

    Pairs that are not usable (max_cases = 0 or forbidden) have y = r = 0 fixed, so the
    presolve removes them but they stay visible in the change count.
    """
    pairs = data.pairs
    m.y = pyo.Var(range(len(pairs)), domain=pyo.Binary)
    m.r = pyo.Var(range(len(pairs)), domain=pyo.Binary)
    m.x = pyo.Var(range(len(data.arcs)), domain=pyo.NonNegativeReals)
    m.u = pyo.Var(range(len(data.dem)), domain=pyo.NonNegativeReals)
    m.v = pyo.Var(range(len(data.reach)), bounds=(0, 1))
    m.q = pyo.Var(range(len(data.need)), bounds=(0, 1))
    for i in np.flatnonzero(~pairs["usable"].to_numpy()):
        m.y[int(i)].fix(0)
        m.r[int(i)].fix(0)
    if not data.params.families.allow_unmet:
        for i in range(len(data.dem)):
            m.u[i].fix(0)
    if not data.params.families.allow_reach_shortfall:
        for i in range(len(data.need)):
            m.q[i].fix(0)


def add_demand_balance(m: pyo.ConcreteModel, data: ModelData) -> None:
    """Every borgerforløb is served or counted unmet: Σ_p x[k,p,s] + u[k,s] = d[k,s].

    When unmet demand is not allowed (u fixed at 0) the row is a hard family and gets an
    elastic slack in diagnosis mode.
    """
    by_dem = _groups(data.arcs["dem"].to_numpy(), len(data.dem))
    d = data.dem["demand"].to_numpy()
    hard = not data.params.families.allow_unmet
    s = _elastic(m, "demand_balance", data.dem[["municipality_code", "speciale"]]) if hard else None

    def rule(m: pyo.ConcreteModel, i: int) -> object:
        lhs = sum(m.x[a] for a in by_dem[i]) + m.u[i]
        return lhs + (s[i] if s is not None else 0) == float(d[i])

    m.demand_balance = pyo.Constraint(range(len(data.dem)), rule=rule)


def add_linking(m: pyo.ConcreteModel, data: ModelData) -> None:
    """Strong linking: flow only to designated providers, x[k,p,s] <= d[k,s]·y[p,s].

    The disaggregated (per-arc) form gives a much tighter LP bound than the aggregated
    Σ_k x <= C·y; it is most of the rows, and HiGHS handles them well.
    """
    d = data.arcs["demand"].to_numpy()
    pair = data.arcs["pair"].to_numpy()
    m.linking = pyo.Constraint(
        range(len(data.arcs)), rule=lambda m, a: m.x[a] <= float(d[a]) * m.y[int(pair[a])])


def _pair_sums(data: ModelData) -> list[list[int]]:
    return _groups(data.arcs["pair"].to_numpy(), len(data.pairs))


def add_min_volume(m: pyo.ConcreteModel, data: ModelData) -> None:
    """Øvelse gør mester: a specialfunktion serves at least m_s borgerforløb,
    Σ_k x[k,p,s] >= m_s · y[p,s]."""
    if not data.params.families.min_volume:
        return
    by_pair = _pair_sums(data)
    ms = data.pairs["speciale"].map(data.speciale_params["min_cases"]).to_numpy()
    idx = [i for i in range(len(data.pairs)) if ms[i] > 0 and data.pairs.at[i, "usable"]]
    s = _elastic(m, "min_volume", data.pairs.loc[idx, ["provider_id", "speciale"]])
    m.min_volume_idx = idx

    def rule(m: pyo.ConcreteModel, j: int) -> object:
        i = idx[j]
        slack = s[j] if s is not None else 0
        return sum(m.x[a] for a in by_pair[i]) + slack >= float(ms[i]) * m.y[i]

    m.cases_min = pyo.Constraint(range(len(idx)), rule=rule)


def add_capacity(m: pyo.ConcreteModel, data: ModelData) -> None:
    """Provider capacity shared by all its specialer: Σ_{k,s} x[k,p,s] <= C_p."""
    if not data.params.families.capacity:
        return
    prov = data.instance.providers
    pid = data.arcs["provider_id"].map(pd.Series(np.arange(len(prov)), index=prov["provider_id"]))
    by_prov = _groups(pid.to_numpy(), len(prov))
    cap = prov["capacity"].to_numpy()
    rows = [i for i in range(len(prov)) if by_prov[i]]
    s = _elastic(m, "capacity", prov.loc[rows, ["provider_id"]])

    def rule(m: pyo.ConcreteModel, j: int) -> object:
        i = rows[j]
        slack = s[j] if s is not None else 0
        return sum(m.x[a] for a in by_prov[i]) - slack <= float(cap[i])

    m.capacity_max = pyo.Constraint(range(len(rows)), rule=rule)


def add_speciale_capacity(m: pyo.ConcreteModel, data: ModelData) -> None:
    """Per-speciale capacity of a designated provider: Σ_k x[k,p,s] <= C[p,s] · y[p,s]."""
    if not data.params.families.speciale_capacity:
        return
    by_pair = _pair_sums(data)
    cap = data.pairs["max_cases"].to_numpy()
    rows = [i for i in range(len(data.pairs)) if by_pair[i]]
    s = _elastic(m, "speciale_capacity", data.pairs.loc[rows, ["provider_id", "speciale"]])

    def rule(m: pyo.ConcreteModel, j: int) -> object:
        i = rows[j]
        slack = s[j] if s is not None else 0
        return sum(m.x[a] for a in by_pair[i]) - slack <= float(cap[i]) * m.y[i]

    m.speciale_capacity_max = pyo.Constraint(range(len(rows)), rule=rule)


def add_reach(m: pyo.ConcreteModel, data: ModelData) -> None:
    """Rådgivning reach for specialer with a reach limit R_s:

    - every municipality is advised or counted short: Σ_p v[k,p,s] + q[k,s] = 1
      (v only on arcs with t[k,p] <= R_s),
    - advice only from rådgivningsfunktioner, and within advisory capacity:
      ``strong``: v[k,p,s] <= r[p,s] for every arc and Σ_k v[k,p,s] <= A_p · r[p,s];
      ``compact``: Σ_k v[k,p,s] <= min(A_p, #arcs of p) · r[p,s] plus the covering rows
      Σ_{p within R_s of k} r[p,s] + q[k,s] >= 1 (valid because v <= r; they restore most of
      the LP strength that dropping the per-arc rows loses),
    - a rådgivningsfunktion is a specialfunktion: r[p,s] <= y[p,s].
    """
    m.advisory_link = pyo.Constraint(range(len(data.pairs)), rule=lambda m, i: m.r[i] <= m.y[i])
    if len(data.need) == 0:
        return
    compact = data.params.reach_formulation == "compact"
    by_need = _groups(data.reach["need"].to_numpy(), len(data.need))
    rpair = data.reach["pair"].to_numpy()
    hard = not data.params.families.allow_reach_shortfall
    s = _elastic(m, "reach", data.need[["municipality_code", "speciale"]]) if hard else None

    def balance(m: pyo.ConcreteModel, i: int) -> object:
        slack = s[i] if s is not None else 0
        return sum(m.v[a] for a in by_need[i]) + m.q[i] + slack == 1

    m.reach_balance = pyo.Constraint(range(len(data.need)), rule=balance)
    if compact:
        def cover(m: pyo.ConcreteModel, i: int) -> object:
            slack = s[i] if s is not None else 0
            return sum(m.r[int(rpair[a])] for a in by_need[i]) + m.q[i] + slack >= 1

        m.reach_cover = pyo.Constraint(range(len(data.need)), rule=cover)
    else:
        m.reach_link = pyo.Constraint(
            range(len(data.reach)), rule=lambda m, a: m.v[a] <= m.r[int(rpair[a])])
    by_pair = _groups(rpair, len(data.pairs))
    n_arcs = np.array([len(g) for g in by_pair], dtype=float)
    acap = data.pairs["advisory_capacity"].to_numpy()
    big = np.minimum(acap, n_arcs) if compact else acap
    rows = [i for i in range(len(data.pairs)) if by_pair[i] and np.isfinite(big[i])]
    finite = np.isfinite(acap)
    sc = _elastic(m, "advisory_capacity",
                  data.pairs.loc[[i for i in rows if finite[i]], ["provider_id", "speciale"]])
    slack_of = {i: j for j, i in enumerate(i for i in rows if finite[i])}

    def capacity(m: pyo.ConcreteModel, j: int) -> object:
        i = rows[j]
        slack = sc[slack_of[i]] if sc is not None and i in slack_of else 0
        return sum(m.v[a] for a in by_pair[i]) - slack <= float(big[i]) * m.r[i]

    m.advisory_capacity_max = pyo.Constraint(range(len(rows)), rule=capacity)


def _bounded_counts(
    m: pyo.ConcreteModel, name: str, groups: list[list[int]], var: pyo.Var,
    lo: np.ndarray, hi: np.ndarray, labels: pd.DataFrame,
) -> None:
    """lo[g] <= Σ_{i in g} var[i] <= hi[g] for each group g with a finite bound."""
    for bound, arr, sign in (("min", lo, 1), ("max", hi, -1)):
        rows = [g for g in range(len(groups)) if not np.isnan(arr[g])]
        if not rows:
            continue
        s = _elastic(m, f"{name}", labels.iloc[rows].assign(bound=bound))

        def rule(m: pyo.ConcreteModel, j: int, rows: list[int] = rows, arr: np.ndarray = arr,
                 sign: int = sign, s: pyo.Var | None = s) -> object:
            g = rows[j]
            total = sum(var[i] for i in groups[g]) + (sign * s[j] if s is not None else 0)
            return total >= arr[g] if sign == 1 else total <= arr[g]

        m.add_component(f"{name}_{bound}_{var.local_name}",
                        pyo.Constraint(range(len(rows)), rule=rule))


def add_count_bounds(m: pyo.ConcreteModel, data: ModelData) -> None:
    """National count bounds per speciale:
    min_count_s <= Σ_p y[p,s] <= max_count_s and min_advisory_s <= Σ_p r[p,s] <= max_advisory_s.
    """
    if not data.params.families.count_bounds:
        return
    sid = data.pairs["speciale"].map({s: i for i, s in enumerate(data.specialer)}).to_numpy()
    groups = _groups(sid, len(data.specialer))
    sp = data.speciale_params.loc[data.specialer]
    labels = pd.DataFrame({"speciale": data.specialer})
    _bounded_counts(m, "count", groups, m.y, sp["min_count"].to_numpy(),
                    sp["max_count"].to_numpy(), labels)
    _bounded_counts(m, "advisory_count", groups, m.r, sp["min_advisory"].to_numpy(),
                    sp["max_advisory"].to_numpy(), labels)


def add_region_bounds(m: pyo.ConcreteModel, data: ModelData) -> None:
    """Regional count bounds: min <= Σ_{p in region} y[p,s] <= max for listed (s, region)."""
    bounds = data.params.region_bounds
    if not data.params.families.region_bounds or not bounds:
        return
    groups = [
        np.flatnonzero(((data.pairs["speciale"] == b.speciale)
                        & (data.pairs["region"] == b.region)).to_numpy()).tolist()
        for b in bounds
    ]
    lo = np.array([np.nan if b.min_count is None else b.min_count for b in bounds], float)
    hi = np.array([np.nan if b.max_count is None else b.max_count for b in bounds], float)
    labels = pd.DataFrame({"speciale": [b.speciale for b in bounds],
                           "region": [b.region for b in bounds]})
    _bounded_counts(m, "region_count", groups, m.y, lo, hi, labels)


def add_max_specialer(m: pyo.ConcreteModel, data: ModelData) -> None:
    """A provider holds at most M specialer: Σ_s y[p,s] <= M."""
    limit = data.params.max_specialer_per_provider
    if not data.params.families.max_specialer or limit is None:
        return
    prov = data.pairs["provider_id"]
    ids = pd.factorize(prov)[0]
    n = int(ids.max()) + 1 if len(ids) else 0
    groups = _groups(ids, n)
    labels = pd.DataFrame({"provider_id": pd.unique(prov)})
    _bounded_counts(m, "specialer_per_provider", groups, m.y, np.full(n, np.nan),
                    np.full(n, float(limit)), labels)


def add_fixed(m: pyo.ConcreteModel, data: ModelData) -> None:
    """Fixed designations (scenario ``fixed`` and today's designations of ``keep_today``
    owners): y[p,s] = 1. Forbidden ones are fixed at 0 in :func:`add_variables`."""
    idx = np.flatnonzero(data.pairs["fixed"].to_numpy()).tolist()
    if not idx:
        return
    if m._elastic is None or "fixed" not in m._elastic:
        for i in idx:
            m.y[i].fix(1)
        return
    s = _elastic(m, "fixed", data.pairs.loc[idx, ["provider_id", "speciale"]])
    m.fixed_min = pyo.Constraint(range(len(idx)), rule=lambda m, j: m.y[idx[j]] + s[j] >= 1)


def _change_expr(m: pyo.ConcreteModel, data: ModelData) -> object:
    """Σ |y − y0| = Σ_{y0=1} (1 − y) + Σ_{y0=0} y, linear because y0 is data."""
    y0 = data.pairs["designated_today"].to_numpy()
    return sum((1 - m.y[i]) if y0[i] else m.y[i] for i in range(len(data.pairs)))


def add_change_limit(m: pyo.ConcreteModel, data: ModelData) -> None:
    """At most K designations differ from today's: Σ |y − y0| <= K."""
    limit = data.params.max_changes
    if not data.params.families.change_limit or limit is None:
        return
    s = _elastic(m, "change_limit", pd.DataFrame({"max_changes": [limit]}))
    m.changes_max = pyo.Constraint(
        expr=_change_expr(m, data) - (s[0] if s is not None else 0) <= float(limit))


def add_objective(m: pyo.ConcreteModel, data: ModelData) -> None:
    """Weighted sum, each term a named Expression (reported separately):

    travel = w_t Σ t·x, designation = w_f Σ f·y, advisory = w_g Σ g·r,
    unmet = w_u Σ u, reach_shortfall = w_q Σ q, change = w_c Σ |y − y0|.
    In elastic (diagnosis) mode the objective is the total slack instead.
    """
    w = data.params.weights
    t = data.arcs["minutes"].to_numpy()
    f = data.pairs["designation_cost"].to_numpy()
    g = data.pairs["advisory_cost"].to_numpy()
    m.term_travel = pyo.Expression(expr=w.travel * sum(float(t[a]) * m.x[a] for a in m.x))
    m.term_designation = pyo.Expression(
        expr=w.designation * sum(float(f[i]) * m.y[i] for i in m.y))
    m.term_advisory = pyo.Expression(expr=w.advisory * sum(float(g[i]) * m.r[i] for i in m.r))
    m.term_unmet = pyo.Expression(expr=w.unmet * sum(m.u[i] for i in m.u))
    m.term_reach_shortfall = pyo.Expression(expr=w.reach_shortfall * sum(m.q[i] for i in m.q))
    m.term_change = pyo.Expression(expr=w.change * _change_expr(m, data))
    if m._elastic is not None:
        m.objective = pyo.Objective(
            expr=sum(sum(v[i] for i in v) for _, v, _ in m._slacks), sense=pyo.minimize)
        return
    m.objective = pyo.Objective(
        expr=m.term_travel + m.term_designation + m.term_advisory + m.term_unmet
        + m.term_reach_shortfall + m.term_change, sense=pyo.minimize)


TERMS = ("travel", "designation", "advisory", "unmet", "reach_shortfall", "change")

FAMILIES: tuple[Callable[[pyo.ConcreteModel, ModelData], None], ...] = (
    add_variables, add_demand_balance, add_linking, add_min_volume, add_capacity,
    add_speciale_capacity, add_reach, add_count_bounds, add_region_bounds, add_max_specialer,
    add_fixed, add_change_limit, add_objective,
)


ELASTIC_FAMILIES = (
    "demand_balance", "min_volume", "capacity", "speciale_capacity", "reach",
    "advisory_capacity", "count", "advisory_count", "region_count", "specialer_per_provider",
    "fixed", "change_limit",
)


def build_model(
    data: ModelData, *, elastic: frozenset[str] | None = None
) -> pyo.ConcreteModel:
    """Build the Pyomo model from resolved sparse data (never reads files).

    ``elastic``: names of hard families that get slack columns (diagnosis mode).
    """
    unknown = set(elastic or ()) - set(ELASTIC_FAMILIES)
    if unknown:
        raise ValueError(f"unknown elastic families {sorted(unknown)}")
    m = pyo.ConcreteModel(name="specialeplan")
    m._elastic = frozenset(elastic) if elastic is not None else None
    m._slacks = []
    for add in FAMILIES:
        add(m, data)
    return m


def values(var: pyo.Var) -> np.ndarray:
    """Values of an integer-indexed Var as a float array (0 where unset)."""
    return np.array([var[i].value or 0.0 for i in range(len(var))], dtype=float)


def set_values(m: pyo.ConcreteModel, val: object) -> None:
    """Load a start solution (``Values``: arrays y, r, x, u, v, q) into the variables;
    fixed variables keep their fixed value."""
    for name in ("y", "r", "x", "u", "v", "q"):
        var = getattr(m, name)
        for i, value in enumerate(getattr(val, name)):
            if not var[i].fixed:
                var[i].set_value(float(value), skip_validation=True)
