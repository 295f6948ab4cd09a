"""Rules of advice (``model/families/advisory.py``): advice only from advisory designations,
every municipality within reach, and the advisory capacity."""

from __future__ import annotations

import numpy as np
import pandas as pd

from specialeplan.checker.report import Collector, g
from specialeplan.checker.rules.context import EPS_TRAVEL, KP, KS, PS, Context, rule


@rule("advisory_link")
def _advisory_link(x: Context, c: Collector) -> None:
    """Advice only from designated rådgivningsfunktioner; ``advised_municipalities`` matches
    reach.csv."""
    adv_n = x.reach[x.has_adviser].groupby(["advisory_provider_id", "function"]).size().rename(
        "n_reach").reset_index().rename(columns={"advisory_provider_id": "provider_id"})
    dn = x.des.merge(adv_n, on=PS, how="left").fillna({"n_reach": 0})
    c.rule("advisory_link", dn, np.abs(dn["advised_municipalities"] - dn["n_reach"]) > 0.5,
           lambda r: (f"provider {r['provider_id']}, speciale {r['function']}: "
                      f"advised_municipalities {g(r['advised_municipalities'])} ≠ "
                      f"{g(r['n_reach'])} rows in reach.csv"))
    rp = x.reach[x.has_adviser].rename(columns={"advisory_provider_id": "provider_id"})
    rp = rp.merge(x.des[[*PS, "is_advisory"]], on=PS, how="left")
    c.rule("advisory_link", rp, rp["is_advisory"].isna(), lambda r: (
        f"municipality {r['municipality_code']}, speciale {r['function']}: advised by "
        f"provider {r['provider_id']}, which is not designated for the speciale"))
    c.rule("advisory_link", rp, rp["is_advisory"].eq(False), lambda r: (
        f"municipality {r['municipality_code']}, speciale {r['function']}: advised by "
        f"provider {r['provider_id']}, which is not a rådgivningsfunktion (is_advisory false)"))


def _reach_rows(x: Context) -> pd.DataFrame:
    """Reach rows by a provider, with the speciale's reach limit and the input travel time."""
    rm = x.sp.loc[x.sp["reach_minutes"].notna(), ["function", "reach_minutes"]]
    r = x.reach.merge(rm, on="function", how="left")
    rp = r[x.has_adviser.to_numpy() & r["reach_minutes"].notna().to_numpy()].rename(
        columns={"advisory_provider_id": "provider_id"})
    return rp.merge(x.pt, on=KP, how="left")


@rule("reach")
def _reach(x: Context, c: Collector) -> None:
    """Every municipality advised (shares + shortfall sum to 1) by a rådgivningsfunktion
    within reach_minutes; no shortfall when ``allow_reach_shortfall`` is off."""
    rm = x.sp.loc[x.sp["reach_minutes"].notna(), ["function", "reach_minutes"]]
    r = x.reach.merge(rm, on="function", how="left")
    c.rule("reach", r, r["reach_minutes"].isna(), lambda y: (
        f"municipality {y['municipality_code']}, speciale {y['function']}: reach.csv row for a "
        "speciale without a reach limit"))
    codes = set(x.munis["code"])
    c.rule("reach", r, ~r["municipality_code"].isin(codes), lambda y: (
        f"reach.csv row for unknown municipality {y['municipality_code']} "
        f"(speciale {y['function']})"))
    need = x.munis[["code"]].rename(columns={"code": "municipality_code"}).merge(
        rm[["function"]], how="cross")
    tot = x.reach.assign(shortfall=x.reach["share"].where(~x.has_adviser, 0.0)).groupby(
        KS, as_index=False).agg(total=("share", "sum"), n=("share", "size"),
                                shortfall=("shortfall", "sum"))
    nm = need.merge(tot, on=KS, how="left").fillna({"total": 0.0, "n": 0, "shortfall": 0.0})
    c.rule("reach", nm, np.abs(nm["total"] - 1.0) > c.sm(1.0, nm["n"]), lambda y: (
        f"municipality {y['municipality_code']}, speciale {y['function']}: "
        + ("no rådgivningsfunktion within reach and no shortfall recorded" if y["n"] == 0
           else f"reach shares sum to {g(y['total'])}, not 1")))
    if not x.params.families.allow_reach_shortfall:
        c.rule("reach", nm, nm["shortfall"] > c.tol, lambda y: (
            f"municipality {y['municipality_code']}, speciale {y['function']}: reach shortfall "
            f"{g(y['shortfall'])} but shortfall is not allowed "
            "(families.allow_reach_shortfall)"))
    rp = _reach_rows(x)
    c.rule("reach", rp, rp["minutes"].isna(), lambda y: (
        f"municipality {y['municipality_code']} → provider {y['provider_id']} "
        f"(speciale {y['function']}): no row in instance/provider_travel.csv"))
    c.rule("reach", rp, rp["minutes"].notna()
           & ~(np.abs(rp["travel_minutes"] - rp["minutes"]) <= c.pt(rp["minutes"])),
           lambda y: (f"municipality {y['municipality_code']} → provider {y['provider_id']} "
                      f"(speciale {y['function']}): reach travel_minutes "
                      f"{g(y['travel_minutes'])} ≠ provider_travel {g(y['minutes'])}"))
    rp = rp.assign(t=rp["minutes"].fillna(rp["travel_minutes"]))
    c.rule("reach", rp,
           rp["t"] > rp["reach_minutes"] + EPS_TRAVEL + c.pt(rp["reach_minutes"]),
           lambda y: (f"municipality {y['municipality_code']} → provider {y['provider_id']} "
                      f"(speciale {y['function']}): {g(y['t'])} minutes exceed "
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
    coached = x.nf.groupby(["advisory_provider_id", "function"])["cases"].agg(
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
           lambda r: (f"provider {r['provider_id']}, speciale {r['function']}: advisory load "
                      f"{g(r['load'])} borgerforløb ({g(r['advised'])} advised + "
                      f"{g(kappa)} × {g(r['coached'])} coached) above advisory_capacity "
                      f"{g(r['advisory_capacity'])}"))
    d = x.des.merge(load, on=PS, how="left").fillna({"load": 0.0, "coached": 0.0, "n": 0,
                                                     "n_c": 0})
    for col, ref in (("coached_cases", "coached"), ("advisory_load", "load")):
        c.rule("advisory_capacity", d,
               np.abs(d[col] - d[ref]) > c.sm(d[ref], d["n"] + d["n_c"]),
               lambda r, col=col, ref=ref: (
                   f"provider {r['provider_id']}, speciale {r['function']}: designations."
                   f"{col} {g(r[col])} ≠ {g(r[ref])} from reach.csv and near_family.csv"))
