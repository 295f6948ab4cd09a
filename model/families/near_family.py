"""Help near the family: a local tilbud coached by a rådgivningsfunktion.

From the 2022 government proposal "Et liv med ligeværdige muligheder", initiative 9
(udgående rådgivning og kompetenceudvikling fra rådgivningsfunktioner).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from specialeplan.model.builder import ProblemBuilder
from specialeplan.model.keys import KPR, KPS, KR, KS, KSR, PS
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
    > 0, serving s's target group and competent in a related kind of need; table ``local``);
    w[k,s,S] ≥ 0 of them routed to the coaching node (k, S) of one of s's specialer S with
    reach at k (table ``split``); h[k,p,a,S] ≥ 0 coached by (p, a) over its reach arc
    (k, p, a, S) (table ``coach``). The node is exact: every type s of S at k may be coached
    by every rådgivningsfunktion of S that reaches k, so one column per reach arc carries
    what one per (k, s, p, a) would, and a flow per (k, s, p, a) decomposes through it
    (``near_family.csv``). Rows:

    - demand: g joins the demand balance, Σ_p x[k,p,s] + Σ_l g[k,l,s] + u[k,s] = d[k,s];
    - capacity: g joins the local provider's capacity, Σ x[·,l,·] + Σ g[·,l,·] ≤ C_l;
    - coaching: Σ_l g[k,l,s] − Σ_S w[k,s,S] = 0 and Σ_s w[k,s,S] − Σ_{p,a} h[k,p,a,S] = 0,
      and h loads (p, a)'s advisory capacity, Σ_{k,S} d[k,S]·v[k,p,a,S] +
      κ·Σ_{k,S} h[k,p,a,S] ≤ A_p·r[p,a] (κ = ``near_family_advisory_load``), so only a
      rådgivningsfunktion (r = 1) coaches; where p has no finite A_p (or κ = 0)
      Σ_{k,S} h[k,p,a,S] − D_pa·r[p,a] ≤ 0 with D_pa = Σ over its coaching arcs of the
      demand d[k,s] of the node's types with local help;
    - local, not a specialfunktion: g[k,l,s] + d[k,s]·y[l,s] ≤ d[k,s] where l is competent;
    - bounded: Σ_{k,l} g[k,l,s] ≤ β_s·Σ_k d[k,s] per speciale (``near_family_share``),
      because the highly specialised level is the point.

    These borgerforløb count towards no minimum volume (they are not x). Cost:
    w_near_family per borgerforløb (objective term ``near_family``). Needs reach: without a
    rådgivningsfunktion in reach there is nobody to coach the local tilbud.
    """
    local, coach, split = data.local, data.coach, data.split
    g = b.variables("g", Labels(local, columns=KPS), doc="near-family help g[k,l,s]")
    w = b.variables("w", Labels(split, columns=KSR),
                    doc="near-family help routed to a coaching node w[k,s,S]")
    h = b.variables("h", Labels(coach, columns=KPR),
                    doc="coached near-family help h[k,p,a,S]")
    if len(local) == 0:
        return
    pairs, dem, need, prov = data.pairs, data.dem, data.need, data.instance.providers
    l_dem, l_prov = local["dem"].to_numpy(), data.provider_index(local["provider_id"])
    s_dem, s_need = split["dem"].to_numpy(), split["need"].to_numpy()
    c_need, c_pair = coach["need"].to_numpy(), coach["pair"].to_numpy()
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

    # coaching balance per (k, s) with local help, and per coaching node (k, S)
    b.add_rows("coached_split_balance", helped == w.sum(by=s_dem, size=len(dem)),
               Labels(dem, columns=KS), where=np.bincount(l_dem, minlength=len(dem)) > 0)
    b.add_rows("coached_balance", w.sum(by=s_need, size=len(need))
               == h.sum(by=c_need, size=len(need)),
               Labels(need, columns=KR), where=np.bincount(s_need, minlength=len(need)) > 0)

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
