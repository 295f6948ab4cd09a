"""The small builder interface every constraint family is written against.

A family declares variable blocks (:meth:`ProblemBuilder.variables`), adds labelled,
vectorised row blocks (:meth:`ProblemBuilder.rows`) made of coefficient triplets
(:meth:`Var.coef`: row, column, value — numpy arrays, never per-element Python objects),
and adds objective terms (:meth:`ProblemBuilder.cost`). :meth:`ProblemBuilder.problem`
assembles the blocks, in the order they were added, into one
:class:`~specialeplan.solvers.problem.LinearProblem`; both backends (direct HiGHS and Pyomo)
are produced from that, so they share rows, columns and their order by construction.

In diagnosis mode (``elastic=`` a set of family names) every row of an elastic family gets a
non-negative slack column towards each finite bound, and the objective becomes the total
slack: the minimal relaxation that makes an infeasible scenario feasible.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from specialeplan.solvers.problem import ColumnBlock, Labels, LinearProblem, RowBlock, Slack

ArrayLike = np.ndarray | float | int


@dataclass(frozen=True)
class Coefs:
    """Coefficient triplets of one variable block inside a row block (local numbering)."""

    var: str
    rows: np.ndarray
    cols: np.ndarray
    vals: np.ndarray


@dataclass(frozen=True)
class Var:
    """A handle on a declared variable block."""

    name: str
    size: int

    def coef(self, rows: ArrayLike, cols: ArrayLike, values: ArrayLike = 1.0) -> Coefs:
        """Coefficient ``values`` of columns ``cols`` of this block in rows ``rows`` of the
        row block being added (scalars broadcast)."""
        rows_a, cols_a, vals_a = np.broadcast_arrays(
            np.asarray(rows, dtype=np.int64), np.asarray(cols, dtype=np.int64),
            np.asarray(values, dtype=float))
        return Coefs(self.name, rows_a.ravel(), cols_a.ravel(), vals_a.ravel())

    def linear(self, cols: ArrayLike, values: ArrayLike = 1.0) -> Coefs:
        """A linear expression in this block's columns (for objective terms)."""
        return self.coef(0, cols, values)

    @property
    def index(self) -> np.ndarray:
        """0 .. size-1."""
        return np.arange(self.size)


def group_rows(ids: np.ndarray, keep: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """Row numbers for grouped sums: ``ids[i]`` is the group of element i, ``keep[g]`` whether
    group g gets a row. Returns (row of each element, mask of elements in kept groups,
    number of rows)."""
    row_of = np.full(len(keep), -1, dtype=np.int64)
    row_of[keep] = np.arange(int(keep.sum()))
    r = row_of[ids] if len(ids) else np.zeros(0, dtype=np.int64)
    return r, r >= 0, int(keep.sum())


class ProblemBuilder:
    """Collects column blocks, row blocks and objective terms (see the module docstring)."""

    def __init__(self, name: str = "problem") -> None:
        self.name = name
        self.family = ""  # the family being built; set by the assembler
        self.elastic_default = False  # whether the current family's rows can be elastic
        self._vars: dict[str, tuple[Var, Labels, np.ndarray, np.ndarray, bool, str, str]] = {}
        self._ncol = 0
        self._rows: list[tuple[str, str, Labels, list[Coefs], np.ndarray, np.ndarray, bool]] = []
        self._terms: dict[str, tuple[list[Coefs], float]] = {}

    # ------------------------------------------------------------------ declaring
    def variables(self, name: str, labels: Labels, *, lower: ArrayLike = 0.0,
                  upper: ArrayLike = np.inf, integer: bool = False, doc: str = "") -> Var:
        """Declare a block of ``len(labels)`` columns with bounds and integrality."""
        if name in self._vars:
            raise ValueError(f"variable block {name!r} declared twice")
        n = len(labels)
        lo = np.broadcast_to(np.asarray(lower, dtype=float), (n,)).copy()
        hi = np.broadcast_to(np.asarray(upper, dtype=float), (n,)).copy()
        var = Var(name, n)
        self._vars[name] = (var, labels, lo, hi, integer, doc, self.family)
        self._ncol += n
        return var

    def var(self, name: str) -> Var:
        """A block declared earlier (possibly by another family)."""
        if name not in self._vars:
            raise KeyError(f"family {self.family!r} needs variable block {name!r}, which no "
                           "earlier family declared (check the registry order)")
        return self._vars[name][0]

    def has(self, name: str) -> bool:
        """Whether a variable block ``name`` was declared."""
        return name in self._vars

    def bounds(self, var: Var, cols: np.ndarray, *, lower: ArrayLike | None = None,
               upper: ArrayLike | None = None) -> None:
        """Tighten the bounds of some columns of a declared block."""
        _, _, lo, hi, *_ = self._vars[var.name]
        if lower is not None:
            lo[cols] = np.maximum(lo[cols], lower)
        if upper is not None:
            hi[cols] = np.minimum(hi[cols], upper)

    def rows(self, name: str, labels: Labels, *coefs: Coefs, lower: ArrayLike = -np.inf,
             upper: ArrayLike = np.inf, elastic: bool | None = None) -> None:
        """Add ``len(labels)`` rows ``lower <= Σ coefs <= upper`` (row numbers in ``coefs`` are
        local, 0 .. len(labels)-1). Empty blocks are skipped."""
        n = len(labels)
        if n == 0:
            return
        if any(name == r[0] for r in self._rows):
            raise ValueError(f"row block {name!r} added twice")
        for c in coefs:
            if c.var not in self._vars:
                raise KeyError(f"row block {name!r} uses undeclared variable block {c.var!r}")
            if c.rows.size and (c.rows.min() < 0 or c.rows.max() >= n):
                raise ValueError(f"row block {name!r}: row index out of range")
        lo = np.broadcast_to(np.asarray(lower, dtype=float), (n,)).copy()
        hi = np.broadcast_to(np.asarray(upper, dtype=float), (n,)).copy()
        is_elastic = self.elastic_default if elastic is None else elastic
        self._rows.append((name, self.family, labels, list(coefs), lo, hi, is_elastic))

    def row_index(self, name: str, positions: np.ndarray) -> np.ndarray:
        """Local row numbers, in row block ``name``, of the rows whose labels sit at
        ``positions`` of the labels' source table (-1 where the block has no such row; an
        empty array of -1 when the block was never added, e.g. it had no rows)."""
        positions = np.asarray(positions, dtype=np.int64)
        for row_name, _, labels, *_ in self._rows:
            if row_name == name:
                src = labels.positions
                n_src = int(src.max()) + 1 if src is not None and len(src) else len(labels)
                size = max(n_src, int(positions.max()) + 1 if len(positions) else 0)
                local = np.full(size, -1, dtype=np.int64)
                local[src if src is not None else np.arange(len(labels))] = np.arange(
                    len(labels))
                return local[positions]
        return np.full(len(positions), -1, dtype=np.int64)

    def extend(self, name: str, *coefs: Coefs) -> None:
        """Add coefficients to the rows of an earlier family's row block ``name`` (row
        numbers local to that block): how a later family puts its own columns into an
        existing balance, e.g. near-family help into ``demand_balance``. The rows keep
        their family, bounds and labels. Adding no coefficients is a no-op (also when the
        block was never added because it had no rows)."""
        if not any(c.rows.size for c in coefs):
            return
        for i, (row_name, fam, labels, old, lo, hi, is_elastic) in enumerate(self._rows):
            if row_name != name:
                continue
            for c in coefs:
                if c.var not in self._vars:
                    raise KeyError(f"row block {name!r} extended with undeclared variable "
                                   f"block {c.var!r}")
                if c.rows.size and (c.rows.min() < 0 or c.rows.max() >= len(labels)):
                    raise ValueError(f"row block {name!r}: extended row index out of range")
            self._rows[i] = (row_name, fam, labels, [*old, *coefs], lo, hi, is_elastic)
            return
        raise KeyError(f"family {self.family!r} extends row block {name!r}, which no earlier "
                       "family added (check the registry order)")

    def cost(self, term: str, *coefs: Coefs, constant: float = 0.0) -> None:
        """Add ``Σ coefs + constant`` to objective term ``term``."""
        parts, const = self._terms.get(term, ([], 0.0))
        self._terms[term] = ([*parts, *coefs], const + float(constant))

    def declare_term(self, term: str) -> None:
        """Make sure ``term`` is reported even when nothing adds to it."""
        self._terms.setdefault(term, ([], 0.0))

    # ------------------------------------------------------------------ assembling
    def problem(self, elastic: frozenset[str] | None = None) -> LinearProblem:
        """Assemble the :class:`LinearProblem` (diagnosis mode when ``elastic`` is given)."""
        offsets: dict[str, int] = {}
        columns: dict[str, ColumnBlock] = {}
        lowers, uppers, integers = [], [], []
        start = 0
        for name, (var, labels, lo, hi, integer, doc, fam) in self._vars.items():
            offsets[name] = start
            columns[name] = ColumnBlock(name, fam, start, var.size, labels, doc)
            lowers.append(lo)
            uppers.append(hi)
            integers.append(np.full(var.size, integer))
            start += var.size
        rr, cc, vv, rlo, rhi = [], [], [], [], []
        blocks: list[RowBlock] = []
        slack_specs: list[tuple[RowBlock, np.ndarray, int]] = []
        nrow = 0
        for name, fam, labels, coefs, lo, hi, is_elastic in self._rows:
            for c in coefs:
                rr.append(c.rows + nrow)
                cc.append(c.cols + offsets[c.var])
                vv.append(c.vals)
            rlo.append(lo)
            rhi.append(hi)
            block = RowBlock(name, fam, nrow, len(labels), labels, is_elastic)
            blocks.append(block)
            if elastic is not None and is_elastic and fam in elastic:
                for sign, bound in ((1, lo), (-1, hi)):
                    finite = np.flatnonzero(np.isfinite(bound))
                    if finite.size:
                        slack_specs.append((block, finite, sign))
            nrow += len(labels)
        slacks: list[Slack] = []
        for block, local, sign in slack_specs:
            cname = f"slack_{block.name}_{'min' if sign > 0 else 'max'}"
            columns[cname] = ColumnBlock(
                cname, block.family, start, len(local),
                Labels(block.labels.frame, positions=local,
                       extra={"bound": "min" if sign > 0 else "max"}),
                doc=f"elastic slack of {block.name}")
            rr.append(block.start + local)
            cc.append(start + np.arange(len(local)))
            vv.append(np.full(len(local), float(sign)))
            lowers.append(np.zeros(len(local)))
            uppers.append(np.full(len(local), np.inf))
            integers.append(np.zeros(len(local), dtype=bool))
            slacks.append(Slack(block.name, block.family, cname, local, sign))
            start += len(local)
        ncol = start
        A = sp.csr_matrix((_cat(vv, float), (_cat(rr, np.int64), _cat(cc, np.int64))),
                          shape=(nrow, ncol))
        term_names = list(self._terms)
        tr, tc, tv = [], [], []
        for t, name in enumerate(term_names):
            for c in self._terms[name][0]:
                tr.append(np.full(len(c.cols), t))
                tc.append(c.cols + offsets[c.var])
                tv.append(c.vals)
        terms = sp.csr_matrix((_cat(tv, float), (_cat(tr, np.int64), _cat(tc, np.int64))),
                              shape=(len(term_names), ncol))
        term_offsets = np.array([self._terms[n][1] for n in term_names], dtype=float)
        if elastic is None:
            c = np.asarray(terms.sum(axis=0)).ravel()
            offset = float(term_offsets.sum())
        else:
            c = np.zeros(ncol)
            for s in slacks:
                c[columns[s.column_block].slice] = 1.0
            offset = 0.0
        return LinearProblem(
            c=c, offset=offset, A=A, row_lower=_cat(rlo, float), row_upper=_cat(rhi, float),
            lower=_cat(lowers, float), upper=_cat(uppers, float),
            integer=_cat(integers, bool), columns=columns, rows=blocks, term_names=term_names,
            terms=terms, term_offsets=term_offsets, slacks=slacks, name=self.name,
            elastic=elastic is not None)


def _cat(parts: list[np.ndarray], dtype: type) -> np.ndarray:
    return np.concatenate(parts).astype(dtype, copy=False) if parts else np.zeros(0, dtype)
