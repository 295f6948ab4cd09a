"""What every rule reads and how rules are registered: the :class:`Context` (a results
folder's inputs, tables and KPIs), the :data:`RULES` registry with its :func:`rule`
decorator, the :data:`TERM_RULES` registry with its :func:`term_rule` decorator (one per
objective term), and helpers more than one rule module uses."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from specialeplan.checker.report import Collector
from specialeplan.model.instance import OUTREACH_KINDS, PHYSICAL_KINDS, split_list
from specialeplan.model.keys import KP, KS, PS
from specialeplan.model.params import ModelParams
from specialeplan.model.pricing import care_prices

RS = ["region", "function"]
EPS_TRAVEL = 1e-9  # the model builder's own slack on travel/reach cutoffs


@dataclass
class Context:
    """Everything a rule may read: the scenario's model parameters, the solved inputs under
    ``instance/`` and the result tables."""

    params: ModelParams
    munis: pd.DataFrame
    prov: pd.DataFrame
    comp: pd.DataFrame
    dem: pd.DataFrame
    pt: pd.DataFrame
    sp: pd.DataFrame
    des: pd.DataFrame
    asg: pd.DataFrame
    cov: pd.DataFrame
    reach: pd.DataFrame
    nf: pd.DataFrame
    regions: pd.DataFrame
    kpis: dict[str, Any]
    solver: dict[str, Any] = field(default_factory=dict)  # resolved scenario's solver section
    #: instance/costs.csv (the objective's prices); None in a folder written before it
    cost_rows: pd.DataFrame | None = None
    #: transitional.csv (empty in a folder written before it)
    trans: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(
        columns=[*PS, "transitional_cases"]))
    #: instance/functions.csv: the planned functions' specialer and target group (None: a
    #: folder written before issue 22, one function per speciale of the same id)
    fn: pd.DataFrame | None = None
    #: capacity_changes.csv: the candidate expansions built (empty in an earlier folder)
    changes: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(
        columns=["entry", *PS, "places", "investment_dkk", "annual_cost_dkk"]))
    #: instance/applications.csv and applications.csv (None: no applications mode)
    apps_in: pd.DataFrame | None = None
    apps_out: pd.DataFrame | None = None

    def built_places(self, by: list[str]) -> pd.Series:
        """Places the built expansions add, summed by ``by`` (``["provider_id"]`` or PS)."""
        ch = self.changes
        if ch.empty:
            return pd.Series(dtype=float, name="built")
        return ch.groupby(by)["places"].sum().astype(float).rename("built")

    def built_for(self, rows: pd.DataFrame) -> np.ndarray:
        """The places the expansions built add to each (provider_id, function) of ``rows``."""
        if self.changes.empty or rows.empty:
            return np.zeros(len(rows))
        return self.built_places(PS).reindex(pd.MultiIndex.from_frame(rows[PS])).fillna(
            0.0).to_numpy()

    @cached_property
    def taxonomy_table(self) -> pd.DataFrame:
        """instance/functions.csv, or one function per speciale in an earlier folder."""
        if self.fn is not None:
            return self.fn
        return pd.DataFrame({"function": self.sp["function"], "name": self.sp["function"],
                             "specialer": self.sp["function"], "target_group": "all"})

    @cached_property
    def taxonomy(self) -> pd.DataFrame:
        """One row per (function, speciale) of the planned functions, with the function's
        ``target_group`` (``all`` in a folder without ``instance/functions.csv``)."""
        fn = self.taxonomy_table
        rows = [(f, s, tg) for f, text, tg in zip(fn["function"], fn["specialer"],
                                                   fn["target_group"], strict=True)
                for s in split_list(text)]
        return pd.DataFrame(rows, columns=["function", "speciale", "target_group"])

    @cached_property
    def speciale_demand(self) -> pd.DataFrame:
        """d[k,S]: the planned functions' demand per municipality and speciale (the load of
        advice on S in k)."""
        d = self.dem[["municipality_code", "function", "demand"]].merge(
            self.taxonomy[["function", "speciale"]], on="function")
        return d.groupby(["municipality_code", "speciale"], as_index=False)["demand"].sum()

    @cached_property
    def transitional_allowed(self) -> pd.DataFrame:
        """Per competence pair: the borgerforløb it may serve without a designation
        (``allowed``): its current cases with family ``moved`` on (and max_cases > 0),
        else 0."""
        comp = self.comp[[*PS, "current_cases", "max_cases"]]
        on = bool(self.params.families.moved)
        return comp[PS].assign(allowed=np.where(
            on & (comp["max_cases"] > 0).to_numpy(), comp["current_cases"].astype(float), 0.0))

    @cached_property
    def care_prices(self) -> pd.DataFrame:
        """Per planned speciale: ``residential`` and ``outreach`` price from
        instance/costs.csv (``model.pricing.care_prices``)."""
        return care_prices(self.cost_rows, list(self.sp["function"]))

    @cached_property
    def outreach_limit(self) -> pd.Series:
        """Per speciale: max((1 − ρ_s)·D_s, P_s) (family ``delivery_need``), D_s without it
        (``model.sets.ModelData.outreach_limit``)."""
        total = self.dem.groupby("function")["demand"].sum().reindex(
            self.sp["function"], fill_value=0.0)
        if not self.params.families.delivery_need or "residential_share" not in self.sp:
            return total
        rho = self.sp.set_index("function")["residential_share"].astype(float).fillna(0.0)
        pk = self.comp.merge(self.prov[["provider_id"]].assign(
            kind=self.prov["provider_id"].map(self.kind)), on="provider_id", how="left")
        only = (pk["kind"] == "outreach") & bool(self.params.families.outreach)
        allowed = pk[[*PS]].merge(self.transitional_allowed, on=PS, how="left")["allowed"]
        protected = allowed[only.to_numpy()].groupby(pk.loc[only, "function"]).sum().reindex(
            total.index, fill_value=0.0)
        return np.maximum((1.0 - rho.reindex(total.index)) * total, protected)

    @cached_property
    def pair_sum(self) -> pd.DataFrame:
        """Σ assigned borgerforløb (all modes; and the number of rows) per (provider,
        speciale)."""
        return self.asg.groupby(PS, as_index=False).agg(assigned=("cases", "sum"),
                                                        n=("cases", "size"))

    @cached_property
    def case_minutes(self) -> pd.Series:
        """Per assignment row: cases × travel_minutes."""
        return self.asg["cases"] * self.asg["travel_minutes"]

    @cached_property
    def costs(self) -> pd.DataFrame:
        """Per designation: is_advisory, designation_cost and advisory_cost (0 if unknown)."""
        return self.des[[*PS, "is_advisory"]].merge(
            self.comp[[*PS, "designation_cost", "advisory_cost"]], on=PS, how="left").fillna(
            {"designation_cost": 0.0, "advisory_cost": 0.0})

    @cached_property
    def physical(self) -> pd.Series:
        """Per assignment row: delivered at the provider's place (else by outreach)."""
        return self.asg["mode"] != "outreach"

    @cached_property
    def kind(self) -> pd.Series:
        """providers.kind by provider_id (lower case, empty = residential)."""
        return self.prov.set_index("provider_id")["kind"].fillna("").astype(str).str.strip(
        ).str.lower()

    @cached_property
    def region_of(self) -> pd.Series:
        """Region by municipality code."""
        return self.munis.set_index("code")["region"]

    @cached_property
    def moved(self) -> pd.DataFrame:
        """Per competence row with current cases: moved = max(0, current − Σ assigned)."""
        m = self.comp[[*PS, "current_cases"]].merge(self.pair_sum, on=PS, how="left").fillna(
            {"assigned": 0.0, "n": 0})
        m = m[m["current_cases"] > 0]
        return m.assign(moved=(m["current_cases"] - m["assigned"]).clip(lower=0.0))

    @cached_property
    def family_travel(self) -> pd.DataFrame:
        """a[k,s] per demand row with d > 0: Σ_physical cases·minutes / demand."""
        a = self.asg[self.physical.to_numpy()]
        tx = (a["cases"] * a["travel_minutes"]).groupby([a["municipality_code"],
                                                          a["function"]]).sum().rename("tx")
        d = self.dem[self.dem["demand"] > 0].merge(tx.reset_index(), on=KS, how="left")
        return d.assign(a=d["tx"].fillna(0.0) / d["demand"])

    def worst_off(self) -> pd.Series:
        """The equity measure per speciale (max or CVaR_alpha of a[k,s]), re-derived by
        sorting: CVaR = (Σ of the ⌊αn⌋ largest + the fraction of the next) / (αn)."""
        eq = self.params.equity
        out = {}
        for s, grp in self.family_travel.groupby("function"):
            a = np.sort(grp["a"].to_numpy())[::-1]
            tail = eq.alpha * len(a)
            if eq.measure == "max" or tail <= 1.0:
                out[s] = float(a[0])
                continue
            whole = int(np.floor(tail + 1e-9))
            part = a[:whole].sum() + (tail - whole) * (a[whole] if whole < len(a) else 0.0)
            out[s] = float(part / tail)
        return pd.Series(out, dtype=float)

    @cached_property
    def has_adviser(self) -> pd.Series:
        """Per reach row: advised by a provider (False = a shortfall row)."""
        return self.reach["advisory_provider_id"] != ""

    @cached_property
    def n_dropped(self) -> int:
        """#{competence rows designated today and not designated now}."""
        m = self.comp[self.comp["designated_today"]][PS].merge(
            self.des[PS].assign(now=True), on=PS, how="left")
        return int(m["now"].isna().sum())

    @cached_property
    def changed_pairs(self) -> pd.DataFrame:
        """The (p,s) over competence rows and designations with designated now ≠ today."""
        m = self.comp[[*PS, "designated_today"]].merge(
            self.des[PS].assign(now=True), on=PS, how="outer")
        today = m["designated_today"].fillna(False).astype(bool)
        now = m["now"].fillna(False).astype(bool)
        return m.loc[today != now, PS].reset_index(drop=True)

    @cached_property
    def n_changes(self) -> int:
        """#{(p,s) over competence rows and designations: designated now ≠ today}."""
        return len(self.changed_pairs)


Rule = Callable[[Context, Collector], None]
RULES: dict[str, Rule] = {}


def rule(name: str) -> Callable[[Rule], Rule]:
    """Register the checker rule for the family (or whole-folder check) ``name``."""

    def deco(fn: Rule) -> Rule:
        RULES[name] = fn
        return fn

    return deco


TermRule = Callable[[Context], float]
TERM_RULES: dict[str, TermRule] = {}


def term_rule(name: str) -> Callable[[TermRule], TermRule]:
    """Register how the checker recomputes objective term ``name`` from the files (one per
    term of the registry, in ``checker/rules/objective.py`` next to the others;
    ``tests/test_registry.py`` holds them equal)."""

    def deco(fn: TermRule) -> TermRule:
        TERM_RULES[name] = fn
        return fn

    return deco


def reported(kpis: dict[str, Any], *path: str) -> float | None:
    """A number in kpis.json at ``path`` (None where absent or not a number)."""
    v: Any = kpis
    for key in path:
        if not isinstance(v, dict):
            return None
        v = v.get(key)
    if isinstance(v, bool) or not isinstance(v, int | float):
        return None
    return float(v)


def with_travel_limit(x: Context, rows: pd.DataFrame, limit: str) -> pd.DataFrame:
    """Assignment ``rows`` with their travel minutes ``t`` (``instance/provider_travel.csv``,
    else the table's own ``travel_minutes``) and the speciale's ``limit`` column, keeping the
    rows whose speciale sets that limit (the family-travel cutoff, the outreach radius)."""
    a = rows.merge(x.pt, on=KP, how="left").merge(x.sp[["function", limit]], on="function",
                                                  how="left")
    a = a[a[limit].notna()]
    return a.assign(t=a["minutes"].fillna(a["travel_minutes"]))


def can_serve(x: Context, pairs: pd.DataFrame) -> pd.DataFrame:
    """(municipality_code, provider_id, speciale, minutes) where a pair of ``pairs`` can
    serve the municipality's demand: a place (kind residential/both/empty) within the
    family-travel cutoff, or an outreach team (kind outreach/both) within the outreach
    radius, re-derived from the inputs and the switches."""
    fam = x.params.families
    sp = x.sp.set_index("function")
    cand = x.dem[x.dem["demand"] > 0][KS].merge(pairs[PS], on="function").merge(
        x.pt, on=KP)
    kind = cand["provider_id"].map(x.kind).fillna("")
    cut = cand["function"].map(sp["max_travel_minutes"]).fillna(np.inf)
    if not fam.travel_cutoff:
        cut = cut * 0 + np.inf
    phys = ((kind.isin(PHYSICAL_KINDS) | (not fam.outreach))
            & (cand["minutes"] <= cut + EPS_TRAVEL))
    radius = cand["function"].map(sp["outreach_minutes"]).fillna(np.inf)
    out = fam.outreach & kind.isin(OUTREACH_KINDS) & (cand["minutes"] <= radius + EPS_TRAVEL)
    return cand[(phys | out).to_numpy()].reset_index(drop=True)
