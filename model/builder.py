"""The small builder interface every constraint family is written against.

A family declares variable blocks (:meth:`ProblemBuilder.variables`), writes its rows as
algebra over whole blocks and adds them as one labelled row block
(:meth:`ProblemBuilder.add_rows`), and adds objective terms (:meth:`ProblemBuilder.cost`).
:meth:`ProblemBuilder.problem` assembles the blocks, in the order they were added, into one
:class:`~specialeplan.solvers.problem.LinearProblem`; both backends (direct HiGHS and Pyomo)
are produced from that, so they share rows, columns and their order by construction.

The algebra (in the spirit of linopy) is vectorised: an :class:`Expr` is a block of rows,
each a linear expression, held as numpy coefficient triplets — never one Python object per
element. With ``x``, ``y`` variable blocks (:class:`Var`) and numpy arrays ``d``, ``ids``:

=================================== ===========================================================
``y``                               one row per column: y[i]
``y[idx]``                          one row per integer position: y[idx[j]] (repeats allowed)
``d * e``, ``e * 2.0``              scale row j by d[j] (an array of one value per row) or all
``e + f``, ``e - f``, ``e + d``     row by row (same number of rows); arrays/scalars are
                                    constants
``e.sum()``                         one row: the sum of all rows
``e.sum(by=ids, size=n)``           one row per group g < n: Σ of the rows j with ids[j] = g
``e.take(idx)``                     rows idx (integer positions, each at most once)
``e.where(mask)``                   the same rows, emptied where ``mask`` is False
``e <= f``, ``e >= f``, ``e == f``  a :class:`Constraint` (f an expression, array or scalar)
``e.between(lo, hi)``               the ranged rows lo ≤ e ≤ hi (Python cannot chain them)
=================================== ===========================================================

so ``Σ_k x[k,p,s] ≥ m_s·y[p,s]`` for the pairs in ``mask`` is::

    volume = x.sum(by=arc_pair, size=n_pairs)
    b.add_rows("pair_volume_min", volume >= m * y, Labels(pairs), where=mask)

Integer positions and boolean masks never share an argument: ``y[idx]`` and ``take`` take
positions, ``where`` takes a mask. Arrays are read by position (a pandas index is ignored:
pass ``.to_numpy()``).
The low-level form is still there: :meth:`Var.coef` gives coefficient triplets (row,
column, value) in local row numbers, and :meth:`ProblemBuilder.rows` adds them with bounds.

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


def _positions(index: ArrayLike, what: str) -> np.ndarray:
    """``index`` as integer positions; a boolean mask is refused (it belongs in ``where``)."""
    a = np.asarray(index)
    if a.dtype == bool:
        raise TypeError(f"{what} takes integer positions, not a boolean mask; use "
                        "where=mask (or np.flatnonzero(mask))")
    if a.size and not np.issubdtype(a.dtype, np.integer):
        raise TypeError(f"{what} takes integer positions, got {a.dtype}")
    return a.astype(np.int64, copy=False).ravel()


class Expr:
    """A block of ``size`` rows, row j being Σ coefficient·column + ``constant[j]`` (module
    docstring). ``parts`` hold the coefficients, one :class:`Coefs` per variable block and
    operation, in row numbers 0 .. size-1. Built by the operations (by hand only from
    triplets one already has, e.g. an objective term's)."""

    __array_ufunc__ = None  # ``array * expr``, ``array <= expr``: numpy defers to Expr
    __pandas_priority__ = 5000  # and so does pandas (a Series is read by position)
    __hash__ = None  # ``==`` builds a constraint

    def __init__(self, size: int, parts: tuple[Coefs, ...] = (),
                 constant: ArrayLike = 0.0) -> None:
        self.size = int(size)
        self.parts = tuple(parts)
        self.constant = np.broadcast_to(np.asarray(constant, dtype=float), (self.size,)).copy()

    def __len__(self) -> int:
        return self.size

    def __repr__(self) -> str:
        blocks = ", ".join(dict.fromkeys(c.var for c in self.parts))
        return f"Expr({self.size} rows in {blocks or 'no variables'})"

    # ------------------------------------------------------------------ arithmetic
    def __add__(self, other: Operand) -> Expr:
        o = _expr(other, self.size)
        return Expr(self.size, self.parts + o.parts, self.constant + o.constant)

    def __radd__(self, other: Operand) -> Expr:
        return _expr(other, self.size) + self

    def __neg__(self) -> Expr:
        return self * -1.0

    def __sub__(self, other: Operand) -> Expr:
        return self + (-_expr(other, self.size))

    def __rsub__(self, other: Operand) -> Expr:
        return _expr(other, self.size) + (-self)

    def __mul__(self, factor: ArrayLike) -> Expr:
        if isinstance(factor, Expr | Var | Constraint):
            raise TypeError("a product of two expressions is not linear")
        f = np.asarray(factor, dtype=float)
        if f.ndim == 0:
            parts = tuple(Coefs(c.var, c.rows, c.cols, c.vals * f) for c in self.parts)
        elif f.shape == (self.size,):
            parts = tuple(Coefs(c.var, c.rows, c.cols, c.vals * f[c.rows]) for c in self.parts)
        else:
            raise ValueError(f"cannot scale {self.size} rows by an array of shape {f.shape} "
                             "(one factor per row, or a scalar)")
        constant = self.constant * f if self.constant.any() else self.constant  # 0·inf
        return Expr(self.size, parts, constant)

    __rmul__ = __mul__

    # ------------------------------------------------------------------ reshaping rows
    def sum(self, by: ArrayLike | None = None, size: int | None = None) -> Expr:
        """The sum of all rows (``by`` None: one row), or one row per group: row g is the
        sum of the rows j with ``by[j] == g``, for g in 0 .. size-1 (default: max(by)+1).
        A row that holds nothing (e.g. emptied by :meth:`where`) may have any id, -1
        included."""
        if by is None:
            return Expr(1, tuple(Coefs(c.var, np.zeros(len(c.rows), dtype=np.int64), c.cols,
                                       c.vals) for c in self.parts), self.constant.sum())
        ids = _positions(by, "sum(by=...)")
        if ids.shape != (self.size,):
            raise ValueError(f"sum(by=...) needs one group id per row ({self.size}), "
                             f"got {ids.shape[0]}")
        n = int(size) if size is not None else (int(ids.max()) + 1 if ids.size else 0)
        parts = []
        for c in self.parts:
            g = ids[c.rows]
            if g.size and (g.min() < 0 or g.max() >= n):
                raise ValueError(f"sum(by=...): group id out of range 0..{n - 1}")
            parts.append(Coefs(c.var, g, c.cols, c.vals))
        held = self.constant != 0
        if held.any() and (ids[held].min() < 0 or ids[held].max() >= n):
            raise ValueError(f"sum(by=...): group id out of range 0..{n - 1}")
        constant = np.bincount(ids[held], weights=self.constant[held], minlength=n)
        return Expr(n, tuple(parts), constant)

    def take(self, index: ArrayLike) -> Expr:
        """Rows ``index`` (integer positions, each at most once), in that order."""
        index = _positions(index, "take")
        new = np.full(self.size, -1, dtype=np.int64)
        new[index] = np.arange(len(index))
        if len(np.unique(index)) != len(index):
            raise ValueError("take: a row may be taken only once")
        parts = []
        for c in self.parts:
            r = new[c.rows]
            keep = r >= 0
            parts.append(Coefs(c.var, r[keep], c.cols[keep], c.vals[keep]))
        return Expr(len(index), tuple(parts), self.constant[index])

    def where(self, mask: np.ndarray) -> Expr:
        """The same rows, emptied (no terms, constant 0) where ``mask`` is False."""
        mask = _mask(mask, self.size)
        parts = []
        for c in self.parts:
            keep = mask[c.rows]
            parts.append(Coefs(c.var, c.rows[keep], c.cols[keep], c.vals[keep]))
        return Expr(self.size, tuple(parts), np.where(mask, self.constant, 0.0))

    # ------------------------------------------------------------------ constraints
    def __le__(self, other: Operand) -> Constraint:
        return _compare(self, other, "<=")

    def __ge__(self, other: Operand) -> Constraint:
        return _compare(self, other, ">=")

    def __eq__(self, other: Operand) -> Constraint:  # type: ignore[override]
        return _compare(self, other, "==")

    def between(self, lower: ArrayLike, upper: ArrayLike) -> Constraint:
        """The ranged rows ``lower <= self <= upper`` (±inf: no bound on that side)."""
        lin = Expr(self.size, self.parts)
        return Constraint(lin, _bound(lower, self.size) - self.constant,
                          _bound(upper, self.size) - self.constant)


@dataclass(frozen=True, eq=False)
class Constraint:
    """Rows ``lower <= lhs <= upper`` (``lhs`` without constant), made by comparing
    expressions; added to the problem by :meth:`ProblemBuilder.add_rows`."""

    lhs: Expr
    lower: np.ndarray
    upper: np.ndarray

    @property
    def size(self) -> int:
        """Number of rows."""
        return self.lhs.size

    def take(self, index: ArrayLike) -> Constraint:
        """Rows ``index`` (integer positions, each at most once)."""
        index = _positions(index, "take")
        return Constraint(self.lhs.take(index), self.lower[index], self.upper[index])

    def __bool__(self) -> bool:
        raise TypeError("a constraint has no truth value; for lo <= e <= hi (which Python "
                        "reads as (lo <= e) and (e <= hi)) write e.between(lo, hi)")


@dataclass(frozen=True, eq=False)
class Var:
    """A handle on a declared variable block; in the algebra it is the expression with one
    row per column (``y`` is y[0], y[1], ...; ``y[idx]`` the rows y[idx[j]])."""

    name: str
    size: int

    __array_ufunc__ = None  # ``array * var``: numpy defers to Var
    __pandas_priority__ = 5000

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

    def expr(self) -> Expr:
        """The block as an expression: row i is the column i."""
        return self[self.index]

    def __getitem__(self, index: ArrayLike) -> Expr:
        """One row per integer position: row j is column ``index[j]`` (repeats allowed)."""
        cols = _positions(index, f"{self.name}[...]")
        if cols.size and (cols.min() < 0 or cols.max() >= self.size):
            raise IndexError(f"{self.name}[...]: position out of range 0..{self.size - 1}")
        rows = np.arange(len(cols))
        return Expr(len(cols), (Coefs(self.name, rows, cols, np.ones(len(cols))),))

    def __len__(self) -> int:
        return self.size

    def sum(self, by: ArrayLike | None = None, size: int | None = None) -> Expr:
        """:meth:`Expr.sum` of the block."""
        return self.expr().sum(by=by, size=size)

    def where(self, mask: np.ndarray) -> Expr:
        """:meth:`Expr.where` of the block."""
        return self.expr().where(mask)

    def __add__(self, other: Operand) -> Expr:
        return self.expr() + other

    def __radd__(self, other: Operand) -> Expr:
        return other + self.expr()

    def __sub__(self, other: Operand) -> Expr:
        return self.expr() - other

    def __rsub__(self, other: Operand) -> Expr:
        return other - self.expr()

    def __neg__(self) -> Expr:
        return -self.expr()

    def __mul__(self, factor: ArrayLike) -> Expr:
        return self.expr() * factor

    __rmul__ = __mul__

    def __le__(self, other: Operand) -> Constraint:
        return self.expr() <= other

    def __ge__(self, other: Operand) -> Constraint:
        return self.expr() >= other

    def __eq__(self, other: Operand) -> Constraint:  # type: ignore[override]
        return self.expr() == other

    __hash__ = object.__hash__

    def between(self, lower: ArrayLike, upper: ArrayLike) -> Constraint:
        """:meth:`Expr.between` of the block."""
        return self.expr().between(lower, upper)


Operand = Expr | Var | np.ndarray | float | int


def _expr(value: Operand, size: int) -> Expr:
    """``value`` as an expression of ``size`` rows (an array or scalar is a constant)."""
    if isinstance(value, Var):
        value = value.expr()
    if isinstance(value, Expr):
        if value.size != size:
            raise ValueError(f"expressions of {value.size} and {size} rows do not line up")
        return value
    if isinstance(value, Constraint):
        raise TypeError("a constraint is not an expression")
    const = np.asarray(value, dtype=float)
    if const.ndim and const.shape != (size,):
        raise ValueError(f"a constant of shape {const.shape} does not line up with {size} rows")
    return Expr(size, (), const)


def _mask(mask: np.ndarray, size: int) -> np.ndarray:
    """``mask`` as a boolean array of ``size`` (integer positions are refused)."""
    m = np.asarray(mask)
    if m.dtype != bool:
        raise TypeError(f"where= takes a boolean mask, got {m.dtype} (positions go to take)")
    if m.shape != (size,):
        raise ValueError(f"where= mask of shape {m.shape} for {size} rows")
    return m


def _bound(value: ArrayLike, size: int) -> np.ndarray:
    return np.broadcast_to(np.asarray(value, dtype=float), (size,)).copy()


def _compare(lhs: Expr, rhs: Operand, sense: str) -> Constraint:
    """``lhs <sense> rhs`` as rows with the variables on the left and bounds on the right."""
    if isinstance(rhs, Expr | Var):
        lhs, bound = lhs - rhs, _bound(0.0, lhs.size)
    elif isinstance(rhs, Constraint):
        raise TypeError("a constraint is not an expression")
    else:
        bound = np.asarray(rhs, dtype=float)
        if bound.ndim and bound.shape != (lhs.size,):
            raise ValueError(f"a right-hand side of shape {bound.shape} does not line up "
                             f"with {lhs.size} rows")
        bound = _bound(bound, lhs.size)
    bound = bound - lhs.constant
    lin = Expr(lhs.size, lhs.parts)
    free = np.inf
    lower = bound if sense in (">=", "==") else _bound(-free, lhs.size)
    upper = bound if sense in ("<=", "==") else _bound(free, lhs.size)
    return Constraint(lin, lower, upper)


def group_rows(ids: np.ndarray, keep: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """Row numbers for grouped sums written as triplets (:meth:`Expr.sum` does this for
    expressions): ``ids[i]`` is the group of element i, ``keep[g]`` whether group g gets a
    row. Returns (row of each element, mask of elements in kept groups, number of rows)."""
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
        self._row_family: dict[str, str] = {}  # every row block asked for (empty ones too)
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

    def add_rows(self, name: str, constraint: Constraint, labels: Labels, *,
                 where: np.ndarray | None = None, elastic: bool | None = None) -> None:
        """Add the rows of ``constraint`` (e.g. ``x.sum(by=ids, size=n) + u == d``) as row
        block ``name``, one label per row; ``where`` (a boolean mask over those rows) keeps
        only some of them, with their labels. ``elastic`` overrides the family's default
        (whether the rows may give way in the diagnosis). Empty blocks are skipped."""
        if not isinstance(constraint, Constraint):
            raise TypeError(f"row block {name!r}: add_rows wants a comparison such as "
                            f"lhs <= rhs, got {type(constraint).__name__}")
        if len(labels) != constraint.size:
            raise ValueError(f"row block {name!r}: {len(labels)} labels for "
                             f"{constraint.size} rows")
        if where is not None:
            keep = np.flatnonzero(_mask(where, constraint.size))
            constraint, labels = constraint.take(keep), labels.take(keep)
        self.rows(name, labels, *constraint.lhs.parts, lower=constraint.lower,
                  upper=constraint.upper, elastic=elastic)

    def rows(self, name: str, labels: Labels, *coefs: Coefs, lower: ArrayLike = -np.inf,
             upper: ArrayLike = np.inf, elastic: bool | None = None) -> None:
        """Add ``len(labels)`` rows ``lower <= Σ coefs <= upper`` (row numbers in ``coefs`` are
        local, 0 .. len(labels)-1): the triplet form under :meth:`add_rows`. Empty blocks
        are skipped."""
        n = len(labels)
        if name in self._row_family:
            raise ValueError(f"row block {name!r} added twice (by family "
                             f"{self._row_family[name]!r}, now by {self.family!r})")
        self._row_family[name] = self.family
        if n == 0:
            return
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
        ``positions`` of the labels' source table (-1 where the block has no such row; all
        -1 when the block had no rows). :class:`KeyError` for a name no earlier family
        asked for: a misspelt or renamed block must not read as "no rows"."""
        if name not in self._row_family:
            raise KeyError(f"family {self.family!r} looks up row block {name!r}, which no "
                           f"earlier family added (row blocks: {sorted(self._row_family)})")
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

    def extend(self, name: str, *terms: Coefs | Expr) -> None:
        """Add terms to the rows of an earlier family's row block ``name`` (row j of an
        expression, or row number j of triplets, is the block's row j): how a later family
        puts its own columns into an existing balance, e.g. near-family help into
        ``demand_balance``. The rows keep their family, bounds and labels. Adding no
        coefficients is a no-op (also when the block was never added because it had no
        rows)."""
        coefs: list[Coefs] = []
        for t in terms:
            if isinstance(t, Expr):
                if np.any(t.constant):
                    raise ValueError(f"row block {name!r} extended with a constant (only "
                                     "variable terms can be added to existing rows)")
                coefs += t.parts
            else:
                coefs.append(t)
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
        A.eliminate_zeros()  # e.g. (d − a)·y where today's residents fill the whole arc
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
