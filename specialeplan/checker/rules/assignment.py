"""Rules of the assignment families (``model/families/assignment.py``): variable domains,
demand balance, linking and the family-travel cutoff."""

from __future__ import annotations

import numpy as np

from specialeplan.checker.report import Collector, g
from specialeplan.checker.rules.context import (
    EPS_TRAVEL,
    KS,
    PS,
    Context,
    rule,
    with_travel_limit,
)
from specialeplan.results.contract import MODES


@rule("variables")
def _variables(x: Context, c: Collector) -> None:
    """Domains: cases ≥ 0, unmet ≥ 0, advisory shares in [0, 1], known providers."""
    asg = x.asg
    c.rule("variables", asg, asg["cases"] < -c.tol, lambda r: (
        f"negative cases {g(r['cases'])} from municipality {r['municipality_code']} at "
        f"provider {r['provider_id']}, specialfunktion {r['function']}"))
    known = set(x.prov["provider_id"])
    c.rule("variables", asg, ~asg["provider_id"].isin(known), lambda r: (
        f"assignment to unknown provider {r['provider_id']} (specialfunktion {r['function']})"))
    c.rule("variables", asg, ~asg["mode"].isin(MODES), lambda r: (
        f"municipality {r['municipality_code']} → provider {r['provider_id']} (speciale "
        f"{r['function']}): unknown mode {r['mode']!r} (physical or outreach)"))
    if not x.params.families.outreach:
        c.rule("variables", asg, asg["mode"] == "outreach", lambda r: (
            f"municipality {r['municipality_code']} → provider {r['provider_id']} (speciale "
            f"{r['function']}): an outreach assignment but families.outreach is off"))
    c.rule("variables", x.nf, x.nf["cases"] < -c.tol, lambda r: (
        f"near-family help in municipality {r['municipality_code']}, speciale "
        f"{r['function']}: negative cases {g(r['cases'])}"))
    c.rule("variables", x.cov, x.cov["unmet"] < -c.tol, lambda r: (
        f"municipality {r['municipality_code']}, specialfunktion {r['function']}: negative unmet "
        f"{g(r['unmet'])}"))
    c.rule("variables", x.reach, (x.reach["share"] < -c.tol) | (x.reach["share"] > 1 + c.tol),
           lambda r: (f"municipality {r['municipality_code']}, specialfunktion {r['function']}: "
                      f"share {g(r['share'])} outside [0, 1]"))
    pm = x.des.merge(x.prov[["provider_id", "municipality_code"]].rename(
        columns={"municipality_code": "home"}), on="provider_id", how="left")
    c.rule("variables", pm, pm["home"].isna(), lambda r: (
        f"designation of unknown provider {r['provider_id']} (specialfunktion {r['function']})"))
    c.rule("variables", pm, pm["home"].notna() & (pm["municipality_code"] != "")
           & (pm["municipality_code"] != pm["home"]), lambda r: (
        f"provider {r['provider_id']}, specialfunktion {r['function']}"
        f": designations.municipality_code "
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
        f"municipality {r['municipality_code']}, specialfunktion {r['function']}: "
        f"{g(r['assigned'])} cases assigned but the pair is not in instance/demand.csv"))
    m = m[m["_a"] != "right_only"].drop(columns="_a")
    m = m.merge(near.reset_index(), on=KS, how="left")
    m[["assigned", "n", "out_sum", "nf_sum"]] = m[["assigned", "n", "out_sum",
                                                  "nf_sum"]].fillna(0.0)
    cv = x.cov[[*KS, "demand", "served", "outreach", "near_family", "unmet"]].rename(
        columns={"demand": "cov_demand"})
    m = m.merge(cv, on=KS, how="outer", indicator="_c")
    c.rule("demand_balance", m, m["_c"] == "right_only", lambda r: (
        f"municipality {r['municipality_code']}, specialfunktion {r['function']}: coverage.csv row "
        "for a pair that is not in instance/demand.csv"))
    c.rule("demand_balance", m, m["_c"] == "left_only", lambda r: (
        f"municipality {r['municipality_code']}, specialfunktion {r['function']}"
        f": no coverage.csv row "
        f"(demand {g(r['demand'])})"))
    b = m[m["_c"] == "both"]
    gap = b["assigned"] + b["nf_sum"] + b["unmet"] - b["demand"]
    c.rule("demand_balance", b, np.abs(gap) > c.sm(b["demand"], b["n"] + 2), lambda r: (
        f"municipality {r['municipality_code']}, specialfunktion {r['function']}: assigned "
        f"{g(r['assigned'])} + near-family {g(r['nf_sum'])} + unmet {g(r['unmet'])} = "
        f"{g(r['assigned'] + r['nf_sum'] + r['unmet'])} ≠ demand {g(r['demand'])}"))
    c.rule("demand_balance", b,
           np.abs(b["near_family"] - b["nf_sum"]) > c.sm(b["near_family"], b["n"] + 1),
           lambda r: (f"municipality {r['municipality_code']}, specialfunktion {r['function']}: "
                      f"coverage.near_family {g(r['near_family'])} ≠ Σ near_family.csv "
                      f"{g(r['nf_sum'])}"))
    c.rule("demand_balance", b,
           np.abs(b["outreach"] - b["out_sum"]) > c.sm(b["outreach"], b["n"]),
           lambda r: (f"municipality {r['municipality_code']}, specialfunktion {r['function']}: "
                      f"coverage.outreach {g(r['outreach'])} ≠ Σ outreach assignments "
                      f"{g(r['out_sum'])}"))
    c.rule("demand_balance", b, np.abs(b["served"] - b["assigned"]) > c.sm(b["served"], b["n"]),
           lambda r: (f"municipality {r['municipality_code']}, specialfunktion {r['function']}: "
                      f"coverage.served {g(r['served'])} ≠ Σ assignments "
                      f"{g(r['assigned'])}"))
    c.rule("demand_balance", b, np.abs(b["cov_demand"] - b["demand"]) > c.pt(b["demand"]),
           lambda r: (f"municipality {r['municipality_code']}, specialfunktion {r['function']}: "
                      f"coverage.demand {g(r['cov_demand'])} ≠ instance demand "
                      f"{g(r['demand'])}"))
    if not x.params.families.allow_unmet:
        c.rule("demand_balance", b, b["unmet"] > c.pt(b["demand"]), lambda r: (
            f"municipality {r['municipality_code']}, specialfunktion {r['function']}: unmet "
            f"{g(r['unmet'])} but unmet demand is not allowed (families.allow_unmet)"))


@rule("linking")
def _linking(x: Context, c: Collector) -> None:
    """Assignments only to designated, competent pairs — or, with family ``moved`` on, to a
    pair that is not designated up to its current cases (today's residents kept as a
    transitional arrangement, listed in transitional.csv)."""
    a = x.asg.merge(x.des[PS].assign(_des=True), on=PS, how="left")
    keep = x.transitional_allowed
    a = a.merge(keep, on=PS, how="left").fillna({"allowed": 0.0})
    c.rule("linking", a, a["_des"].isna() & (a["allowed"] <= 0), lambda r: (
        f"{g(r['cases'])} cases from municipality {r['municipality_code']} assigned to "
        f"provider {r['provider_id']} for specialfunktion {r['function']}, which is not designated "
        "(no row in designations.csv) and has no residents today to keep"))
    t = x.pair_sum.merge(x.des[PS].assign(_des=True), on=PS, how="left")
    t = t[t["_des"].isna()].merge(keep, on=PS, how="left").fillna({"allowed": 0.0})
    c.rule("linking", t, (t["allowed"] > 0) & (t["assigned"] > t["allowed"]
                                               + c.sm(t["allowed"], t["n"])), lambda r: (
        f"provider {r['provider_id']}, specialfunktion {r['function']}"
        f" is not designated but serves "
        f"{g(r['assigned'])} borgerforløb, more than its {g(r['allowed'])} residents of "
        "today (the transitional arrangement keeps them, no more)"))
    keys = dict.fromkeys(PS, object)  # an empty transitional.csv has untyped keys
    tr = x.trans.astype(keys).merge(t[[*PS, "assigned"]].astype(keys), on=PS,
                                    how="outer").fillna(
        {"assigned": 0.0, "transitional_cases": 0.0})
    c.rule("linking", tr, np.abs(tr["transitional_cases"] - tr["assigned"])
           > c.sm(tr["assigned"], 1), lambda r: (
        f"transitional.csv: provider {r['provider_id']}, specialfunktion {r['function']} keeps "
        f"{g(r['transitional_cases'])} borgerforløb, but the assignments to this pair "
        f"without a designation sum to {g(r['assigned'])}"))
    total = float(tr["assigned"].sum())
    rep = x.kpis.get("transitional_cases")
    if isinstance(rep, int | float):
        c.single("linking", abs(rep - total) <= c.sm(total, max(len(tr), 1)),
                 f"transitional_cases: kpis.json reports {rep:.10g}, the assignments "
                 f"to pairs without a designation give {total:.10g}")
    d = x.des.merge(x.comp[[*PS, "max_cases"]], on=PS, how="left")
    c.rule("linking", d, d["max_cases"].isna(), lambda r: (
        f"provider {r['provider_id']} is designated for specialfunktion {r['function']} but has no "
        "competence row for it (or the speciale is not planned)"))
    # places of its own or from an expansion built (a new site has only the latter)
    places = d["max_cases"] + x.built_for(d)
    c.rule("linking", d, d["max_cases"].notna() & (places <= 0), lambda r: (
        f"provider {r['provider_id']} is designated for specialfunktion {r['function']} but is not "
        "competent (competence.max_cases = 0 and no expansion built)"))


@rule("travel_cutoff")
def _travel_cutoff(x: Context, c: Collector) -> None:
    """t[k,p] ≤ T_s for every physical assignment (travel from
    instance/provider_travel.csv; outreach has its own radius, rule ``outreach``)."""
    a = with_travel_limit(x, x.asg[x.physical.to_numpy()], "max_travel_minutes")
    lim = a["max_travel_minutes"]
    c.rule("travel_cutoff", a, a["t"] > lim + EPS_TRAVEL + c.pt(lim), lambda r: (
        f"municipality {r['municipality_code']} → provider {r['provider_id']} "
        f"(specialfunktion {r['function']}): {g(r['t'])} minutes exceed the cutoff "
        f"{g(r['max_travel_minutes'])}"))
