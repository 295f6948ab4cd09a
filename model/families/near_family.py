"""Help near the family: a local tilbud coached by a rådgivningsfunktion.

From the 2022 government proposal "Et liv med ligeværdige muligheder", initiative 9
(udgående rådgivning og kompetenceudvikling fra rådgivningsfunktioner).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from specialeplan.model.builder import ProblemBuilder, group_rows
from specialeplan.model.keys import KPS, KS, PS
from specialeplan.model.registry import family
from specialeplan.solvers.problem import Labels

if TYPE_CHECKING:
    from specialeplan.model.sets import ModelData


@family("near_family", elastic=False,
        explain="help near the family is not possible")
def near_family(data: ModelData, b: ProblemBuilder) -> None:
    """A third way to meet demand, next to a specialfunktion and unmet: a citizen who does
    not want to move away from the family is helped by a local tilbud l in the home
    municipality k, coached by a rådgivningsfunktion p of the speciale that reaches k.

    Variables: g[k,l,s] ≥ 0 borgerforløb helped at local provider l (located in k, capacity
    > 0; table ``local``) and h[k,p,s] ≥ 0 of them coached by p (reach arcs t[k,p] ≤ R_s;
    table ``coach``). Rows:

    - demand: g joins the demand balance, Σ_p x[k,p,s] + Σ_l g[k,l,s] + u[k,s] = d[k,s];
    - capacity: g joins the local provider's capacity, Σ x[·,l,·] + Σ g[·,l,·] ≤ C_l;
    - coaching: Σ_l g[k,l,s] − Σ_p h[k,p,s] = 0, and h loads p's advisory capacity,
      Σ_k d[k,s]·v[k,p,s] + κ·Σ_k h[k,p,s] ≤ A_p·r[p,s]
      (κ = ``near_family_advisory_load``), so only a rådgivningsfunktion (r = 1) coaches;
      where p has no finite A_p (or κ = 0) Σ_k h[k,p,s] − D_p·r[p,s] ≤ 0 with
      D_p = Σ_{k in reach of p} d[k,s];
    - local, not a specialfunktion: g[k,l,s] + d[k,s]·y[l,s] ≤ d[k,s] where l is competent;
    - bounded: Σ_{k,l} g[k,l,s] ≤ β_s·Σ_k d[k,s] per speciale (``near_family_share``),
      because the highly specialised level is the point.

    These borgerforløb count towards no minimum volume (they are not x). Cost:
    w_near_family per borgerforløb (objective term ``near_family``). Needs reach: without a
    rådgivningsfunktion in reach there is nobody to coach the local tilbud.
    """
    local, coach = data.local, data.coach
    g = b.variables("g", Labels(local, columns=KPS), doc="near-family help g[k,l,s]")
    h = b.variables("h", Labels(coach, columns=KPS), doc="coached near-family help h[k,p,s]")
    if len(local) == 0:
        return
    pairs = data.pairs
    nL, nC = len(local), len(coach)
    g_idx, h_idx = np.arange(nL), np.arange(nC)
    l_dem = local["dem"].to_numpy()
    b.extend("demand_balance", g.coef(l_dem, g_idx))  # dem rows are the balance rows

    # capacity of the local provider: into the capacity row where there is one, else a new
    # row (a provider without arcs); none while the capacity family is switched off
    if data.params.families.capacity:
        l_prov = data.provider_index(local["provider_id"])
        cap_row = b.row_index("capacity", l_prov)
        has = cap_row >= 0
        b.extend("capacity", g.coef(cap_row[has], g_idx[has]))
        prov = data.instance.providers
        need_row = np.zeros(len(prov), dtype=bool)
        need_row[l_prov[~has]] = True
        rows, ok, _ = group_rows(l_prov, need_row)
        b.rows("near_family_capacity",
               Labels(prov, positions=np.flatnonzero(need_row), columns=["provider_id"]),
               g.coef(rows[ok], g_idx[ok]), upper=prov["capacity"].to_numpy()[need_row])

    # coaching balance per (k, s) with local help
    dems, row_of = np.unique(l_dem, return_inverse=True)
    c_row = np.searchsorted(dems, coach["dem"].to_numpy())
    b.rows("near_family_coach", Labels(data.dem, positions=dems, columns=KS),
           g.coef(row_of, g_idx), h.coef(c_row, h_idx, -1.0), lower=0.0, upper=0.0)

    # coaching loads the rådgivningsfunktion's advisory capacity, or is tied to r directly
    kappa = data.params.near_family_advisory_load
    c_pair = coach["pair"].to_numpy()
    adv_row = (b.row_index("advisory_capacity", c_pair) if kappa > 0
               else np.full(nC, -1, dtype=np.int64))
    in_adv = adv_row >= 0
    b.extend("advisory_capacity", h.coef(adv_row[in_adv], h_idx[in_adv], kappa))
    tie = np.zeros(len(pairs), dtype=bool)
    tie[c_pair[~in_adv]] = True
    rows, ok, n = group_rows(c_pair, tie)
    d_p = np.bincount(c_pair, weights=coach["demand"].to_numpy(), minlength=len(pairs))
    rows_p = np.flatnonzero(tie)
    b.rows("near_family_tie", Labels(pairs, positions=rows_p, columns=PS),
           h.coef(rows[ok], h_idx[ok]), b.var("r").coef(np.arange(n), rows_p, -d_p[rows_p]),
           upper=0.0)

    # the local tilbud is not a specialfunktion of the speciale
    lp = local["lpair"].to_numpy()
    own = np.flatnonzero(lp >= 0)
    d_own = local["demand"].to_numpy()[own]
    b.rows("near_family_local", Labels(local, positions=own, columns=KPS),
           g.coef(np.arange(len(own)), own), b.var("y").coef(np.arange(len(own)), lp[own], d_own),
           upper=d_own)

    # national share per speciale
    beta = data.speciale_params["near_family_share"]
    specs = list(dict.fromkeys(local["speciale"]))
    sid = local["speciale"].map({s: i for i, s in enumerate(specs)}).to_numpy()
    total = data.dem.groupby("speciale")["demand"].sum()
    b.rows("near_family_share", Labels(pd.DataFrame({"speciale": specs})),
           g.coef(sid, g_idx),
           upper=np.array([beta[s] * total[s] for s in specs], dtype=float))
