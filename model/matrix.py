"""The same MIP as :mod:`specialeplan.model.formulation`, assembled as sparse matrices.

This is the fast path (``solver: highs-direct``): every family becomes a block of COO
triplets computed with numpy from the integer ids in :class:`ModelData`; no per-element
Python objects. Column order is y (pairs), r (pairs), x (arcs), u (dem), v (reach arcs),
q (need) — the same order :class:`specialeplan.model.solution.Values` uses, so solutions of
both backends go through the same extraction. Pyomo stays the readable reference; the
backend-parity tests assert both give the same optimum on every family test.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp

from specialeplan.model.sets import ModelData
from specialeplan.model.solution import Values


@dataclass
class MatrixProblem:
    """min c·z + offset  s.t.  row_lower <= A z <= row_upper, lower <= z <= upper."""

    c: np.ndarray
    offset: float
    A: sp.csc_matrix
    row_lower: np.ndarray
    row_upper: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    integer: np.ndarray  # bool per column
    blocks: dict[str, slice] = field(default_factory=dict)  # column blocks by variable
    row_families: dict[str, slice] = field(default_factory=dict)

    def split(self, z: np.ndarray) -> Values:
        b = self.blocks
        return Values(y=z[b["y"]], r=z[b["r"]], x=z[b["x"]], u=z[b["u"]], v=z[b["v"]],
                      q=z[b["q"]])

    def join(self, val: Values) -> np.ndarray:
        z = np.zeros(len(self.c))
        for name in ("y", "r", "x", "u", "v", "q"):
            z[self.blocks[name]] = getattr(val, name)
        return z


class _Rows:
    """Accumulates row blocks as COO triplets."""

    def __init__(self) -> None:
        self.rows: list[np.ndarray] = []
        self.cols: list[np.ndarray] = []
        self.vals: list[np.ndarray] = []
        self.lo: list[np.ndarray] = []
        self.hi: list[np.ndarray] = []
        self.n = 0
        self.families: dict[str, slice] = {}

    def add(self, family: str, n_rows: int, r: np.ndarray, c: np.ndarray, v: np.ndarray,
            lo: np.ndarray | float, hi: np.ndarray | float) -> None:
        if n_rows == 0:
            return
        self.rows.append(np.asarray(r, dtype=np.int64) + self.n)
        self.cols.append(np.asarray(c, dtype=np.int64))
        self.vals.append(np.asarray(v, dtype=float))
        self.lo.append(np.broadcast_to(np.asarray(lo, dtype=float), (n_rows,)))
        self.hi.append(np.broadcast_to(np.asarray(hi, dtype=float), (n_rows,)))
        start = self.n
        self.n += n_rows
        prev = self.families.get(family)
        self.families[family] = slice(prev.start if prev else start, self.n)


def _group_rows(ids: np.ndarray, keep: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """Map group ids to dense row numbers for the groups in ``keep`` (bool per group)."""
    row_of = np.full(len(keep), -1, dtype=np.int64)
    row_of[keep] = np.arange(int(keep.sum()))
    r = row_of[ids]
    return r, r >= 0, int(keep.sum())


def build_matrix(data: ModelData) -> MatrixProblem:
    """Assemble c, A, bounds and integrality of the placement MIP (see formulation.py)."""
    fam, w = data.params.families, data.params.weights
    pairs, arcs, dem, reach, need = data.pairs, data.arcs, data.dem, data.reach, data.need
    nP, nA, nD, nR, nN = len(pairs), len(arcs), len(dem), len(reach), len(need)
    oy, orr, ox = 0, nP, 2 * nP
    ou, ov = ox + nA, ox + nA + nD
    oq = ov + nR
    ncol = oq + nN
    blocks = {"y": slice(oy, orr), "r": slice(orr, ox), "x": slice(ox, ou),
              "u": slice(ou, ov), "v": slice(ov, oq), "q": slice(oq, ncol)}

    lower = np.zeros(ncol)
    upper = np.full(ncol, np.inf)
    upper[oy:ox] = 1.0
    upper[ov:ncol] = 1.0
    usable = pairs["usable"].to_numpy()
    upper[oy:orr][~usable] = 0.0
    upper[orr:ox][~usable] = 0.0
    lower[oy:orr][pairs["fixed"].to_numpy()] = 1.0
    if not fam.allow_unmet:
        upper[ou:ov] = 0.0
    if not fam.allow_reach_shortfall:
        upper[oq:ncol] = 0.0
    integer = np.zeros(ncol, dtype=bool)
    integer[oy:ox] = True

    y0 = pairs["designated_today"].to_numpy().astype(float)
    c = np.zeros(ncol)
    c[oy:orr] = w.designation * pairs["designation_cost"].to_numpy() + w.change * (1 - 2 * y0)
    c[orr:ox] = w.advisory * pairs["advisory_cost"].to_numpy()
    c[ox:ou] = w.travel * arcs["minutes"].to_numpy()
    c[ou:ov] = w.unmet
    c[oq:ncol] = w.reach_shortfall
    offset = float(w.change * y0.sum())

    R = _Rows()
    a_idx = np.arange(nA)
    a_pair = arcs["pair"].to_numpy()
    a_dem = arcs["demand"].to_numpy()
    # demand balance: Σ_p x + u = d
    d = dem["demand"].to_numpy()
    R.add("demand_balance", nD,
          np.concatenate([arcs["dem"].to_numpy(), np.arange(nD)]),
          np.concatenate([ox + a_idx, ou + np.arange(nD)]), np.ones(nA + nD), d, d)
    # linking: x - d·y <= 0
    R.add("linking", nA, np.concatenate([a_idx, a_idx]),
          np.concatenate([ox + a_idx, oy + a_pair]),
          np.concatenate([np.ones(nA), -a_dem]), -np.inf, 0.0)
    has_arcs = np.bincount(a_pair, minlength=nP) > 0
    # minimum volume: Σ_k x - m·y >= 0
    if fam.min_volume:
        ms = pairs["speciale"].map(data.speciale_params["min_cases"]).to_numpy()
        keep = (ms > 0) & usable
        r, ok, n = _group_rows(a_pair, keep)
        rows_p = np.flatnonzero(keep)
        R.add("min_volume", n, np.concatenate([r[ok], np.arange(n)]),
              np.concatenate([ox + a_idx[ok], oy + rows_p]),
              np.concatenate([np.ones(int(ok.sum())), -ms[rows_p]]), 0.0, np.inf)
    # provider capacity: Σ_{k,s} x <= C_p
    if fam.capacity:
        prov = data.instance.providers
        pid = arcs["provider_id"].map(pd.Series(np.arange(len(prov)),
                                                index=prov["provider_id"])).to_numpy()
        keep = np.bincount(pid, minlength=len(prov)) > 0
        r, ok, n = _group_rows(pid, keep)
        R.add("capacity", n, r[ok], ox + a_idx[ok], np.ones(int(ok.sum())), -np.inf,
              prov["capacity"].to_numpy()[keep])
    # per-speciale capacity: Σ_k x - C[p,s]·y <= 0
    if fam.speciale_capacity:
        r, ok, n = _group_rows(a_pair, has_arcs)
        rows_p = np.flatnonzero(has_arcs)
        R.add("speciale_capacity", n, np.concatenate([r[ok], np.arange(n)]),
              np.concatenate([ox + a_idx[ok], oy + rows_p]),
              np.concatenate([np.ones(int(ok.sum())), -pairs["max_cases"].to_numpy()[rows_p]]),
              -np.inf, 0.0)
    # reach: r <= y; Σ v + q = 1; v <= r (strong) or covering rows (compact); Σ v <= A·r
    p_idx = np.arange(nP)
    R.add("advisory_link", nP, np.concatenate([p_idx, p_idx]),
          np.concatenate([orr + p_idx, oy + p_idx]),
          np.concatenate([np.ones(nP), -np.ones(nP)]), -np.inf, 0.0)
    if nN:
        v_idx = np.arange(nR)
        v_pair = reach["pair"].to_numpy()
        R.add("reach", nN, np.concatenate([reach["need"].to_numpy(), np.arange(nN)]),
              np.concatenate([ov + v_idx, oq + np.arange(nN)]), np.ones(nR + nN), 1.0, 1.0)
        compact = data.params.reach_formulation == "compact"
        if compact:  # covering: Σ_{arcs of k} r[pair] + q >= 1
            R.add("reach_cover", nN, np.concatenate([reach["need"].to_numpy(), np.arange(nN)]),
                  np.concatenate([orr + v_pair, oq + np.arange(nN)]), np.ones(nR + nN), 1.0,
                  np.inf)
        else:
            R.add("reach_link", nR, np.concatenate([v_idx, v_idx]),
                  np.concatenate([ov + v_idx, orr + v_pair]),
                  np.concatenate([np.ones(nR), -np.ones(nR)]), -np.inf, 0.0)
        acap = pairs["advisory_capacity"].to_numpy()
        n_arcs = np.bincount(v_pair, minlength=nP).astype(float)
        big = np.minimum(acap, n_arcs) if compact else acap
        keep = (n_arcs > 0) & np.isfinite(big)
        r, ok, n = _group_rows(v_pair, keep)
        rows_p = np.flatnonzero(keep)
        R.add("advisory_capacity", n, np.concatenate([r[ok], np.arange(n)]),
              np.concatenate([ov + v_idx[ok], orr + rows_p]),
              np.concatenate([np.ones(int(ok.sum())), -big[rows_p]]), -np.inf, 0.0)
    # count bounds per speciale (ranged rows), on y and on r
    spp = data.speciale_params.loc[data.specialer]
    sid = pairs["speciale"].map({s: i for i, s in enumerate(data.specialer)}).to_numpy()
    if fam.count_bounds:
        for name, off, lo_col, hi_col in (("count", oy, "min_count", "max_count"),
                                          ("advisory_count", orr, "min_advisory",
                                           "max_advisory")):
            lo = spp[lo_col].to_numpy()
            hi = spp[hi_col].to_numpy()
            keep = ~(np.isnan(lo) & np.isnan(hi))
            r, ok, n = _group_rows(sid, keep)
            R.add(name, n, r[ok], off + p_idx[ok], np.ones(int(ok.sum())),
                  np.nan_to_num(lo[keep], nan=-np.inf), np.nan_to_num(hi[keep], nan=np.inf))
    if fam.region_bounds:
        for b in data.params.region_bounds:
            members = np.flatnonzero(((pairs["speciale"] == b.speciale)
                                      & (pairs["region"] == b.region)).to_numpy())
            R.add("region_count", 1, np.zeros(len(members)), oy + members,
                  np.ones(len(members)), -np.inf if b.min_count is None else b.min_count,
                  np.inf if b.max_count is None else b.max_count)
    limit = data.params.max_specialer_per_provider
    if fam.max_specialer and limit is not None:
        ids = pd.factorize(pairs["provider_id"])[0]
        n = int(ids.max()) + 1 if nP else 0
        R.add("specialer_per_provider", n, ids, oy + p_idx, np.ones(nP), -np.inf, float(limit))
    if fam.change_limit and data.params.max_changes is not None:
        R.add("change_limit", 1, np.zeros(nP), oy + p_idx, 1 - 2 * y0, -np.inf,
              data.params.max_changes - y0.sum())

    A = sp.csc_matrix(
        (np.concatenate(R.vals), (np.concatenate(R.rows), np.concatenate(R.cols))),
        shape=(R.n, ncol))
    return MatrixProblem(c=c, offset=offset, A=A, row_lower=np.concatenate(R.lo),
                         row_upper=np.concatenate(R.hi), lower=lower, upper=upper,
                         integer=integer, blocks=blocks, row_families=R.families)
