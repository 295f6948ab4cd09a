"""Population by target group: children and young people (0–17) and adults (18+).

A speciale's ``target_group`` (``specialer.csv``: ``children``, ``adults`` or ``all``) says
which population its demand comes from. The real per-municipality split is Statistics
Denmark's FOLK1A by age; it is **not bundled** (it cannot be fetched here). A dataset folder
may add it as ``population_by_age.csv`` (columns ``code, age_group, persons`` with
``age_group`` ``0-17`` or ``18+``), with attribution; without it every municipality is given
the national share :data:`CHILD_SHARE` — an APPROXIMATION that leaves the demand of a
children's or adults' speciale distributed exactly like the total population.
"""

from __future__ import annotations

import pandas as pd

#: Share of 0–17-year-olds in Denmark's population around 2020 (Statistics Denmark,
#: FOLK1A): about one in five, rounded to 20 % (not checked against the table here; check
#: it before relying on it). A national APPROXIMATION, used only when no
#: ``population_by_age.csv`` is given; it is the same for every municipality.
CHILD_SHARE = 0.20
#: target_group → the age group its demand comes from (``all``: the whole population)
AGE_GROUP = {"children": "0-17", "adults": "18+"}
TARGET_GROUPS = ("children", "adults", "all")


def group_population(munis: pd.DataFrame, by_age: pd.DataFrame | None) -> pd.DataFrame:
    """Persons per municipality (index ``code``) in columns ``0-17``, ``18+`` and ``all``;
    ``approximated`` (a bool attribute in ``.attrs``) when the national share was used."""
    pop = munis.set_index("code")["population"].astype(float)
    if by_age is None:
        out = pd.DataFrame({"0-17": pop * CHILD_SHARE, "18+": pop * (1 - CHILD_SHARE),
                            "all": pop})
        out.attrs["approximated"] = True
        return out
    wide = by_age.pivot_table(index="code", columns="age_group", values="persons",
                              aggfunc="sum").reindex(index=pop.index,
                                                     columns=list(AGE_GROUP.values()))
    out = wide.fillna(0.0).assign(all=pop)
    out.attrs["approximated"] = False
    return out


def target_scale(munis: pd.DataFrame, specialer: pd.DataFrame,
                 by_age: pd.DataFrame | None) -> pd.DataFrame:
    """Per (code, speciale): how much more (or less) of the speciale's target group a
    municipality has than the country, (group_k / pop_k) / (Σ group / Σ pop). Demand is
    population × prevalence per inhabitant × this factor, so the national total keeps its
    per-inhabitant calibration while the distribution follows the target group. Exactly 1
    without age data (the national-share approximation)."""
    groups = group_population(munis, by_age)
    codes = munis["code"].to_numpy()
    rows = []
    for s, tg in zip(specialer["speciale"], specialer["target_group"], strict=True):
        col = AGE_GROUP.get(tg, "all")
        if groups.attrs["approximated"] or col == "all":
            factor = pd.Series(1.0, index=groups.index)
        else:
            share = groups[col] / groups["all"]
            factor = share / (groups[col].sum() / groups["all"].sum())
        rows.append(pd.DataFrame({"code": codes, "speciale": s,
                                  "scale": factor.reindex(codes).to_numpy()}))
    return pd.concat(rows, ignore_index=True)
