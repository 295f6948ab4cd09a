"""Rules of advice (``model/families/advisory.py``): advice only from advisory designations,
every municipality within reach, and the advisory capacity."""

from __future__ import annotations

import numpy as np
import pandas as pd

from specialeplan.checker.report import Collector, g
from specialeplan.checker.rules.context import EPS_TRAVEL, KP, PS, Context, rule

KR = ["municipality_code", "speciale"]


@rule("advisory_link")
def _advisory_link(x: Context, c: Collector) -> None:
    """Advice only from designated rådgivningsfunktioner of a function of the speciale;
    ``advised_municipalities`` matches reach.csv."""
    adv_n = x.reach[x.has_adviser].groupby(["advisory_provider_id", "function"])[
        "municipality_code"].nunique().rename("n_reach").reset_index().rename(
        columns={"advisory_provider_id": "provider_id"})
    dn = x.des.merge(adv_n, on=PS, how="left").fillna({"n_reach": 0})
    c.rule("advisory_link", dn, np.abs(dn["advised_municipalities"] - dn["n_reach"]) > 0.5,
           lambda r: (f"provider {r['provider_id']}, specialfunktion {r['function']}: "
                      f"advised_municipalities {g(r['advised_municipalities'])} ≠ "
                      f"{g(r['n_reach'])} municipalities in reach.csv"))
    rp = x.reach[x.has_adviser].rename(columns={"advisory_provider_id": "provider_id"})
    rp = rp.merge(x.des[[*PS, "is_advisory"]], on=PS, how="left")
    c.rule("advisory_link", rp, rp["is_advisory"].isna(), lambda r: (
        f"municipality {r['municipality_code']}, speciale {r['speciale']}: advised by "
        f"provider {r['provider_id']}, which is not designated for {r['function']!r}"))
    c.rule("advisory_link", rp, rp["is_advisory"].eq(False), lambda r: (
        f"municipality {r['municipality_code']}, speciale {r['speciale']}: advised by "
        f"provider {r['provider_id']}, which is not a rådgivningsfunktion (is_advisory false)"))
    belongs = set(zip(x.taxonomy["function"], x.taxonomy["speciale"], strict=True))
    rs = x.reach[x.has_adviser]
    c.rule("advisory_link", rs, ~pd.Series([(f, s) in belongs for f, s in zip(
        rs["function"], rs["speciale"], strict=True)], index=rs.index, dtype=bool),
        lambda r: (f"municipality {r['municipality_code']}, speciale {r['speciale']}: advised "
                   f"by {r['advisory_provider_id']}'s specialfunktion {r['function']!r}, "
                   "which does not belong to that speciale (instance/functions.csv)"))


def _reach_limits(x: Context) -> pd.DataFrame:
    """(function, reach_minutes) of the planned functions with a reach limit."""
    return x.sp.loc[x.sp["reach_minutes"].notna(), ["function", "reach_minutes"]]


def _reach_rows(x: Context) -> pd.DataFrame:
    """Reach rows by a provider, with its function's reach limit and the input travel time."""
    r = x.reach[x.has_adviser.to_numpy()].merge(_reach_limits(x), on="function", how="left")
    rp = r[r["reach_minutes"].notna().to_numpy()].rename(
        columns={"advisory_provider_id": "provider_id"})
    return rp.merge(x.pt, on=KP, how="left")


@rule("reach")
def _reach(x: Context, c: Collector) -> None:
    """Every municipality advised in every speciale with a reach limit (shares + shortfall
    sum to 1) by a rådgivningsfunktion of the speciale within its reach_minutes; no shortfall
    when ``allow_reach_shortfall`` is off."""
    rm = _reach_limits(x)
    specs = sorted(set(x.taxonomy.loc[x.taxonomy["function"].isin(rm["function"]),
                                      "speciale"]))
    adv = x.reach[x.has_adviser].merge(rm, on="function", how="left")
    c.rule("reach", adv, adv["reach_minutes"].isna(), lambda y: (
        f"municipality {y['municipality_code']}, speciale {y['speciale']}: reach.csv row by "
        f"specialfunktion {y['function']!r}, which has no reach limit"))
    codes = set(x.munis["code"])
    c.rule("reach", x.reach, ~x.reach["municipality_code"].isin(codes), lambda y: (
        f"reach.csv row for unknown municipality {y['municipality_code']} "
        f"(speciale {y['speciale']})"))
    c.rule("reach", x.reach, ~x.reach["speciale"].isin(specs), lambda y: (
        f"municipality {y['municipality_code']}: reach.csv row for speciale "
        f"{y['speciale']!r}, which has no planned specialfunktion with a reach limit"))
    need = x.munis[["code"]].rename(columns={"code": "municipality_code"}).merge(
        pd.DataFrame({"speciale": pd.Series(specs, dtype=str)}), how="cross")
    tot = x.reach.assign(shortfall=x.reach["share"].where(~x.has_adviser, 0.0)).groupby(
        KR, as_index=False).agg(total=("share", "sum"), n=("share", "size"),
                                shortfall=("shortfall", "sum"))
    nm = need.merge(tot, on=KR, how="left").fillna({"total": 0.0, "n": 0, "shortfall": 0.0})
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
                      f"(speciale {y['speciale']}, {y['function']}): {g(y['t'])} minutes "
                      f"exceed reach_minutes {g(y['reach_minutes'])}"))


@rule("advisory_capacity")
def _advisory_capacity(x: Context, c: Collector) -> None:
    """Advisory load of a rådgivningsfunktion, Σ share·demand[k,S] (the planned demand of the
    speciale it advises on in k) + κ·(near-family borgerforløb it coaches), ≤
    providers.advisory_capacity; designations.coached_cases and advisory_load agree with the
    files."""
    kappa = x.params.near_family_advisory_load
    rp = _reach_rows(x).merge(x.speciale_demand, on=KR, how="left").fillna({"demand": 0.0})
    adv = rp.assign(w=rp["share"] * rp["demand"]).groupby(PS, as_index=False).agg(
        advised=("w", "sum"), n=("w", "size"))
    coached = x.nf.groupby(["advisory_provider_id", "advisory_function"])["cases"].agg(
        ["sum", "size"]).reset_index().rename(columns={
            "advisory_provider_id": "provider_id", "advisory_function": "function",
            "sum": "coached", "size": "n_c"})
    load = adv.merge(coached, on=PS, how="outer").fillna({"advised": 0.0, "n": 0,
                                                          "coached": 0.0, "n_c": 0})
    load = load.assign(load=load["advised"] + kappa * load["coached"])
    cap = load.merge(x.prov[["provider_id", "advisory_capacity"]], on="provider_id")
    cap = cap[np.isfinite(cap["advisory_capacity"])]
    c.rule("advisory_capacity", cap,
           cap["load"] > cap["advisory_capacity"] + c.sm(cap["advisory_capacity"],
                                                         cap["n"] + cap["n_c"]),
           lambda r: (f"provider {r['provider_id']}, specialfunktion {r['function']}: "
                      f"advisory load {g(r['load'])} borgerforløb ({g(r['advised'])} advised "
                      f"+ {g(kappa)} × {g(r['coached'])} coached) above advisory_capacity "
                      f"{g(r['advisory_capacity'])}"))
    d = x.des.merge(load, on=PS, how="left").fillna({"load": 0.0, "coached": 0.0, "n": 0,
                                                     "n_c": 0})
    for col, ref in (("coached_cases", "coached"), ("advisory_load", "load")):
        c.rule("advisory_capacity", d,
               np.abs(d[col] - d[ref]) > c.sm(d[ref], d["n"] + d["n_c"]),
               lambda r, col=col, ref=ref: (
                   f"provider {r['provider_id']}, specialfunktion {r['function']}: "
                   f"designations.{col} {g(r[col])} ≠ {g(r[ref])} from reach.csv and "
                   "near_family.csv"))
