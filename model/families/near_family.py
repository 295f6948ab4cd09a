"""Help near the family: a local tilbud coached by a rådgivningsfunktion.

From the 2022 government proposal "Et liv med ligeværdige muligheder", initiative 9
(udgående rådgivning og kompetenceudvikling fra rådgivningsfunktioner).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from specialeplan.model.builder import ProblemBuilder
from specialeplan.model.keys import KPC, KPS, KS, PS
from specialeplan.model.registry import family
from specialeplan.solvers.problem import Labels

if TYPE_CHECKING:
    from specialeplan.model.sets import ModelData


@family("near_family", elastic=False, on="relaxes",
        reads={"near_family_share": "upper_limit", "near_family_advisory_load": "same",
               "reach_minutes": "radius", "families.reach": "relaxes",
               "families.capacity": "restricts"},
        explain="help near the family is not possible")
def near_family(data: ModelData, b: ProblemBuilder) -> None:
    """A third way to meet demand, next to a specialfunktion and unmet: a citizen who does
    not want to move away from the family is helped by a local tilbud l in the home
    municipality k, coached by a rådgivningsfunktion (p, a) of one of s's specialer that
    reaches k.

    Variables: g[k,l,s] ≥ 0 borgerforløb helped at local provider l (located in k, capacity
    > 0, serving s's target group and competent in a related kind of need; table ``local``)
    and h[k,p,s,a] ≥ 0 of them coached by (p, a) (its reach arcs; table ``coach``). Rows:

    - demand: g joins the demand balance, Σ_p x[k,p,s] + Σ_l g[k,l,s] + u[k,s] = d[k,s];
    - capacity: g joins the local provider's capacity, Σ x[·,l,·] + Σ g[·,l,·] ≤ C_l;
    - coaching: Σ_l g[k,l,s] − Σ_{p,a} h[k,p,s,a] = 0, and h loads (p, a)'s advisory
      capacity, Σ_{k,S} d[k,S]·v[k,p,a,S] + κ·Σ_{k,s} h[k,p,s,a] ≤ A_p·r[p,a]
      (κ = ``near_family_advisory_load``), so only a rådgivningsfunktion (r = 1) coaches;
      where p has no finite A_p (or κ = 0) Σ_{k,s} h[k,p,s,a] − D_pa·r[p,a] ≤ 0 with
      D_pa = Σ of d[k,s] over its coaching arcs;
    - local, not a specialfunktion: g[k,l,s] + d[k,s]·y[l,s] ≤ d[k,s] where l is competent;
    - bounded: Σ_{k,l} g[k,l,s] ≤ β_s·Σ_k d[k,s] per speciale (``near_family_share``),
      because the highly specialised level is the point.

    These borgerforløb count towards no minimum volume (they are not x). Cost:
    w_near_family per borgerforløb (objective term ``near_family``). Needs reach: without a
    rådgivningsfunktion in reach there is nobody to coach the local tilbud.
    """
    local, coach = data.local, data.coach
    g = b.variables("g", Labels(local, columns=KPS), doc="near-family help g[k,l,s]")
    h = b.variables("h", Labels(coach, columns=KPC),
                    doc="coached near-family help h[k,p,s,a]")
    if len(local) == 0:
        return
    pairs, dem, prov = data.pairs, data.dem, data.instance.providers
    l_dem, l_prov = local["dem"].to_numpy(), data.provider_index(local["provider_id"])
    c_dem, c_pair = coach["dem"].to_numpy(), coach["pair"].to_numpy()
    helped = g.sum(by=l_dem, size=len(dem))  # Σ_l g[k,l,s]
    b.extend("demand_balance", helped)

    # capacity of the local provider: into the capacity row where there is one, else a new
    # row (a provider without arcs); none while the capacity family is switched off
    if data.params.families.capacity:
        cap_row = b.row_index("provider_volume_max", l_prov)  # -1: the provider has no capacity row
        has = cap_row >= 0
        b.extend("provider_volume_max", g.where(has).sum(by=cap_row))
        need_row = np.zeros(len(prov), dtype=bool)
        need_row[l_prov[~has]] = True
        b.add_rows("provider_help_max",
                   g.sum(by=l_prov, size=len(prov)) <= prov["capacity"].to_numpy(),
                   Labels(prov, columns=["provider_id"]), where=need_row)

    # coaching balance per (k, s) with local help
    b.add_rows("coached_balance", helped == h.sum(by=c_dem, size=len(dem)),
               Labels(dem, columns=KS), where=np.bincount(l_dem, minlength=len(dem)) > 0)

    # coaching loads the rådgivningsfunktion's advisory capacity, or is tied to r directly
    kappa = data.params.near_family_advisory_load
    adv_row = (b.row_index("advisory_load_max", c_pair) if kappa > 0
               else np.full(len(coach), -1, dtype=np.int64))
    in_adv = adv_row >= 0
    b.extend("advisory_load_max", kappa * h.where(in_adv).sum(by=adv_row))
    tie = np.zeros(len(pairs), dtype=bool)
    tie[c_pair[~in_adv]] = True
    d_p = np.bincount(c_pair, weights=coach["demand"].to_numpy(), minlength=len(pairs))
    b.add_rows("coached_max", h.sum(by=c_pair, size=len(pairs)) <= d_p * b.var("r"),
               Labels(pairs, columns=PS), where=tie)

    # the local tilbud is not a specialfunktion of the speciale
    lp = local["lpair"].to_numpy()
    own = np.flatnonzero(lp >= 0)  # local tilbud competent in the speciale (pair lp)
    d_own = local["demand"].to_numpy()[own]
    b.add_rows("local_help_max", g[own] + d_own * b.var("y")[lp[own]] <= d_own,
               Labels(local, columns=KPS).take(own))

    # national share per speciale
    beta = data.function_params["near_family_share"]
    specs = list(dict.fromkeys(local["function"]))
    sid = local["function"].map({s: i for i, s in enumerate(specs)}).to_numpy()
    total = dem.groupby("function")["demand"].sum()
    most = np.array([beta[s] * total[s] for s in specs], dtype=float)  # β_s·Σ_k d[k,s]
    b.add_rows("help_share_max", g.sum(by=sid, size=len(specs)) <= most,
               Labels(pd.DataFrame({"function": specs})))
