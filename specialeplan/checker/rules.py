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

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from specialeplan.checker.report import Collector, g
from specialeplan.model.instance import OUTREACH_KINDS, PHYSICAL_KINDS
from specialeplan.model.params import ModelParams
from specialeplan.results.contract import MODES, RESULT_TABLES, SOLUTION_STATUSES

KS = ["municipality_code", "speciale"]
PS = ["provider_id", "speciale"]
RS = ["region", "speciale"]
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

    @cached_property
    def pair_sum(self) -> pd.DataFrame:
        """Σ assigned borgerforløb (all modes; and the number of rows) per (provider,
        speciale)."""
        return self.asg.groupby(PS, as_index=False).agg(assigned=("cases", "sum"),
                                                        n=("cases", "size"))

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
                                                          a["speciale"]]).sum().rename("tx")
        d = self.dem[self.dem["demand"] > 0].merge(tx.reset_index(), on=KS, how="left")
        return d.assign(a=d["tx"].fillna(0.0) / d["demand"])

    def worst_off(self) -> pd.Series:
        """The equity measure per speciale (max or CVaR_alpha of a[k,s]), re-derived by
        sorting: CVaR = (Σ of the ⌊αn⌋ largest + the fraction of the next) / (αn)."""
        eq = self.params.equity
        out = {}
        for s, grp in self.family_travel.groupby("speciale"):
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
    c.rule("variables", asg, ~asg["mode"].isin(MODES), lambda r: (
        f"municipality {r['municipality_code']} → provider {r['provider_id']} (speciale "
        f"{r['speciale']}): unknown mode {r['mode']!r} (physical or outreach)"))
    if not x.params.families.outreach:
        c.rule("variables", asg, asg["mode"] == "outreach", lambda r: (
            f"municipality {r['municipality_code']} → provider {r['provider_id']} (speciale "
            f"{r['speciale']}): an outreach assignment but families.outreach is off"))
    c.rule("variables", x.nf, x.nf["cases"] < -c.tol, lambda r: (
        f"near-family help in municipality {r['municipality_code']}, speciale "
        f"{r['speciale']}: negative cases {g(r['cases'])}"))
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
    """Σ assigned + near-family help + unmet = demand; coverage agrees with the inputs, the
    assignments and near_family.csv; unmet = 0 when ``allow_unmet`` is off."""
    agg = x.asg.groupby(KS, as_index=False).agg(assigned=("cases", "sum"), n=("cases", "size"))
    out = x.asg[~x.physical.to_numpy()].groupby(KS)["cases"].sum().rename("out_sum")
    near = x.nf.groupby(KS)["cases"].sum().rename("nf_sum")
    agg = agg.merge(out.reset_index(), on=KS, how="left").fillna({"out_sum": 0.0})
    m = x.dem.merge(agg, on=KS, how="outer", indicator="_a")
    c.rule("demand_balance", m, m["_a"] == "right_only", lambda r: (
        f"municipality {r['municipality_code']}, speciale {r['speciale']}: "
        f"{g(r['assigned'])} cases assigned but the pair is not in instance/demand.csv"))
    m = m[m["_a"] != "right_only"].drop(columns="_a")
    m = m.merge(near.reset_index(), on=KS, how="left")
    m[["assigned", "n", "out_sum", "nf_sum"]] = m[["assigned", "n", "out_sum",
                                                  "nf_sum"]].fillna(0.0)
    cv = x.cov[[*KS, "demand", "served", "outreach", "near_family", "unmet"]].rename(
        columns={"demand": "cov_demand"})
    m = m.merge(cv, on=KS, how="outer", indicator="_c")
    c.rule("demand_balance", m, m["_c"] == "right_only", lambda r: (
        f"municipality {r['municipality_code']}, speciale {r['speciale']}: coverage.csv row "
        "for a pair that is not in instance/demand.csv"))
    c.rule("demand_balance", m, m["_c"] == "left_only", lambda r: (
        f"municipality {r['municipality_code']}, speciale {r['speciale']}: no coverage.csv row "
        f"(demand {g(r['demand'])})"))
    b = m[m["_c"] == "both"]
    gap = b["assigned"] + b["nf_sum"] + b["unmet"] - b["demand"]
    c.rule("demand_balance", b, np.abs(gap) > c.sm(b["demand"], b["n"] + 2), lambda r: (
        f"municipality {r['municipality_code']}, speciale {r['speciale']}: assigned "
        f"{g(r['assigned'])} + near-family {g(r['nf_sum'])} + unmet {g(r['unmet'])} = "
        f"{g(r['assigned'] + r['nf_sum'] + r['unmet'])} ≠ demand {g(r['demand'])}"))
    c.rule("demand_balance", b,
           np.abs(b["near_family"] - b["nf_sum"]) > c.sm(b["near_family"], b["n"] + 1),
           lambda r: (f"municipality {r['municipality_code']}, speciale {r['speciale']}: "
                      f"coverage.near_family {g(r['near_family'])} ≠ Σ near_family.csv "
                      f"{g(r['nf_sum'])}"))
    c.rule("demand_balance", b,
           np.abs(b["outreach"] - b["out_sum"]) > c.sm(b["outreach"], b["n"]),
           lambda r: (f"municipality {r['municipality_code']}, speciale {r['speciale']}: "
                      f"coverage.outreach {g(r['outreach'])} ≠ Σ outreach assignments "
                      f"{g(r['out_sum'])}"))
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
    """Assignments only to designated, competent pairs."""
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


@rule("pair_volume")
def _pair_volume(x: Context, c: Collector) -> None:
    """designations.cases = Σ assignments of the pair."""
    dc = x.des.merge(x.pair_sum, on=PS, how="left").fillna({"assigned": 0.0, "n": 0})
    c.rule("pair_volume", dc, np.abs(dc["cases"] - dc["assigned"]) > c.sm(dc["cases"], dc["n"]),
           lambda r: (f"provider {r['provider_id']}, speciale {r['speciale']}: "
                      f"designations.cases {g(r['cases'])} ≠ Σ assignments "
                      f"{g(r['assigned'])}"))
    out = x.asg[~x.physical.to_numpy()].groupby(PS)["cases"].sum().rename("out_sum")
    do = dc.merge(out.reset_index(), on=PS, how="left").fillna({"out_sum": 0.0})
    c.rule("linking", do, np.abs(do["outreach_cases"] - do["out_sum"])
           > c.sm(do["outreach_cases"], do["n"]),
           lambda r: (f"provider {r['provider_id']}, speciale {r['speciale']}: "
                      f"designations.outreach_cases {g(r['outreach_cases'])} ≠ Σ outreach "
                      f"assignments {g(r['out_sum'])}"))


@rule("travel_cutoff")
def _travel_cutoff(x: Context, c: Collector) -> None:
    """t[k,p] ≤ T_s for every physical assignment (travel from
    instance/provider_travel.csv; outreach has its own radius, rule ``outreach``)."""
    a = x.asg[x.physical.to_numpy()].merge(x.pt, on=["municipality_code", "provider_id"],
                                            how="left")
    a = a.merge(x.sp[["speciale", "max_travel_minutes"]], on="speciale", how="left")
    a = a[a["max_travel_minutes"].notna()]
    a = a.assign(t=a["minutes"].fillna(a["travel_minutes"]))
    lim = a["max_travel_minutes"]
    c.rule("travel_cutoff", a, a["t"] > lim + EPS_TRAVEL + c.pt(lim), lambda r: (
        f"municipality {r['municipality_code']} → provider {r['provider_id']} "
        f"(speciale {r['speciale']}): {g(r['t'])} minutes exceed the cutoff "
        f"{g(r['max_travel_minutes'])}"))


def _radius_applies(x: Context) -> bool:
    """Whether every client must go to its nearest designated provider (the radius
    formulation: p-median-like scenarios), re-derived from the switches and the inputs;
    conservative: any rule that might send a client farther makes it False."""
    p = x.params
    fam = p.families
    if p.assignment_formulation == "radius":
        return True
    outreach = fam.outreach and x.prov["kind"].isin(["outreach", "both"]).any()
    moved = fam.moved and (x.comp["current_cases"] > 0).any()
    near = fam.near_family and x.sp["reach_minutes"].notna().any()
    return p.assignment_formulation == "auto" and not (
        fam.capacity or fam.speciale_capacity or fam.min_volume or fam.allow_unmet
        or fam.equity or outreach or moved or near)


@rule("radius_assignment")
def _radius_assignment(x: Context, c: Collector) -> None:
    """Radius scenarios: each client's borgerforløb go to its nearest designated provider."""
    if not _radius_applies(x):
        return
    des = x.des[PS].merge(x.pt, on="provider_id")
    nearest = des.groupby(KS, as_index=False)["minutes"].min()
    a = x.asg.merge(nearest, on=KS, how="left")
    c.rule("radius_assignment", a, a["travel_minutes"] > a["minutes"] + c.pt(a["minutes"]),
           lambda r: (f"municipality {r['municipality_code']}, speciale {r['speciale']}: served "
                      f"at {g(r['travel_minutes'])} minutes by {r['provider_id']}, but a "
                      f"designated provider is {g(r['minutes'])} minutes away"))


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
    """Σ borgerforløb at a provider (all specialer, assignments and near-family help it
    gives as the local tilbud) ≤ providers.capacity."""
    use = pd.concat([x.asg[["provider_id", "cases"]], x.nf[["provider_id", "cases"]]],
                    ignore_index=True)
    load = use.groupby("provider_id", as_index=False).agg(
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
    """Advisory load of a rådgivningsfunktion, Σ_k share·demand[k,s] + κ·(near-family
    borgerforløb it coaches), ≤ providers.advisory_capacity; designations.coached_cases and
    advisory_load agree with the files."""
    kappa = x.params.near_family_advisory_load
    rp = _reach_rows(x).merge(x.dem, on=KS, how="left").fillna({"demand": 0.0})
    adv = rp.assign(w=rp["share"] * rp["demand"]).groupby(PS, as_index=False).agg(
        advised=("w", "sum"), n=("w", "size"))
    coached = x.nf.groupby(["advisory_provider_id", "speciale"])["cases"].agg(
        ["sum", "size"]).reset_index().rename(columns={
            "advisory_provider_id": "provider_id", "sum": "coached", "size": "n_c"})
    load = adv.merge(coached, on=PS, how="outer").fillna({"advised": 0.0, "n": 0,
                                                          "coached": 0.0, "n_c": 0})
    load = load.assign(load=load["advised"] + kappa * load["coached"])
    cap = load.merge(x.prov[["provider_id", "advisory_capacity"]], on="provider_id")
    cap = cap[np.isfinite(cap["advisory_capacity"])]
    c.rule("advisory_capacity", cap,
           cap["load"] > cap["advisory_capacity"] + c.sm(cap["advisory_capacity"],
                                                         cap["n"] + cap["n_c"]),
           lambda r: (f"provider {r['provider_id']}, speciale {r['speciale']}: advisory load "
                      f"{g(r['load'])} borgerforløb ({g(r['advised'])} advised + "
                      f"{g(kappa)} × {g(r['coached'])} coached) above advisory_capacity "
                      f"{g(r['advisory_capacity'])}"))
    d = x.des.merge(load, on=PS, how="left").fillna({"load": 0.0, "coached": 0.0, "n": 0,
                                                     "n_c": 0})
    for col, ref in (("coached_cases", "coached"), ("advisory_load", "load")):
        c.rule("advisory_capacity", d,
               np.abs(d[col] - d[ref]) > c.sm(d[ref], d["n"] + d["n_c"]),
               lambda r, col=col, ref=ref: (
                   f"provider {r['provider_id']}, speciale {r['speciale']}: designations."
                   f"{col} {g(r[col])} ≠ {g(r[ref])} from reach.csv and near_family.csv"))


@rule("outreach")
def _outreach(x: Context, c: Collector) -> None:
    """Outreach rows only from tilbud with an outreach team (kind outreach/both), within
    the outreach radius outreach_minutes of the speciale; physical rows only from tilbud
    with a place (kind residential/both/empty)."""
    a = x.asg.assign(kind=x.asg["provider_id"].map(x.kind).fillna(""))
    out, phys = a[~x.physical.to_numpy()], a[x.physical.to_numpy()]
    c.rule("outreach", out, ~out["kind"].isin(OUTREACH_KINDS), lambda r: (
        f"municipality {r['municipality_code']} ← provider {r['provider_id']} (speciale "
        f"{r['speciale']}): outreach from a tilbud of kind {r['kind']!r} (no outreach team)"))
    c.rule("outreach", phys, ~phys["kind"].isin(PHYSICAL_KINDS), lambda r: (
        f"municipality {r['municipality_code']} → provider {r['provider_id']} (speciale "
        f"{r['speciale']}): a physical place at a tilbud of kind {r['kind']!r} (outreach only)"))
    o = out.merge(x.pt, on=["municipality_code", "provider_id"], how="left").merge(
        x.sp[["speciale", "outreach_minutes"]], on="speciale", how="left")
    o = o[o["outreach_minutes"].notna()]
    o = o.assign(t=o["minutes"].fillna(o["travel_minutes"]))
    lim = o["outreach_minutes"]
    c.rule("outreach", o, o["t"] > lim + EPS_TRAVEL + c.pt(lim), lambda r: (
        f"municipality {r['municipality_code']} ← provider {r['provider_id']} (speciale "
        f"{r['speciale']}): outreach over {g(r['t'])} minutes exceeds the outreach radius "
        f"{g(r['outreach_minutes'])}"))


@rule("near_family")
def _near_family(x: Context, c: Collector) -> None:
    """Near-family help: at a tilbud located in the citizen's home municipality that is not
    a specialfunktion of the speciale, coached by a rådgivningsfunktion of the speciale
    within reach_minutes, and at most near_family_share of the speciale's demand."""
    nf = x.nf.merge(x.prov[["provider_id", "municipality_code"]].rename(
        columns={"municipality_code": "at"}), on="provider_id", how="left")
    c.rule("near_family", nf, nf["at"] != nf["municipality_code"], lambda r: (
        f"municipality {r['municipality_code']}, speciale {r['speciale']}: near-family help "
        f"at provider {r['provider_id']}, which is not located there ({r['at']})"))
    des = x.des[[*PS, "is_advisory"]]
    loc = nf.merge(des[PS].assign(_des=True), on=PS, how="left")
    c.rule("near_family", loc, loc["_des"].notna(), lambda r: (
        f"municipality {r['municipality_code']}, speciale {r['speciale']}: near-family help "
        f"at provider {r['provider_id']}, which is a specialfunktion of the speciale"))
    co = nf.drop(columns="provider_id").rename(columns={"advisory_provider_id": "provider_id"})
    co = co.merge(des, on=PS, how="left").merge(
        x.pt, on=["municipality_code", "provider_id"], how="left").merge(
        x.sp[["speciale", "reach_minutes"]], on="speciale", how="left")
    c.rule("near_family", co, co["is_advisory"].ne(True), lambda r: (
        f"municipality {r['municipality_code']}, speciale {r['speciale']}: near-family help "
        f"coached by provider {r['provider_id']}, which is not a rådgivningsfunktion"))
    lim = co["reach_minutes"]
    c.rule("near_family", co, lim.isna() | co["minutes"].isna()
           | (co["minutes"] > lim + EPS_TRAVEL + c.pt(lim.fillna(0.0))), lambda r: (
        f"municipality {r['municipality_code']}, speciale {r['speciale']}: near-family help "
        f"coached by provider {r['provider_id']}, which does not reach the municipality "
        f"({g(r['minutes'])} minutes, reach_minutes {g(r['reach_minutes'])})"))
    tot = x.nf.groupby("speciale", as_index=False).agg(nf=("cases", "sum"), n=("cases", "size"))
    tot = tot.merge(x.dem.groupby("speciale", as_index=False)["demand"].sum(), on="speciale",
                    how="left").merge(x.sp[["speciale", "near_family_share"]], on="speciale",
                                      how="left")
    cap = tot["near_family_share"].fillna(0.0) * tot["demand"].fillna(0.0)
    c.rule("near_family", tot, tot["nf"] > cap + c.sm(cap, tot["n"]), lambda r: (
        f"speciale {r['speciale']}: {g(r['nf'])} borgerforløb helped near the family, above "
        f"near_family_share {g(r['near_family_share'])} of demand {g(r['demand'])}"))


def _reported(kpis: dict[str, Any], *path: str) -> float | None:
    """A number in kpis.json at ``path`` (None where absent or not a number)."""
    v: Any = kpis
    for key in path:
        if not isinstance(v, dict):
            return None
        v = v.get(key)
    if isinstance(v, bool) or not isinstance(v, int | float):
        return None
    return float(v)


@rule("moved")
def _moved(x: Context, c: Collector) -> None:
    """Moved borgerforløb = Σ max(0, current_cases − Σ assigned) over competence rows;
    kpis.json's moved_borgerforloeb (and per speciale) agree."""
    m = x.moved
    per = m.groupby("speciale")["moved"].sum()
    checks = [("moved_borgerforloeb", ("moved_borgerforloeb",), float(per.sum()))]
    checks += [(f"per_speciale.{s}.moved", ("per_speciale", s, "moved"),
                float(per.get(s, 0.0))) for s in x.sp["speciale"]]
    for label, path, value in checks:
        rep = _reported(x.kpis, *path)
        if rep is not None:
            c.single("moved", abs(rep - value) <= c.sm(value, len(m)),
                     f"{label}: kpis.json reports {rep:.10g}, current_cases and assignments "
                     f"give {value:.10g}")


@rule("keep_advisory_today")
def _keep_advisory_today(x: Context, c: Collector) -> None:
    """With keep_advisory_today, every competence row with advisory_today is designated as a
    rådgivningsfunktion."""
    if not x.params.keep_advisory_today:
        return
    today = x.comp[x.comp["advisory_today"]][PS].merge(
        x.des[[*PS, "is_advisory"]], on=PS, how="left")
    c.rule("keep_advisory_today", today, today["is_advisory"].ne(True), lambda r: (
        f"provider {r['provider_id']}, speciale {r['speciale']} is a rådgivningsfunktion "
        "today (advisory_today) and keep_advisory_today is on, but it is not one now"))


def can_serve(x: Context, pairs: pd.DataFrame) -> pd.DataFrame:
    """(municipality_code, provider_id, speciale, minutes) where a pair of ``pairs`` can
    serve the municipality's demand: a place (kind residential/both/empty) within the
    family-travel cutoff, or an outreach team (kind outreach/both) within the outreach
    radius, re-derived from the inputs and the switches."""
    fam = x.params.families
    sp = x.sp.set_index("speciale")
    cand = x.dem[x.dem["demand"] > 0][KS].merge(pairs[PS], on="speciale").merge(
        x.pt, on=["municipality_code", "provider_id"])
    kind = cand["provider_id"].map(x.kind).fillna("")
    cut = cand["speciale"].map(sp["max_travel_minutes"]).fillna(np.inf)
    if not fam.travel_cutoff:
        cut = cut * 0 + np.inf
    phys = ((kind.isin(PHYSICAL_KINDS) | (not fam.outreach))
            & (cand["minutes"] <= cut + EPS_TRAVEL))
    radius = cand["speciale"].map(sp["outreach_minutes"]).fillna(np.inf)
    out = fam.outreach & kind.isin(OUTREACH_KINDS) & (cand["minutes"] <= radius + EPS_TRAVEL)
    return cand[(phys | out).to_numpy()].reset_index(drop=True)


@rule("backup_coverage")
def _backup_coverage(x: Context, c: Collector) -> None:
    """Every (municipality, speciale) with demand has at least two specialfunktioner in
    range: one that can serve it (a place within max_travel_minutes or an outreach team
    within outreach_minutes) and a second that can serve it or has a place within
    backup_minutes (empty = max_travel_minutes)."""
    sp = x.sp.set_index("speciale")
    first = can_serve(x, x.des).groupby(KS).size().rename("first")
    bm = (sp["backup_minutes"] if "backup_minutes" in sp else sp["max_travel_minutes"]
          ).fillna(sp["max_travel_minutes"])
    places = x.des[x.des["provider_id"].map(x.kind).fillna("").isin(PHYSICAL_KINDS)
                   | (not x.params.families.outreach)]
    near = x.dem[x.dem["demand"] > 0][KS].merge(places[PS], on="speciale").merge(
        x.pt, on=["municipality_code", "provider_id"])
    near = near[near["minutes"] <= near["speciale"].map(bm).fillna(np.inf) + EPS_TRAVEL]
    both = pd.concat([can_serve(x, x.des)[[*KS, "provider_id"]],
                      near[[*KS, "provider_id"]]]).drop_duplicates()
    second = both.groupby(KS).size().rename("second")
    d = x.dem[x.dem["demand"] > 0][[*KS, "demand"]].merge(
        first.reset_index(), on=KS, how="left").merge(second.reset_index(), on=KS,
                                                       how="left").fillna(
        {"first": 0, "second": 0})
    c.rule("backup_coverage", d, d["second"] < 2, lambda r: (
        f"municipality {r['municipality_code']}, speciale {r['speciale']}: "
        f"{int(r['second'])} specialfunktion(er) in range, backup coverage needs 2"))
    c.rule("backup_coverage", d, d["first"] < 1, lambda r: (
        f"municipality {r['municipality_code']}, speciale {r['speciale']}: no "
        "specialfunktion can serve it within the family-travel cutoff (backup coverage)"))


@rule("committed")
def _committed(x: Context, c: Collector) -> None:
    """Commitments of earlier rollout waves (model.committed): designated, a
    rådgivningsfunktion where advisory, and at least the committed borgerforløb (or all the
    pair can take: max_cases, the provider's capacity, the demand it can serve)."""
    items = x.params.committed
    if not items:
        return
    m = pd.DataFrame([i.model_dump() for i in items], columns=[*PS, "advisory", "cases"])
    m = m.merge(x.des[[*PS, "is_advisory"]], on=PS, how="left").merge(
        x.pair_sum[[*PS, "assigned", "n"]], on=PS, how="left").fillna({"assigned": 0.0,
                                                                        "n": 0})
    c.rule("committed", m, m["is_advisory"].isna(), lambda r: (
        f"provider {r['provider_id']}, speciale {r['speciale']} was designated by an earlier "
        "rollout wave (model.committed) but is not designated now"))
    adv = m[m["advisory"].astype(bool)]
    c.rule("committed", adv, adv["is_advisory"].ne(True), lambda r: (
        f"provider {r['provider_id']}, speciale {r['speciale']} has a rådgivning duty from "
        "an earlier rollout wave (model.committed) but is no rådgivningsfunktion now"))
    reach = can_serve(x, m[PS]).groupby(KS + ["provider_id"]).size().reset_index()[
        [*KS, "provider_id"]].merge(x.dem[[*KS, "demand"]], on=KS)
    reachable = reach.groupby(PS)["demand"].sum().rename("reachable")
    v = m[m["cases"] > 0].merge(reachable.reset_index(), on=PS, how="left").merge(
        x.comp[[*PS, "max_cases"]], on=PS, how="left").merge(
        x.prov[["provider_id", "capacity"]], on="provider_id", how="left")
    fam = x.params.families
    cap = v["reachable"].fillna(0.0)
    if fam.speciale_capacity:
        cap = np.minimum(cap, v["max_cases"].fillna(np.inf))
    if fam.capacity:
        cap = np.minimum(cap, v["capacity"].fillna(np.inf))
    v = v.assign(floor=np.minimum(v["cases"], cap))
    c.rule("committed", v, v["assigned"] < v["floor"] - c.sm(v["floor"], v["n"]), lambda r: (
        f"provider {r['provider_id']}, speciale {r['speciale']}: {g(r['assigned'])} "
        f"borgerforløb, below the {g(r['floor'])} placed there by an earlier rollout wave "
        "(model.committed)"))


@rule("equity")
def _equity(x: Context, c: Collector) -> None:
    """The worst-off measure (max or CVaR of mean family travel per municipality) of every
    speciale ≤ equity.limit_minutes, when set."""
    limit = x.params.equity.limit_minutes
    if limit is None:
        return
    w = x.worst_off().rename("measure").rename_axis("speciale").reset_index()
    c.rule("equity", w, w["measure"] > limit + c.pt(limit) + 10 * c.tol, lambda r: (
        f"speciale {r['speciale']}: the worst-off municipalities' mean family travel "
        f"{g(r['measure'])} minutes ({x.params.equity.measure}) exceeds "
        f"equity.limit_minutes {g(limit)}"))


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
    """Fixed and kept (keep_today: today's designations of those owners that can meet the
    rules) pairs designated; forbidden ones not."""
    p = x.params
    designated = x.des[PS].assign(_des=True)
    fixed = pd.DataFrame([d.model_dump() for d in p.fixed], columns=PS).assign(
        why="fixed in the scenario")
    keep = x.comp[x.comp["designated_today"]].merge(
        x.prov[["provider_id", "owner"]], on="provider_id", how="left")
    keep = keep[keep["owner"].isin(p.keep_today)]
    # kept only where the designation can meet the plan's rules (not forbidden, competent,
    # max_cases at least the minimum volume); the model lists the others in kpis.json
    forb = {(d.provider_id, d.speciale) for d in p.forbidden}
    # float even when nothing is kept (an empty map would otherwise keep the text dtype)
    floor = keep["speciale"].map(x.sp.set_index("speciale")["min_cases"]).astype(float).fillna(
        0.0)
    if not p.families.min_volume:
        floor = floor * 0.0
    keep = keep[(keep["max_cases"] > 0) & (keep["max_cases"] >= floor - 1e-9)
                & ~pd.Series([(a, b) in forb for a, b in zip(keep["provider_id"],
                                                               keep["speciale"], strict=True)],
                             index=keep.index, dtype=bool)]
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
@rule("limits")
def _limits(x: Context, c: Collector) -> None:
    """Each criterion of ``model.limits`` at most its limit: an objective term by its raw
    value (recomputed from the tables with weight 1), or the number of specialfunktioner /
    rådgivningsfunktioner in designations.csv."""
    if not x.params.limits:
        return
    ones = x.params.weights.model_copy(update=dict.fromkeys(
        x.params.weights.model_dump(), 1.0))
    raw = recompute_terms(dataclasses.replace(x, params=x.params.model_copy(
        update={"weights": ones})))
    counts = {"specialfunktioner": float(len(x.des)),
              "raadgivningsfunktioner": float(x.des["is_advisory"].sum())}
    for name, limit in x.params.limits.items():
        value = counts[name] if name in counts else raw[name]
        slack = 10 * c.tol * max(1.0, abs(limit)) + c.tol * max(len(x.asg), 1)
        c.single("limits", value <= limit + slack,
                 f"{name} is {g(value)}, above its limit {g(limit)} (model.limits)")


def recompute_terms(x: Context) -> dict[str, float]:
    """Every objective term from the tables (``docs/results-format.md``)."""
    w = x.params.weights
    costs = x.des[[*PS, "is_advisory"]].merge(
        x.comp[[*PS, "designation_cost", "advisory_cost"]], on=PS, how="left").fillna(
        {"designation_cost": 0.0, "advisory_cost": 0.0})
    shortfall = x.reach.loc[~x.has_adviser, "share"].sum()
    tx = x.asg["cases"] * x.asg["travel_minutes"]
    fam = x.params.families
    return {
        "travel": float(w.travel * tx[x.physical.to_numpy()].sum()),
        "designation": float(w.designation * costs["designation_cost"].sum()),
        "advisory": float(w.advisory * costs.loc[costs["is_advisory"], "advisory_cost"].sum()),
        "unmet": float(w.unmet * x.cov["unmet"].sum()),
        "reach_shortfall": float(w.reach_shortfall * shortfall),
        "change": float(w.change * x.n_changes),
        "outreach": float(w.outreach * tx[~x.physical.to_numpy()].sum()),
        "near_family": float(w.near_family * x.nf["cases"].sum()),
        "moved": float(w.moved * x.moved["moved"].sum()) if fam.moved else 0.0,
        "equity": float(w.equity * x.worst_off().sum()) if fam.equity else 0.0,
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
        "outreach_borgerforloeb": float(x.asg.loc[~x.physical.to_numpy(), "cases"].sum()),
        "near_family_borgerforloeb": float(x.nf["cases"].sum()),
        "dropped_designations": float(x.n_dropped),
    }
    for key, value in totals.items():
        rep = x.kpis.get(key)
        if isinstance(rep, int | float) and not isinstance(rep, bool):
            c.single("kpis", abs(rep - value) <= 10 * c.tol * max(1.0, abs(value)) + c.tol,
                     f"{key}: kpis.json reports {rep:.10g}, tables give {value:.10g}")
    per = x.kpis.get("per_speciale")
    if not isinstance(per, dict):
        return
    cs = x.cov.groupby("speciale")[["demand", "served", "outreach", "near_family",
                                    "unmet"]].sum()
    ds = x.des.groupby("speciale").agg(specialfunktioner=("provider_id", "size"),
                                       raadgivningsfunktioner=("is_advisory", "sum"))
    tab = cs.join(ds, how="outer").join(
        x.worst_off().rename("worst_off_travel_minutes"), how="outer").fillna(0.0)
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


def regions_from_files(x: Context) -> pd.DataFrame:
    """regions.csv re-derived: per region and planned speciale, demand, served_home,
    exported, imported, served_in_region, near_family, unmet, designated_capacity,
    capacity_shortfall (docs/results-format.md)."""
    at = x.prov.set_index("provider_id")["municipality_code"].map(x.region_of)
    a = x.asg.assign(home=x.asg["municipality_code"].map(x.region_of),
                     at=x.asg["provider_id"].map(at))
    same = a["home"] == a["at"]
    cov = x.cov.assign(region=x.cov["municipality_code"].map(x.region_of))
    des = x.des[PS].merge(x.comp[[*PS, "max_cases"]], on=PS, how="left").assign(
        region=lambda d: d["provider_id"].map(at))
    cols = {
        "demand": cov.groupby(RS)["demand"].sum(),
        "served_home": a[same].groupby(["home", "speciale"])["cases"].sum(),
        "exported": a[~same].groupby(["home", "speciale"])["cases"].sum(),
        "imported": a[~same].groupby(["at", "speciale"])["cases"].sum(),
        "near_family": cov.groupby(RS)["near_family"].sum(),
        "unmet": cov.groupby(RS)["unmet"].sum(),
        "designated_capacity": des.groupby(RS)["max_cases"].sum(),
    }
    grid = pd.MultiIndex.from_product([sorted(x.region_of.unique()), list(x.sp["speciale"])],
                                      names=RS)
    out = pd.DataFrame({k: v.rename_axis(RS).reindex(grid) for k, v in cols.items()}).fillna(
        0.0)
    out["served_in_region"] = out["served_home"] + out["imported"]
    out["capacity_shortfall"] = (out["demand"] - out["designated_capacity"]).clip(lower=0.0)
    return out.reset_index()


def check_regions(x: Context, c: Collector) -> None:
    """regions.csv against the re-derived regional balance, and kpis.json ``regions``
    against regions.csv."""
    ref = regions_from_files(x)
    m = ref.merge(x.regions, on=RS, how="outer", suffixes=("", "_file"), indicator=True)
    c.rule("regions", m, m["_merge"] != "both", lambda r: (
        f"region {r['region']}, speciale {r['speciale']}: "
        + ("no row in regions.csv" if r["_merge"] == "left_only"
           else "a regions.csv row for an unknown region or unplanned speciale")))
    b = m[m["_merge"] == "both"]
    for col in RESULT_TABLES["regions"].columns:
        if col in RS:
            continue
        c.rule("regions", b, np.abs(b[col] - b[f"{col}_file"]) > c.sm(b[col], 1000),
               lambda r, col=col: (f"region {r['region']}, speciale {r['speciale']}: "
                                   f"regions.csv {col} {g(r[f'{col}_file'])} ≠ "
                                   f"{g(r[col])} from the files"))
    rep = x.kpis.get("regions")
    if not isinstance(rep, dict):
        return
    for rec in x.regions.to_dict("records"):
        for col in RESULT_TABLES["regions"].columns:
            if col in RS:
                continue
            v = _reported(rep, rec["region"], rec["speciale"], col)
            if v is not None:
                c.single("regions", abs(v - rec[col]) <= c.sm(rec[col]),
                         f"kpis.json regions.{rec['region']}.{rec['speciale']}.{col} "
                         f"{v:.10g} ≠ regions.csv {rec[col]:.10g}", speciale=rec["speciale"])


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
