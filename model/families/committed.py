"""Phased rollout: the commitments of earlier waves hold when a later wave is planned.

The specialeplan is rolled out five specialer first and new ones yearly until 2030 ("Et liv
med ligeværdige muligheder", 2022, initiative 1 and figure 5); a later wave is planned with
the earlier waves' specialfunktioner in place (``specialeplan rollout``,
:mod:`specialeplan.analyses.rollout`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from specialeplan.errors import ScenarioError
from specialeplan.model.builder import ProblemBuilder
from specialeplan.model.families.volume import pair_volume_expr
from specialeplan.model.keys import PS
from specialeplan.model.registry import family
from specialeplan.solvers.problem import Labels

if TYPE_CHECKING:
    from specialeplan.model.sets import ModelData


def committed_pairs(data: ModelData) -> pd.DataFrame:
    """``model.committed`` as a table with the pair row of each entry (``pair``) and its
    ``advisory`` flag and ``cases``; :class:`ScenarioError` for an entry that names no
    competence pair of a planned speciale, or one given twice."""
    items = data.params.committed
    table = pd.DataFrame([c.model_dump() for c in items],
                         columns=[*PS, "advisory", "cases"])
    if table.duplicated(PS).any():
        p, s = table[table.duplicated(PS)].iloc[0][PS]
        raise ScenarioError(f"committed: {p}/{s} is listed twice")
    m = table.merge(data.pairs[[*PS, "pair"]], on=PS, how="left")
    if m["pair"].isna().any():
        p, s = m[m["pair"].isna()].iloc[0][PS]
        raise ScenarioError(f"committed: {p}/{s} is no competence pair of a planned speciale "
                            "(unknown provider, speciale not planned, or no competence row)")
    m = m.astype({"pair": np.int64, "advisory": bool, "cases": float})
    return m.sort_values("pair").reset_index(drop=True)  # row order = pair order


@family("committed", elastic=True, on="restricts", reads={"committed": "same"},
        explain="a commitment of an earlier rollout wave (its rådgivning duty or the "
                "borgerforløb placed there) cannot be kept")
def committed(data: ModelData, b: ProblemBuilder) -> None:
    """Commitments of earlier rollout waves (``model.committed``: provider_id, speciale,
    advisory, cases), for the committed pairs (p, s):

        y[p,s] ≥ 1                                    (``committed_designation_min``)
        r[p,s] ≥ 1            where advisory           (``committed_advisory_min``)
        Σ_k x[k,p,s] ≥ min(c[p,s], V[p,s])  where c > 0 (``committed_volume_min``)

    An earlier wave's specialfunktion stays designated, its rådgivning duty stays, and the
    c[p,s] borgerforløb it took on stay with it (V[p,s] = ``pair_volume_cap``, the most the
    pair can take at all): the provider capacity earlier waves use is not offered again to
    later specialer, while growing demand may add borgerforløb on top. Σ_k x is X[p,s] in
    the aggregate volume formulation. Empty unless a rollout (or a planner) lists
    commitments.
    """
    if not data.params.committed:
        return
    m = committed_pairs(data)
    y, r = b.var("y"), b.var("r")
    labels = Labels(data.pairs, columns=PS)
    pair = m["pair"].to_numpy()
    b.add_rows("committed_designation_min", y[pair] >= 1, labels.take(pair))
    adv = pair[m["advisory"].to_numpy()]
    b.add_rows("committed_advisory_min", r[adv] >= 1, labels.take(adv))
    vol = m[m["cases"].to_numpy() > 0]
    if vol.empty:
        return
    if data.assignment != "arcs":
        raise ScenarioError("committed borgerforløb need the per-arc assignment (the radius "
                            "formulation has none); set model.assignment_formulation: arcs")
    rows_p = vol["pair"].to_numpy()
    floor = np.minimum(vol["cases"].to_numpy(), data.pair_volume_cap()[rows_p])
    b.add_rows("committed_volume_min", pair_volume_expr(data, b).take(rows_p) >= floor,
               labels.take(rows_p))
