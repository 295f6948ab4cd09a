"""Rules of the volume families (``model/families/volume.py``): pair volume, minimum volume
and the two capacities."""

from __future__ import annotations

import numpy as np
import pandas as pd

from specialeplan.checker.report import Collector, g
from specialeplan.checker.rules.context import PS, Context, rule


@rule("pair_volume")
def _pair_volume(x: Context, c: Collector) -> None:
    """designations.cases = Σ assignments of the pair."""
    dc = x.des.merge(x.pair_sum, on=PS, how="left").fillna({"assigned": 0.0, "n": 0})
    c.rule("pair_volume", dc, np.abs(dc["cases"] - dc["assigned"]) > c.sm(dc["cases"], dc["n"]),
           lambda r: (f"provider {r['provider_id']}, specialfunktion {r['function']}: "
                      f"designations.cases {g(r['cases'])} ≠ Σ assignments "
                      f"{g(r['assigned'])}"))
    out = x.asg[~x.physical.to_numpy()].groupby(PS)["cases"].sum().rename("out_sum")
    do = dc.merge(out.reset_index(), on=PS, how="left").fillna({"out_sum": 0.0})
    c.rule("linking", do, np.abs(do["outreach_cases"] - do["out_sum"])
           > c.sm(do["outreach_cases"], do["n"]),
           lambda r: (f"provider {r['provider_id']}, specialfunktion {r['function']}: "
                      f"designations.outreach_cases {g(r['outreach_cases'])} ≠ Σ outreach "
                      f"assignments {g(r['out_sum'])}"))


@rule("min_volume")
def _min_volume(x: Context, c: Collector) -> None:
    """Borgerforløb of a designation ≥ min_cases."""
    d = x.des[PS].merge(x.pair_sum, on=PS, how="left").fillna({"assigned": 0.0, "n": 0})
    d = d.merge(x.sp[["function", "min_cases"]], on="function")
    d = d[d["min_cases"].fillna(0.0) > 0]
    c.rule("min_volume", d, d["assigned"] < d["min_cases"] - c.sm(d["min_cases"], d["n"]),
           lambda r: (f"provider {r['provider_id']}, specialfunktion {r['function']}: "
                      f"{g(r['assigned'])} cases, below the minimum volume "
                      f"{g(r['min_cases'])}"))


@rule("capacity")
def _capacity(x: Context, c: Collector) -> None:
    """Σ borgerforløb at a provider (all specialer, assignments and near-family help it
    gives as the local tilbud) ≤ providers.capacity + the places of its expansions built
    (capacity_changes.csv)."""
    use = pd.concat([x.asg[["provider_id", "cases"]], x.nf[["provider_id", "cases"]]],
                    ignore_index=True)
    load = use.groupby("provider_id", as_index=False).agg(
        load=("cases", "sum"), n=("cases", "size")).merge(
        x.prov[["provider_id", "capacity"]], on="provider_id")
    built = x.built_places(["provider_id"]).reindex(load["provider_id"]).fillna(0.0)
    load["capacity"] = load["capacity"] + built.to_numpy()
    c.rule("capacity", load, load["load"] > load["capacity"] + c.sm(load["capacity"],
                                                                    load["n"]),
           lambda r: (f"provider {r['provider_id']}: {g(r['load'])} cases in total "
                      f"exceed capacity {g(r['capacity'])} (expansions built included)"))


@rule("speciale_capacity")
def _speciale_capacity(x: Context, c: Collector) -> None:
    """Σ_k borgerforløb of a pair ≤ competence.max_cases + the places of its expansions
    built (capacity_changes.csv)."""
    sc = x.pair_sum.merge(x.comp[[*PS, "max_cases"]], on=PS)
    sc["max_cases"] = sc["max_cases"] + x.built_for(sc)
    c.rule("speciale_capacity", sc,
           sc["assigned"] > sc["max_cases"] + c.sm(sc["max_cases"], sc["n"]),
           lambda r: (f"provider {r['provider_id']}, specialfunktion {r['function']}: "
                      f"{g(r['assigned'])} cases exceed competence.max_cases "
                      f"{g(r['max_cases'])}"))
