"""The checker's rules: one per constraint family, keyed by the registry's names.

Each rule re-derives its family from the files alone (pandas on the result tables and the
solved inputs); none of them uses the model's formulation, which is the point of an
independent check. :func:`specialeplan.checker.check_results` runs the rule of every family
of the registry, in the registry's order, skipping the families the scenario switched off;
``tests/test_registry.py`` asserts that every registered family has a rule here.
The rules ``duplicates``, ``objective``, ``kpis`` and ``claims`` check the folder as a whole;
``claims`` holds ``kpis.json`` to what it says about the solve (status, bound, gap).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from specialeplan.checker.report import Collector, g
from specialeplan.contract import RESULT_TABLES, SOLUTION_STATUSES
from specialeplan.model.params import ModelParams

KS = ["municipality_code", "speciale"]
PS = ["provider_id", "speciale"]
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
    kpis: dict[str, Any]
    solver: dict[str, Any] = field(default_factory=dict)  # resolved scenario's solver section

    @cached_property
    def pair_sum(self) -> pd.DataFrame:
        """Σ assigned borgerforløb (and the number of rows) per (provider, speciale)."""
        return self.asg.groupby(PS, as_index=False).agg(assigned=("cases", "sum"),
                                                        n=("cases", "size"))

    @cached_property
    def has_adviser(self) -> pd.Series:
        """Per reach row: advised by a provider (False = a shortfall row)."""
        return self.reach["advisory_provider_id"] != ""

    @cached_property
    def n_changes(self) -> int:
        """#{(p,s) over competence rows and designations: designated now ≠ today}."""
        m = self.comp[[*PS, "designated_today"]].merge(
            self.des[PS].assign(now=True), on=PS, how="outer")
        today = m["designated_today"].fillna(False).astype(bool)
        now = m["now"].fillna(False).astype(bool)
        return int((today != now).sum())


Rule = Callable[[Context, Collector], None]
RULES: dict[str, Rule] = {}


def rule(name: str) -> Callable[[Rule], Rule]:
    """Register the checker rule for the family (or whole-folder check) ``name``."""

    def deco(fn: Rule) -> Rule:
        RULES[name] = fn
        return fn

    return deco


# ----------------------------------------------------------------------- whole folder
def check_duplicates(c: Collector, tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Report duplicated keys in result tables; return them with designations, coverage and
    reach reduced to one row per key (duplicate assignments are kept: their cases add up)."""
    out = dict(tables)
    for name, contract in RESULT_TABLES.items():
        df, keys = tables[name], contract.keys
        dup = df.duplicated(keys, keep="first")
        c.rule("duplicates", df, dup, lambda r, file=contract.file, keys=keys: (
            f"{file}: duplicate row for " + ", ".join(f"{k}={r[k]}" for k in keys)))
    for name in ("designations", "coverage", "reach"):
        out[name] = out[name].drop_duplicates(RESULT_TABLES[name].keys).reset_index(drop=True)
    return out


# ----------------------------------------------------------------------- families
@rule("variables")
def _variables(x: Context, c: Collector) -> None:
    """Domains: cases ≥ 0, unmet ≥ 0, advisory shares in [0, 1], known providers."""
    asg = x.asg
    c.rule("variables", asg, asg["cases"] < -c.tol, lambda r: (
        f"negative cases {g(r['cases'])} from municipality {r['municipality_code']} at "
        f"provider {r['provider_id']}, speciale {r['speciale']}"))
    known = set(x.prov["provider_id"])
    c.rule("variables", asg, ~asg["provider_id"].isin(known), lambda r: (
        f"assignment to unknown provider {r['provider_id']} (speciale {r['speciale']})"))
    c.rule("variables", x.cov, x.cov["unmet"] < -c.tol, lambda r: (
        f"municipality {r['municipality_code']}, speciale {r['speciale']}: negative unmet "
        f"{g(r['unmet'])}"))
    c.rule("variables", x.reach, (x.reach["share"] < -c.tol) | (x.reach["share"] > 1 + c.tol),
           lambda r: (f"municipality {r['municipality_code']}, speciale {r['speciale']}: "
                      f"share {g(r['share'])} outside [0, 1]"))
    pm = x.des.merge(x.prov[["provider_id", "municipality_code"]].rename(
        columns={"municipality_code": "home"}), on="provider_id", how="left")
    c.rule("variables", pm, pm["home"].isna(), lambda r: (
        f"designation of unknown provider {r['provider_id']} (speciale {r['speciale']})"))
    c.rule("variables", pm, pm["home"].notna() & (pm["municipality_code"] != "")
           & (pm["municipality_code"] != pm["home"]), lambda r: (
        f"provider {r['provider_id']}, speciale {r['speciale']}: designations.municipality_code "
        f"{r['municipality_code']} ≠ providers.csv {r['home']}"))


@rule("demand_balance")
def _demand_balance(x: Context, c: Collector) -> None:
    """Σ assigned + unmet = demand; coverage agrees with the inputs and the assignments;
    unmet = 0 when ``allow_unmet`` is off."""
    agg = x.asg.groupby(KS, as_index=False).agg(assigned=("cases", "sum"), n=("cases", "size"))
    m = x.dem.merge(agg, on=KS, how="outer", indicator="_a")
    c.rule("demand_balance", m, m["_a"] == "right_only", lambda r: (
        f"municipality {r['municipality_code']}, speciale {r['speciale']}: "
        f"{g(r['assigned'])} cases assigned but the pair is not in instance/demand.csv"))
    m = m[m["_a"] != "right_only"].drop(columns="_a")
    m[["assigned", "n"]] = m[["assigned", "n"]].fillna(0.0)
    cv = x.cov[[*KS, "demand", "served", "unmet"]].rename(columns={"demand": "cov_demand"})
    m = m.merge(cv, on=KS, how="outer", indicator="_c")
    c.rule("demand_balance", m, m["_c"] == "right_only", lambda r: (
        f"municipality {r['municipality_code']}, speciale {r['speciale']}: coverage.csv row "
        "for a pair that is not in instance/demand.csv"))
    c.rule("demand_balance", m, m["_c"] == "left_only", lambda r: (
        f"municipality {r['municipality_code']}, speciale {r['speciale']}: no coverage.csv row "
        f"(demand {g(r['demand'])})"))
    b = m[m["_c"] == "both"]
    gap = b["assigned"] + b["unmet"] - b["demand"]
    c.rule("demand_balance", b, np.abs(gap) > c.sm(b["demand"], b["n"] + 1), lambda r: (
        f"municipality {r['municipality_code']}, speciale {r['speciale']}: assigned "
        f"{g(r['assigned'])} + unmet {g(r['unmet'])} = {g(r['assigned'] + r['unmet'])} "
        f"≠ demand {g(r['demand'])}"))
    c.rule("demand_balance", b, np.abs(b["served"] - b["assigned"]) > c.sm(b["served"], b["n"]),
           lambda r: (f"municipality {r['municipality_code']}, speciale {r['speciale']}: "
                      f"coverage.served {g(r['served'])} ≠ Σ assignments "
                      f"{g(r['assigned'])}"))
    c.rule("demand_balance", b, np.abs(b["cov_demand"] - b["demand"]) > c.pt(b["demand"]),
           lambda r: (f"municipality {r['municipality_code']}, speciale {r['speciale']}: "
                      f"coverage.demand {g(r['cov_demand'])} ≠ instance demand "
                      f"{g(r['demand'])}"))
    if not x.params.families.allow_unmet:
        c.rule("demand_balance", b, b["unmet"] > c.pt(b["demand"]), lambda r: (
            f"municipality {r['municipality_code']}, speciale {r['speciale']}: unmet "
            f"{g(r['unmet'])} but unmet demand is not allowed (families.allow_unmet)"))


@rule("linking")
def _linking(x: Context, c: Collector) -> None:
    """Assignments only to designated, competent pairs; designations.cases = Σ assignments."""
    a = x.asg.merge(x.des[PS].assign(_des=True), on=PS, how="left")
    c.rule("linking", a, a["_des"].isna(), lambda r: (
        f"{g(r['cases'])} cases from municipality {r['municipality_code']} assigned to "
        f"provider {r['provider_id']} for speciale {r['speciale']}, which is not designated "
        "(no row in designations.csv)"))
    d = x.des.merge(x.comp[[*PS, "max_cases"]], on=PS, how="left")
    c.rule("linking", d, d["max_cases"].isna(), lambda r: (
        f"provider {r['provider_id']} is designated for speciale {r['speciale']} but has no "
        "competence row for it (or the speciale is not planned)"))
    c.rule("linking", d, d["max_cases"].notna() & (d["max_cases"] <= 0), lambda r: (
        f"provider {r['provider_id']} is designated for speciale {r['speciale']} but is not "
        "competent (competence.max_cases = 0)"))
    dc = x.des.merge(x.pair_sum, on=PS, how="left").fillna({"assigned": 0.0, "n": 0})
    c.rule("linking", dc, np.abs(dc["cases"] - dc["assigned"]) > c.sm(dc["cases"], dc["n"]),
           lambda r: (f"provider {r['provider_id']}, speciale {r['speciale']}: "
                      f"designations.cases {g(r['cases'])} ≠ Σ assignments "
                      f"{g(r['assigned'])}"))


@rule("travel_cutoff")
def _travel_cutoff(x: Context, c: Collector) -> None:
    """t[k,p] ≤ T_s for every assignment (travel from instance/provider_travel.csv)."""
    a = x.asg.merge(x.pt, on=["municipality_code", "provider_id"], how="left")
    a = a.merge(x.sp[["speciale", "max_travel_minutes"]], on="speciale", how="left")
    a = a[a["max_travel_minutes"].notna()]
    a = a.assign(t=a["minutes"].fillna(a["travel_minutes"]))
    lim = a["max_travel_minutes"]
    c.rule("travel_cutoff", a, a["t"] > lim + EPS_TRAVEL + c.pt(lim), lambda r: (
        f"municipality {r['municipality_code']} → provider {r['provider_id']} "
        f"(speciale {r['speciale']}): {g(r['t'])} minutes exceed the cutoff "
        f"{g(r['max_travel_minutes'])}"))


@rule("min_volume")
def _min_volume(x: Context, c: Collector) -> None:
    """Borgerforløb of a designation ≥ min_cases."""
    d = x.des[PS].merge(x.pair_sum, on=PS, how="left").fillna({"assigned": 0.0, "n": 0})
    d = d.merge(x.sp[["speciale", "min_cases"]], on="speciale")
    d = d[d["min_cases"].fillna(0.0) > 0]
    c.rule("min_volume", d, d["assigned"] < d["min_cases"] - c.sm(d["min_cases"], d["n"]),
           lambda r: (f"provider {r['provider_id']}, speciale {r['speciale']}: "
                      f"{g(r['assigned'])} cases, below the minimum volume "
                      f"{g(r['min_cases'])}"))


@rule("capacity")
def _capacity(x: Context, c: Collector) -> None:
    """Σ borgerforløb at a provider (all specialer) ≤ providers.capacity."""
    load = x.asg.groupby("provider_id", as_index=False).agg(
        load=("cases", "sum"), n=("cases", "size")).merge(
        x.prov[["provider_id", "capacity"]], on="provider_id")
    c.rule("capacity", load, load["load"] > load["capacity"] + c.sm(load["capacity"],
                                                                    load["n"]),
           lambda r: (f"provider {r['provider_id']}: {g(r['load'])} cases in total "
                      f"exceed capacity {g(r['capacity'])}"))


@rule("speciale_capacity")
def _speciale_capacity(x: Context, c: Collector) -> None:
    """Σ_k borgerforløb of a pair ≤ competence.max_cases."""
    sc = x.pair_sum.merge(x.comp[[*PS, "max_cases"]], on=PS)
    c.rule("speciale_capacity", sc,
           sc["assigned"] > sc["max_cases"] + c.sm(sc["max_cases"], sc["n"]),
           lambda r: (f"provider {r['provider_id']}, speciale {r['speciale']}: "
                      f"{g(r['assigned'])} cases exceed competence.max_cases "
                      f"{g(r['max_cases'])}"))


@rule("advisory_link")
def _advisory_link(x: Context, c: Collector) -> None:
    """Advice only from designated rådgivningsfunktioner; ``advised_municipalities`` matches
    reach.csv."""
    adv_n = x.reach[x.has_adviser].groupby(["advisory_provider_id", "speciale"]).size().rename(
        "n_reach").reset_index().rename(columns={"advisory_provider_id": "provider_id"})
    dn = x.des.merge(adv_n, on=PS, how="left").fillna({"n_reach": 0})
    c.rule("advisory_link", dn, np.abs(dn["advised_municipalities"] - dn["n_reach"]) > 0.5,
           lambda r: (f"provider {r['provider_id']}, speciale {r['speciale']}: "
                      f"advised_municipalities {g(r['advised_municipalities'])} ≠ "
                      f"{g(r['n_reach'])} rows in reach.csv"))
    rp = x.reach[x.has_adviser].rename(columns={"advisory_provider_id": "provider_id"})
    rp = rp.merge(x.des[[*PS, "is_advisory"]], on=PS, how="left")
    c.rule("advisory_link", rp, rp["is_advisory"].isna(), lambda r: (
        f"municipality {r['municipality_code']}, speciale {r['speciale']}: advised by "
        f"provider {r['provider_id']}, which is not designated for the speciale"))
    c.rule("advisory_link", rp, rp["is_advisory"].eq(False), lambda r: (
        f"municipality {r['municipality_code']}, speciale {r['speciale']}: advised by "
        f"provider {r['provider_id']}, which is not a rådgivningsfunktion (is_advisory false)"))


def _reach_rows(x: Context) -> pd.DataFrame:
    """Reach rows by a provider, with the speciale's reach limit and the input travel time."""
    rm = x.sp.loc[x.sp["reach_minutes"].notna(), ["speciale", "reach_minutes"]]
    r = x.reach.merge(rm, on="speciale", how="left")
    rp = r[x.has_adviser.to_numpy() & r["reach_minutes"].notna().to_numpy()].rename(
        columns={"advisory_provider_id": "provider_id"})
    return rp.merge(x.pt, on=["municipality_code", "provider_id"], how="left")


@rule("reach")
def _reach(x: Context, c: Collector) -> None:
    """Every municipality advised (shares + shortfall sum to 1) by a rådgivningsfunktion
    within reach_minutes; no shortfall when ``allow_reach_shortfall`` is off."""
    rm = x.sp.loc[x.sp["reach_minutes"].notna(), ["speciale", "reach_minutes"]]
    r = x.reach.merge(rm, on="speciale", how="left")
    c.rule("reach", r, r["reach_minutes"].isna(), lambda y: (
        f"municipality {y['municipality_code']}, speciale {y['speciale']}: reach.csv row for a "
        "speciale without a reach limit"))
    codes = set(x.munis["code"])
    c.rule("reach", r, ~r["municipality_code"].isin(codes), lambda y: (
        f"reach.csv row for unknown municipality {y['municipality_code']} "
        f"(speciale {y['speciale']})"))
    need = x.munis[["code"]].rename(columns={"code": "municipality_code"}).merge(
        rm[["speciale"]], how="cross")
    tot = x.reach.assign(shortfall=x.reach["share"].where(~x.has_adviser, 0.0)).groupby(
        KS, as_index=False).agg(total=("share", "sum"), n=("share", "size"),
                                shortfall=("shortfall", "sum"))
    nm = need.merge(tot, on=KS, how="left").fillna({"total": 0.0, "n": 0, "shortfall": 0.0})
    c.rule("reach", nm, np.abs(nm["total"] - 1.0) > c.sm(1.0, nm["n"]), lambda y: (
        f"municipality {y['municipality_code']}, speciale {y['speciale']}: "
        + ("no rådgivningsfunktion within reach and no shortfall recorded" if y["n"] == 0
           else f"reach shares sum to {g(y['total'])}, not 1")))
    if not x.params.families.allow_reach_shortfall:
        c.rule("reach", nm, nm["shortfall"] > c.tol, lambda y: (
            f"municipality {y['municipality_code']}, speciale {y['speciale']}: reach shortfall "
            f"{g(y['shortfall'])} but shortfall is not allowed "
            "(families.allow_reach_shortfall)"))
    rp = _reach_rows(x)
    c.rule("reach", rp, rp["minutes"].isna(), lambda y: (
        f"municipality {y['municipality_code']} → provider {y['provider_id']} "
        f"(speciale {y['speciale']}): no row in instance/provider_travel.csv"))
    c.rule("reach", rp, rp["minutes"].notna()
           & ~(np.abs(rp["travel_minutes"] - rp["minutes"]) <= c.pt(rp["minutes"])),
           lambda y: (f"municipality {y['municipality_code']} → provider {y['provider_id']} "
                      f"(speciale {y['speciale']}): reach travel_minutes "
                      f"{g(y['travel_minutes'])} ≠ provider_travel {g(y['minutes'])}"))
    rp = rp.assign(t=rp["minutes"].fillna(rp["travel_minutes"]))
    c.rule("reach", rp,
           rp["t"] > rp["reach_minutes"] + EPS_TRAVEL + c.pt(rp["reach_minutes"]),
           lambda y: (f"municipality {y['municipality_code']} → provider {y['provider_id']} "
                      f"(speciale {y['speciale']}): {g(y['t'])} minutes exceed "
                      f"reach_minutes {g(y['reach_minutes'])}"))


@rule("advisory_capacity")
def _advisory_capacity(x: Context, c: Collector) -> None:
    """Σ_k shares per rådgivningsfunktion ≤ providers.advisory_capacity."""
    rp = _reach_rows(x)
    load = rp.groupby(PS, as_index=False).agg(load=("share", "sum"), n=("share", "size"))
    load = load.merge(x.prov[["provider_id", "advisory_capacity"]], on="provider_id")
    load = load[np.isfinite(load["advisory_capacity"])]
    c.rule("advisory_capacity", load,
           load["load"] > load["advisory_capacity"] + c.sm(load["advisory_capacity"], load["n"]),
           lambda r: (f"provider {r['provider_id']}, speciale {r['speciale']}: advises "
                      f"{g(r['load'])} municipalities, above advisory_capacity "
                      f"{g(r['advisory_capacity'])}"))


def _bounds(c: Collector, family: str, df: pd.DataFrame, count: str, lo: str, hi: str,
            what: Callable[[dict[str, Any]], str]) -> None:
    """Lo <= count <= hi where the bound is not NaN."""
    for col, sign, word in ((lo, -1, "below the minimum"), (hi, 1, "above the maximum")):
        sub = df[df[col].notna()]
        bad = sign * (sub[count] - sub[col]) > 0.5
        c.rule(family, sub, bad, lambda r, col=col, word=word: (
            f"{what(r)}: {int(r[count])} {word} {g(r[col])}"))


@rule("count_bounds")
def _count_bounds(x: Context, c: Collector) -> None:
    """min/max specialfunktioner and rådgivningsfunktioner per speciale."""
    cnt = x.des.groupby("speciale").agg(n=("provider_id", "size"),
                                        n_adv=("is_advisory", "sum"))
    s = x.sp.merge(cnt, left_on="speciale", right_index=True, how="left").fillna(
        {"n": 0, "n_adv": 0})
    _bounds(c, "count_bounds", s, "n", "min_count", "max_count",
            lambda r: f"speciale {r['speciale']}: specialfunktioner")
    _bounds(c, "count_bounds", s, "n_adv", "min_advisory", "max_advisory",
            lambda r: f"speciale {r['speciale']}: rådgivningsfunktioner")


@rule("region_bounds")
def _region_bounds(x: Context, c: Collector) -> None:
    """min/max specialfunktioner per (speciale, region) listed in the scenario."""
    if not x.params.region_bounds:
        return
    region = x.prov[["provider_id", "municipality_code"]].merge(
        x.munis[["code", "region"]], left_on="municipality_code", right_on="code",
        how="left")[["provider_id", "region"]]
    n = x.des[PS].merge(region, on="provider_id", how="left").groupby(
        ["speciale", "region"]).size().rename("n")
    rb = pd.DataFrame([b.model_dump() for b in x.params.region_bounds]).astype(
        {"min_count": float, "max_count": float})
    rb = rb.merge(n.reset_index(), on=["speciale", "region"], how="left").fillna({"n": 0})
    _bounds(c, "region_bounds", rb, "n", "min_count", "max_count",
            lambda r: f"speciale {r['speciale']}, region {r['region']}: specialfunktioner")


@rule("max_specialer")
def _max_specialer(x: Context, c: Collector) -> None:
    """Specialer per provider ≤ max_specialer_per_provider."""
    limit = x.params.max_specialer_per_provider
    if limit is None:
        return
    per = x.des.groupby("provider_id", as_index=False).agg(n=("speciale", "size"))
    c.rule("max_specialer", per, per["n"] > limit, lambda r: (
        f"provider {r['provider_id']} holds {int(r['n'])} specialer, above "
        f"max_specialer_per_provider {limit}"))


@rule("fixed")
def _fixed(x: Context, c: Collector) -> None:
    """Fixed and kept (keep_today) pairs designated; forbidden ones not."""
    p = x.params
    designated = x.des[PS].assign(_des=True)
    fixed = pd.DataFrame([d.model_dump() for d in p.fixed], columns=PS).assign(
        why="fixed in the scenario")
    keep = x.comp[x.comp["designated_today"]].merge(
        x.prov[["provider_id", "owner"]], on="provider_id", how="left")
    keep = keep[keep["owner"].isin(p.keep_today)]
    keep = keep[PS].assign(
        why="designated today and owner '" + keep["owner"] + "' is in keep_today")
    must = pd.concat([fixed, keep], ignore_index=True).drop_duplicates(PS)
    m = must.merge(designated, on=PS, how="left")
    c.rule("fixed", m, m["_des"].isna(), lambda r: (
        f"provider {r['provider_id']}, speciale {r['speciale']} must be designated "
        f"({r['why']}) but is not"))
    forb = pd.DataFrame([d.model_dump() for d in p.forbidden], columns=PS)
    f = forb.merge(designated, on=PS, how="left")
    c.rule("fixed", f, f["_des"].notna(), lambda r: (
        f"provider {r['provider_id']}, speciale {r['speciale']} is forbidden but designated"))


@rule("change_limit")
def _change_limit(x: Context, c: Collector) -> None:
    """#designations that differ from today's ≤ max_changes."""
    limit = x.params.max_changes
    if limit is not None:
        c.single("change_limit", x.n_changes <= limit,
                 f"{x.n_changes} designations differ from today's, above max_changes {limit}")


# ----------------------------------------------------------------------- objective, KPIs
def recompute_terms(x: Context) -> dict[str, float]:
    """Every objective term from the tables (``docs/results-format.md``)."""
    w = x.params.weights
    costs = x.des[[*PS, "is_advisory"]].merge(
        x.comp[[*PS, "designation_cost", "advisory_cost"]], on=PS, how="left").fillna(
        {"designation_cost": 0.0, "advisory_cost": 0.0})
    shortfall = x.reach.loc[~x.has_adviser, "share"].sum()
    return {
        "travel": float(w.travel * (x.asg["cases"] * x.asg["travel_minutes"]).sum()),
        "designation": float(w.designation * costs["designation_cost"].sum()),
        "advisory": float(w.advisory * costs.loc[costs["is_advisory"], "advisory_cost"].sum()),
        "unmet": float(w.unmet * x.cov["unmet"].sum()),
        "reach_shortfall": float(w.reach_shortfall * shortfall),
        "change": float(w.change * x.n_changes),
    }


def check_objective(x: Context, c: Collector, terms: dict[str, float], reported: float) -> None:
    """Every term and the total in ``kpis.json`` against the recomputed ones; the travel
    minutes of the tables against the inputs (the travel term rests on them)."""
    a = x.asg.merge(x.pt, on=["municipality_code", "provider_id"], how="left")
    c.rule("objective", a, a["minutes"].isna(), lambda r: (
        f"municipality {r['municipality_code']} → provider {r['provider_id']} "
        f"(speciale {r['speciale']}): no row in instance/provider_travel.csv"))
    c.rule("objective", a, a["minutes"].notna()
           & (np.abs(a["travel_minutes"] - a["minutes"]) > c.pt(a["minutes"])), lambda r: (
        f"municipality {r['municipality_code']} → provider {r['provider_id']} "
        f"(speciale {r['speciale']}): travel_minutes {g(r['travel_minutes'])} ≠ "
        f"provider_travel {g(r['minutes'])}"))
    rtol = 10 * c.tol
    for t, value in terms.items():
        rep = float(x.kpis["terms"][t])
        c.single("objective", abs(rep - value) <= rtol * max(1.0, abs(value)),
                 f"term {t}: kpis.json reports {rep:.10g}, recomputed {value:.10g}")
    total = sum(terms.values())
    if np.isnan(reported):
        c.single("objective", False, "kpis.json objective is null")
    else:
        c.single("objective", abs(reported - total) <= rtol * max(1.0, abs(total)),
                 f"objective: kpis.json reports {reported:.10g}, sum of recomputed terms "
                 f"{total:.10g}")
    rec = x.kpis.get("objective_recomputed")
    if isinstance(rec, int | float) and not isinstance(rec, bool):
        c.single("objective", abs(rec - total) <= rtol * max(1.0, abs(total)),
                 f"objective_recomputed: kpis.json reports {rec:.10g}, recomputed "
                 f"{total:.10g}")


def check_kpis(x: Context, c: Collector) -> None:
    """Totals in kpis.json (those present) against the tables."""
    totals = {
        "total_demand": float(x.cov["demand"].sum()),
        "total_unmet": float(x.cov["unmet"].sum()),
        "total_served": float(x.asg["cases"].sum()),
        "reach_shortfalls": float(x.reach.loc[~x.has_adviser, "share"].sum()),
        "specialfunktioner": float(len(x.des)),
        "raadgivningsfunktioner": float(x.des["is_advisory"].sum()),
    }
    for key, value in totals.items():
        rep = x.kpis.get(key)
        if isinstance(rep, int | float) and not isinstance(rep, bool):
            c.single("kpis", abs(rep - value) <= 10 * c.tol * max(1.0, abs(value)) + c.tol,
                     f"{key}: kpis.json reports {rep:.10g}, tables give {value:.10g}")
    per = x.kpis.get("per_speciale")
    if not isinstance(per, dict):
        return
    cs = x.cov.groupby("speciale")[["demand", "served", "unmet"]].sum()
    ds = x.des.groupby("speciale").agg(specialfunktioner=("provider_id", "size"),
                                       raadgivningsfunktioner=("is_advisory", "sum"))
    tab = cs.join(ds, how="outer").fillna(0.0)
    for s, rec in per.items():
        if not isinstance(rec, dict):
            continue
        for key, rep in rec.items():
            if key not in tab.columns or isinstance(rep, bool) or not isinstance(rep, int | float):
                continue
            value = float(tab.at[s, key]) if s in tab.index else 0.0
            c.single("kpis", abs(rep - value) <= 10 * c.tol * max(1.0, abs(value)) + c.tol,
                     f"per_speciale.{s}.{key}: kpis.json reports {rep:.10g}, tables give "
                     f"{value:.10g}", speciale=s)


def _number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


def check_claims(x: Context, c: Collector) -> None:
    """What ``kpis.json`` claims about the solve, held to the folder and to itself:
    the status is one with a solution (this folder has one); ``best_bound`` ≤ ``objective``
    (minimisation); ``mip_gap`` = |objective − bound| / max(|objective|, 1e-9) as HiGHS
    defines it, never negative, null exactly when the bound is; ``optimal`` only within the
    scenario's ``mip_rel_gap``."""
    k = x.kpis
    status = k.get("status")
    c.single("claims", status in SOLUTION_STATUSES,
             f"status {status!r}: a folder with solution tables must have one of "
             f"{list(SOLUTION_STATUSES)}")
    obj, bound, gap = k.get("objective"), k.get("best_bound"), k.get("mip_gap")
    for key, v in (("best_bound", bound), ("mip_gap", gap)):
        c.single("claims", v is None or _number(v),
                 f"{key}: expected a finite number or null, got {v!r}")
    if not (_number(obj) and (bound is None or _number(bound))
            and (gap is None or _number(gap))):
        return
    scale = max(1.0, abs(obj))
    if bound is not None:
        c.single("claims", bound <= obj + 10 * c.tol * scale,
                 f"best_bound {bound:.10g} is above the objective {obj:.10g}: no solution "
                 "can beat a valid lower bound (minimisation)")
    c.single("claims", (gap is None) == (bound is None),
             f"mip_gap {gap!r} with best_bound {bound!r}: the gap exists exactly when the "
             "bound does")
    if gap is None or bound is None:
        return
    c.single("claims", gap >= 0, f"mip_gap {gap:.10g} is negative")
    expected = abs(obj - bound) / max(abs(obj), 1e-9)
    c.single("claims", abs(gap - expected) <= 1e-9 + 10 * c.tol * max(1.0, expected),
             f"mip_gap {gap:.10g} ≠ |objective − best_bound| / |objective| = {expected:.10g}")
    target = x.solver.get("mip_rel_gap")
    if status == "optimal" and _number(target):
        c.single("claims", expected <= target * (1 + 1e-3) + 1e-6 or abs(obj - bound) <= 1e-6,
                 f"status optimal but the gap {expected:.4%} is above the target "
                 f"solver.mip_rel_gap {target:.4%}")
