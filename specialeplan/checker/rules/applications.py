"""Rule of approval after application (``model.mode: applications``,
``model/applications.py``), from the files alone: every specialfunktion in designations.csv
is an application in force in ``plan_year`` (instance/applications.csv), unless
``close_gaps`` allows a påbud or a new site in its type; each application in force offers its places
(instance/competence.csv max_cases = places); applications.csv gives each application the
status and borgerforløb the plan implies, and lists every designation without one."""

from __future__ import annotations

import numpy as np
import pandas as pd

from specialeplan.checker.report import Collector, g
from specialeplan.checker.rules.context import PS, Context

FAMILY = "applications"


def check_applications(x: Context, c: Collector) -> None:
    """The rule (module docstring); nothing to check outside applications mode."""
    p = x.params
    if p.mode != "applications":
        c.single(FAMILY, x.apps_out is None or x.apps_out.empty,
                 f"applications.csv lists applications, but model.mode is {p.mode!r}")
        return
    if x.apps_in is None or x.apps_out is None:
        c.single(FAMILY, False, "model.mode is 'applications' but instance/applications.csv "
                 "or applications.csv is missing")
        return
    planned = set(x.sp["function"])
    apps = x.apps_in[x.apps_in["function"].isin(planned)].copy()
    year = apps["from_year"].astype(float)
    apps["force"] = True if p.plan_year is None else (year.isna() | (year <= p.plan_year))
    force = apps[apps["force"]]
    des = x.des[[*PS, "cases"]]
    applied = des.merge(force[PS].assign(_app=True), on=PS, how="left")
    closed = planned if p.close_gaps is True else set(p.close_gaps or [])
    if closed != planned:
        c.rule(FAMILY, applied, applied["_app"].isna() & ~applied["function"].isin(closed),
               lambda r: (
            f"{r['provider_id']}/{r['function']} is a specialfunktion in designations.csv "
            "but has no application in force (instance/applications.csv, plan_year "
            f"{p.plan_year})"))
    offered = force.merge(x.comp[[*PS, "max_cases"]], on=PS, how="left")
    c.rule(FAMILY, offered, ~np.isclose(offered["max_cases"].astype(float),
                                        offered["places"].astype(float), rtol=0, atol=1e-6),
           lambda r: (f"application {r['provider_id']}/{r['function']} offers "
                      f"{g(r['places'])} places, but instance/competence.csv gives the pair "
                      f"max_cases {g(r['max_cases'])}"))
    cases = des.set_index(PS)["cases"].astype(float)
    key = pd.MultiIndex.from_frame(apps[PS])
    designated = key.isin(cases.index) & apps["force"].to_numpy()
    apps["status_x"] = np.where(~apps["force"], "later",
                                np.where(designated, "needed", "not_needed"))
    apps["cases_x"] = np.where(designated, cases.reindex(key).to_numpy(dtype=float), 0.0)
    sites = {n.site_id for n in p.new_sites}
    extra = applied[applied["_app"].isna()]
    expected = pd.concat([
        apps[[*PS, "status_x", "cases_x"]],
        pd.DataFrame({"provider_id": extra["provider_id"], "function": extra["function"],
                      "status_x": np.where(extra["provider_id"].isin(sites), "new_site",
                                           "order"),
                      "cases_x": extra["cases"].astype(float)})], ignore_index=True)
    out = x.apps_out[[*PS, "status", "cases"]]
    both = expected.merge(out, left_on=[*PS, "status_x"], right_on=[*PS, "status"],
                          how="outer", indicator=True)
    c.rule(FAMILY, both, both["_merge"] == "left_only", lambda r: (
        f"applications.csv lacks {r['provider_id']}/{r['function']} with status "
        f"{r['status_x']} (what designations.csv and instance/applications.csv imply)"))
    c.rule(FAMILY, both, both["_merge"] == "right_only", lambda r: (
        f"applications.csv lists {r['provider_id']}/{r['function']} as {r['status']}, which "
        "designations.csv and instance/applications.csv do not imply"))
    m = both[both["_merge"] == "both"]
    c.rule(FAMILY, m, ~np.isclose(m["cases"].astype(float), m["cases_x"].astype(float),
                                  rtol=1e-6, atol=1e-4), lambda r: (
        f"applications.csv: {r['provider_id']}/{r['function']} ({r['status']}) takes "
        f"{g(r['cases'])} borgerforløb, designations.csv {g(r['cases_x'])}"))
    for status in ("needed", "not_needed", "later", "order", "new_site"):
        n = int((expected["status_x"] == status).sum())
        got = x.kpis.get(f"applications_{status}")
        c.single(FAMILY, got == n, f"kpis.json applications_{status} is {got}, the files "
                 f"give {n}")
