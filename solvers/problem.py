"""A mixed-integer linear problem in matrix form, with named column and row blocks.

:class:`LinearProblem` is the one currency between the model layer and every backend::

    min  c·z + offset   s.t.  row_lower <= A z <= row_upper,  lower <= z <= upper,
                              z_j integer where integer[j]

Columns come in named blocks (one per variable family, e.g. ``y``), rows in named blocks (one
or more per constraint family). Each block carries lazily built labels (a DataFrame, one row
per column or row) so that a backend can name its components, a diagnosis can say *where* a
row is, and a heuristic can pick a sub-problem, without the solver layer knowing any domain
name. The objective is kept as named terms (a sparse matrix, one row per term) so every
result reports each term separately.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp


class Labels:
    """The labels of a block's columns or rows, built only when someone asks for them.

    ``source``: a DataFrame (or a callable returning one); ``positions`` selects rows of it;
    ``columns`` selects columns; ``extra`` adds constant columns (e.g. ``bound="min"``).
    """

    def __init__(self, source: pd.DataFrame | Callable[[], pd.DataFrame],
                 positions: np.ndarray | None = None, columns: list[str] | None = None,
                 extra: Mapping[str, object] | None = None, size: int | None = None) -> None:
        self._source = source
        self._positions = positions
        self._columns = columns
        self._extra = dict(extra or {})
        self._frame: pd.DataFrame | None = None
        if size is None:
            if positions is not None:
                size = len(positions)
            elif isinstance(source, pd.DataFrame):
                size = len(source)
            else:
                raise ValueError("Labels from a callable need an explicit size")
        self.size = int(size)

    def frame(self) -> pd.DataFrame:
        """The labels as a DataFrame with a fresh 0..n-1 index."""
        if self._frame is None:
            df = self._source() if callable(self._source) else self._source
            if self._positions is not None:
                df = df.iloc[self._positions]
            if self._columns is not None:
                df = df[self._columns]
            df = df.reset_index(drop=True)
            if self._extra:
                df = df.assign(**self._extra)
            if len(df) != self.size:
                raise ValueError(f"labels have {len(df)} rows, expected {self.size}")
            self._frame = df
        return self._frame

    @property
    def positions(self) -> np.ndarray | None:
        """The rows of the source table the labels select (None: all of them, in order)."""
        return self._positions

    def take(self, index: np.ndarray) -> Labels:
        """The labels at integer positions ``index`` of these (same source, columns and
        extra columns; still built only when asked for)."""
        index = np.asarray(index, dtype=np.int64)
        positions = index if self._positions is None else self._positions[index]
        return Labels(self._source, positions=positions, columns=self._columns,
                      extra=self._extra, size=len(index))

    def column(self, name: str) -> np.ndarray | None:
        """One label column as an array, or None when the labels have no such column."""
        df = self.frame()
        return df[name].to_numpy() if name in df.columns else None

    def __len__(self) -> int:
        return self.size


@dataclass(frozen=True)
class ColumnBlock:
    """Columns ``start .. start+size`` of one variable family."""

    name: str
    family: str
    start: int
    size: int
    labels: Labels
    doc: str = ""

    @property
    def slice(self) -> slice:
        """The block's positions in the problem."""
        return slice(self.start, self.start + self.size)


@dataclass(frozen=True)
class RowBlock:
    """Rows ``start .. start+size`` of one named row group of a constraint family."""

    name: str
    family: str
    start: int
    size: int
    labels: Labels
    elastic: bool = False

    @property
    def slice(self) -> slice:
        """The block's positions in the problem."""
        return slice(self.start, self.start + self.size)


@dataclass(frozen=True)
class Slack:
    """Elastic slack columns of one row block (diagnosis mode): column ``start + j`` relaxes
    row ``rows[j]`` of ``row_block`` towards its lower (``sign=+1``) or upper (``-1``) bound."""

    row_block: str
    family: str
    column_block: str
    rows: np.ndarray
    sign: int


class Values(Mapping[str, np.ndarray]):
    """Column values split by block: ``values["x"]`` or ``values.x``."""

    def __init__(self, arrays: Mapping[str, np.ndarray]) -> None:
        self._arrays = {k: np.asarray(v, dtype=float) for k, v in arrays.items()}

    def __getitem__(self, key: str) -> np.ndarray:
        return self._arrays[key]

    def __getattr__(self, key: str) -> np.ndarray:
        try:
            return self.__dict__["_arrays"][key]
        except KeyError:
            raise AttributeError(key) from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._arrays)

    def __len__(self) -> int:
        return len(self._arrays)

    def copy(self) -> Values:
        """A deep copy (arrays copied)."""
        return Values({k: v.copy() for k, v in self._arrays.items()})


LARGE_VALUE = 1e15
"""Magnitude from which a coefficient, cost or bound is too large to be solved faithfully
(HiGHS's ``large_matrix_value``; see :meth:`LinearProblem.magnitude_issues`)."""


@dataclass
class LinearProblem:
    """See the module docstring. ``terms`` is (n_terms × n_columns); ``c`` is its column sum
    (or the slack objective in diagnosis mode)."""

    c: np.ndarray
    offset: float
    A: sp.csr_matrix
    row_lower: np.ndarray
    row_upper: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    integer: np.ndarray
    columns: dict[str, ColumnBlock]
    rows: list[RowBlock]
    term_names: list[str]
    terms: sp.csr_matrix
    term_offsets: np.ndarray
    slacks: list[Slack] = field(default_factory=list)
    name: str = "problem"
    elastic: bool = False  # diagnosis mode: c is the total slack, not the sum of the terms
    cache: dict[str, object] = field(default_factory=dict, repr=False, compare=False)
    """Objects a backend derives from the problem (e.g. its Pyomo model); not copied."""

    @property
    def n_columns(self) -> int:
        """Number of columns."""
        return len(self.c)

    @property
    def n_rows(self) -> int:
        """Number of rows."""
        return self.A.shape[0]

    @property
    def n_integer(self) -> int:
        """Number of integer columns."""
        return int(self.integer.sum())

    def row_block(self, name: str) -> RowBlock:
        """The row block called ``name``."""
        for block in self.rows:
            if block.name == name:
                return block
        raise KeyError(name)

    def split(self, z: np.ndarray) -> Values:
        """Column vector → values per column block."""
        return Values({name: z[b.slice] for name, b in self.columns.items()})

    def join(self, values: Mapping[str, np.ndarray]) -> np.ndarray:
        """Values per column block → column vector (blocks not given stay 0)."""
        z = np.zeros(self.n_columns)
        for name, arr in values.items():
            if name in self.columns:
                z[self.columns[name].slice] = arr
        return z

    def term_values(self, z: np.ndarray) -> dict[str, float]:
        """Every objective term evaluated at ``z``."""
        vals = self.terms @ z + self.term_offsets
        return {t: float(v) for t, v in zip(self.term_names, vals, strict=True)}

    def objective(self, z: np.ndarray) -> float:
        """c·z + offset."""
        return float(self.c @ z + self.offset)

    def violation(self, z: np.ndarray) -> float:
        """Largest violation of a row or column bound at ``z`` (0 when feasible)."""
        az = self.A @ z
        worst = [0.0]
        for arr in (self.row_lower - az, az - self.row_upper, self.lower - z, z - self.upper):
            finite = arr[np.isfinite(arr)]
            if finite.size:
                worst.append(float(finite.max()))
        frac = np.abs(z[self.integer] - np.round(z[self.integer]))
        if frac.size:
            worst.append(float(frac.max()))
        return max(worst)

    def magnitude_issues(self, large: float = LARGE_VALUE) -> list[str]:
        """Numbers no solver handles faithfully, per block: not finite, or of magnitude
        ``large`` or more in the matrix, the objective or a finite bound (HiGHS rejects
        matrix values from 1e15 and reads costs and bounds from 1e20 as infinite, so such a
        model is silently another one). Empty when the problem is sound."""
        out: list[str] = []

        def worst(values: np.ndarray, bound: bool = False) -> float:
            """Largest magnitude (NaN when any is NaN); ±inf is no bound, so skipped there."""
            v = np.abs(values[~np.isinf(values)] if bound else values)
            if np.isnan(v).any():
                return float("nan")
            return float(v.max()) if v.size else 0.0

        A = self.A.tocsr()
        for block in self.rows:
            part = A[block.slice]
            w = worst(part.data)
            if not w < large:
                out.append(f"row block {block.name!r} (family {block.family}): coefficient "
                           f"{w:.3g}")
            for side, bound in (("lower", self.row_lower), ("upper", self.row_upper)):
                w = worst(bound[block.slice], bound=True)
                if not w < large:
                    out.append(f"row block {block.name!r} (family {block.family}): {side} "
                               f"bound {w:.3g}")
        terms = self.terms.tocsr()
        for t, name in enumerate(self.term_names):
            w = worst(np.append(terms[t].data, self.term_offsets[t]))
            if not w < large:
                out.append(f"objective term {name!r}: cost {w:.3g}")
        for block in self.columns.values():
            for side, bound in (("lower", self.lower), ("upper", self.upper)):
                w = worst(bound[block.slice], bound=True)
                if not w < large:
                    out.append(f"column block {block.name!r} (family {block.family}): {side} "
                               f"bound {w:.3g}")
        return out

    def with_bounds(self, lower: np.ndarray | None = None,
                    upper: np.ndarray | None = None) -> LinearProblem:
        """A copy sharing the matrix, with other column bounds (e.g. fixings)."""
        return dataclasses.replace(self, lower=self.lower if lower is None else lower,
                                   upper=self.upper if upper is None else upper, cache={})

    def relaxed(self) -> LinearProblem:
        """The LP relaxation (no integrality)."""
        return dataclasses.replace(self, integer=np.zeros_like(self.integer), cache={})

    def with_row(self, row: sp.spmatrix, lower: float, upper: float,
                 name: str) -> LinearProblem:
        """A copy with one more row, ``lower ≤ row·z ≤ upper``, in its own block ``name``
        (e.g. a column forced into a plan, or the objective as a cap)."""
        row = sp.csr_matrix(row).reshape(1, self.n_columns)
        block = RowBlock(name=name, family=name, start=self.n_rows, size=1,
                         labels=Labels(pd.DataFrame({"lower": [lower], "upper": [upper]})))
        return dataclasses.replace(
            self, A=sp.vstack([self.A, row], format="csr"),
            row_lower=np.append(self.row_lower, lower),
            row_upper=np.append(self.row_upper, upper), rows=[*self.rows, block], cache={})

    def with_objective(self, objective: np.ndarray, name: str = "objective") -> LinearProblem:
        """A copy minimising ``objective`` (a cost per column) instead, as its one term
        ``name`` (evaluate a solution's original terms on this problem)."""
        objective = np.asarray(objective, dtype=float)
        if objective.shape != self.c.shape:
            raise ValueError(f"objective has {objective.size} entries, the problem "
                             f"{self.n_columns} columns")
        return dataclasses.replace(
            self, c=objective, offset=0.0, term_names=[name],
            terms=sp.csr_matrix(objective.reshape(1, -1)), term_offsets=np.zeros(1), cache={})

    def with_objective_cap(self, cap: float, name: str = "objective_cap") -> LinearProblem:
        """A copy with the objective also a row, ``c·z + offset ≤ cap`` (modelling to
        generate alternatives: then minimise another objective, :meth:`with_objective`)."""
        return self.with_row(sp.csr_matrix(self.c.reshape(1, -1)), -np.inf,
                             cap - self.offset, name)

    def sizes(self) -> dict[str, int]:
        """Rows, columns, integer columns and nonzeros."""
        return {"rows": self.n_rows, "columns": self.n_columns, "integers": self.n_integer,
                "nonzeros": int(self.A.nnz)}

