"""Readers for J.E. Beasley's OR-Library benchmarks and their reduction to the placement model.

Two classic problems are reduced exactly to the Denmark placement model (SPEC §2), through
the same :class:`~specialeplan.model.instance.Instance` and
:class:`~specialeplan.model.params.ModelParams`:

* capacitated facility location (``cap*.txt``, split demand): :func:`read_cflp`;
* p-median (``pmed*.txt``): :func:`read_pmedian`.

The reduction uses one speciale ``"classic"``; customers become "municipalities" ``c1..cn``
(population = demand) and facilities become providers ``f1..fm``. Costs enter only through
``provider_travel`` (customer x provider, ``minutes`` = cost per unit of demand).

Files are read as token streams (numbers may wrap lines). A truncated or garbled file raises
:class:`~specialeplan.errors.DataValidationError` naming the file and the section.
Published optima are looked up in ``optima.csv`` (columns ``instance,kind,optimum``) next to
the instance file. The bundled copies live in ``data/orlib_instances/`` and are installed
with the package (:data:`BENCHMARK_DIR`); :func:`bundled_instance` finds one by name.
"""

from __future__ import annotations

import hashlib
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.csgraph import shortest_path

from specialeplan.errors import DataValidationError, OptionalFileIgnored
from specialeplan.model.instance import SCHEMAS, Instance
from specialeplan.model.params import Families, ModelParams, SpecialeParams, Weights

SPECIALE = "classic"
"""The single speciale id used by both reductions."""

BENCHMARK_DIR = Path(__file__).resolve().parent / "orlib_instances"
"""Bundled OR-Library copies (package data: present in an editable and a wheel install)."""

Kind = Literal["cflp", "pmedian"]
_Locator = Callable[[int], tuple[str, str]]


@dataclass(frozen=True)
class ClassicProblem:
    """An OR-Library instance expressed in the placement model.

    ``published_optimum`` is the literature optimum from ``optima.csv`` next to the file,
    or ``None`` when unknown (the README rounds cap* optima to three decimals).
    """

    name: str
    kind: Kind
    instance: Instance
    params: ModelParams
    published_optimum: float | None


# --------------------------------------------------------------------------- tokens
class _Tokens:
    """The numbers of a file, with section-aware error messages."""

    def __init__(self, path: Path) -> None:
        self.file = str(path)
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise DataValidationError(f"cannot read file: {exc}", file=self.file) from exc
        self.sha256 = hashlib.sha256(raw).hexdigest()
        try:
            text = raw.decode("ascii")
        except UnicodeDecodeError as exc:
            raise DataValidationError(
                f"not a plain-text OR-Library file (byte {exc.start} is not ASCII)",
                file=self.file,
            ) from exc
        self.words = text.split()
        values = pd.to_numeric(pd.Series(self.words, dtype=object), errors="coerce")
        self.values = values.to_numpy(dtype=float, na_value=np.nan)

    def __len__(self) -> int:
        return len(self.words)

    def check_numeric(self, locate: _Locator) -> None:
        """Raise on the first token that is not a finite number."""
        bad = ~np.isfinite(self.values)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            where, field = locate(i)
            raise DataValidationError(
                f"token {i + 1} ({where}) is {self.words[i]!r}, expected a finite number",
                file=self.file, field=field,
            )

    def integers(self, values: np.ndarray, what: str, field: str) -> np.ndarray:
        """``values`` as int64, raising if any is not a whole number."""
        frac = values != np.round(values)
        if frac.any():
            i = int(np.flatnonzero(frac)[0])
            raise DataValidationError(
                f"{what} must be whole numbers, got {values[i]:g} (entry {i + 1})",
                file=self.file, field=field,
            )
        return values.astype(np.int64)

    def check_nonnegative(self, values: np.ndarray, what: str, field: str) -> None:
        neg = values < 0
        if neg.any():
            i = int(np.flatnonzero(neg)[0])
            raise DataValidationError(
                f"{what} must be >= 0, got {values[i]:g} (entry {i + 1})",
                file=self.file, field=field,
            )


def _header(tok: _Tokens, names: tuple[str, ...]) -> tuple[int, ...]:
    k = len(names)
    if len(tok) < k:
        raise DataValidationError(
            f"header needs {k} numbers ({' '.join(names)}), file has {len(tok)}",
            file=tok.file, field="header",
        )
    head = tok.values[:k]
    if not np.all(np.isfinite(head)) or np.any(head != np.round(head)):
        raise DataValidationError(
            f"header must be {k} whole numbers ({' '.join(names)}), got "
            f"{' '.join(tok.words[:k])!r}", file=tok.file, field="header",
        )
    return tuple(int(v) for v in head)


def _hashes(path: Path, tok: _Tokens) -> dict[str, str]:
    return {path.name: tok.sha256}


def _sources(path: Path) -> dict[str, str]:
    return {table: str(path) for table in SCHEMAS}


# --------------------------------------------------------------------------- optima
def read_optima(path: str | Path) -> pd.DataFrame:
    """Read an ``optima.csv`` (instance, kind, optimum); validated, one row per instance."""
    path = Path(path)
    try:
        df = pd.read_csv(path, dtype={"instance": str, "kind": str})
    except (OSError, UnicodeDecodeError, ValueError, pd.errors.ParserError,
            pd.errors.EmptyDataError) as exc:
        raise DataValidationError(f"cannot read optima table: {exc}", file=str(path)) from exc
    missing = [c for c in ("instance", "kind", "optimum") if c not in df.columns]
    if missing:
        raise DataValidationError(
            f"missing column(s) {missing}; found {list(df.columns)}", file=str(path),
            field=missing[0],
        )
    opt = pd.to_numeric(df["optimum"], errors="coerce")
    if opt.isna().any():
        i = int(np.flatnonzero(opt.isna().to_numpy())[0])
        raise DataValidationError(
            f"optimum must be a number, got {df['optimum'].iloc[i]!r}", file=str(path),
            row=i + 2, field="optimum",
        )
    return df.assign(optimum=opt.astype(float))[["instance", "kind", "optimum"]]


def published_optimum(path: str | Path, kind: Kind) -> float | None:
    """Published optimum of the instance file ``path`` from ``optima.csv`` beside it.

    The table is optional: when it is absent, or cannot be read (wrong columns, not a
    number, not CSV), the optimum is unknown (None); a broken table is reported with an
    :class:`~specialeplan.errors.OptionalFileIgnored` warning, never an error.
    """
    path = Path(path)
    table = path.parent / "optima.csv"
    if not table.is_file():
        return None
    try:
        df = read_optima(table)
    except DataValidationError as exc:
        warnings.warn(f"ignoring {table} (published optima are optional): {exc}",
                      OptionalFileIgnored, stacklevel=2)
        return None
    hit = df[(df["instance"].str.strip() == path.stem) & (df["kind"].str.strip() == kind)]
    return float(hit["optimum"].iloc[-1]) if len(hit) else None


# --------------------------------------------------------------------------- CFLP
def read_cflp(path: str | Path) -> ClassicProblem:
    """Read an OR-Library capacitated facility location file (``cap*.txt``).

    Format: ``m n``; ``m`` x (capacity, fixed cost); then per customer its demand followed
    by ``m`` costs of serving *all* its demand from each facility. The reduction puts the
    per-unit cost ``cost_ij / d_j`` into ``provider_travel`` (0 when ``d_j = 0``).
    """
    path = Path(path)
    tok = _Tokens(path)
    m, n = _header(tok, ("facilities", "customers"))
    if m < 1 or n < 1:
        raise DataValidationError(
            f"need at least one facility and one customer, header says m={m}, n={n}",
            file=tok.file, field="header",
        )
    fac_end = 2 + 2 * m
    expected = fac_end + n * (m + 1)

    def locate(i: int) -> tuple[str, str]:
        if i < 2:
            return "header", "header"
        if i < fac_end:
            return f"facility {(i - 2) // 2 + 1}", "facilities"
        return f"customer {(i - fac_end) // (m + 1) + 1}", "customers"

    if len(tok) < fac_end:
        raise DataValidationError(
            f"expected {m} facilities, file ends after {(len(tok) - 2) // 2}",
            file=tok.file, field="facilities",
        )
    if len(tok) < expected:
        done = (len(tok) - fac_end) // (m + 1)
        raise DataValidationError(
            f"expected {n} customers, file ends after {done}"
            + (" (and part of the next)" if (len(tok) - fac_end) % (m + 1) else ""),
            file=tok.file, field="customers",
        )
    if len(tok) > expected:
        raise DataValidationError(
            f"{len(tok) - expected} unexpected token(s) after the {n} customers "
            f"(first: {tok.words[expected]!r}); is the header 'm n' right?",
            file=tok.file, field="customers",
        )
    tok.check_numeric(locate)

    fac = tok.values[2:fac_end].reshape(m, 2)
    cust = tok.values[fac_end:expected].reshape(n, m + 1)
    capacity, fixed = fac[:, 0], fac[:, 1]
    demand, cost = cust[:, 0], cust[:, 1:]
    tok.check_nonnegative(capacity, "facility capacities", "facilities")
    tok.check_nonnegative(fixed, "facility fixed costs", "facilities")
    tok.check_nonnegative(demand, "customer demands", "customers")
    tok.check_nonnegative(cost.ravel(), "allocation costs", "customers")

    safe = np.where(demand > 0, demand, 1.0)
    per_unit = np.where(demand[:, None] > 0, cost / safe[:, None], 0.0)

    codes = np.array([f"c{j}" for j in range(1, n + 1)], dtype=object)
    pids = np.array([f"f{i}" for i in range(1, m + 1)], dtype=object)
    instance = Instance(
        name=path.stem,
        municipalities=_municipalities(codes, demand),
        providers=pd.DataFrame({
            "provider_id": pids,
            "name": pids,
            "municipality_code": codes[0],  # location is irrelevant: travel is explicit
            "owner": "",
            "kind": "",
            "capacity": capacity,
            "advisory_capacity": np.inf,
        }),
        specialer=_specialer(),
        competence=_competence(pids, max_cases=capacity, designation_cost=fixed),
        demand=_demand(codes, demand),
        provider_travel=_provider_travel(codes, pids, per_unit),
        sources=_sources(path),
        hashes=_hashes(path, tok),
    )
    params = ModelParams(
        specialer=[SPECIALE],
        defaults=SpecialeParams(min_cases=0.0, max_travel_minutes=None, reach_minutes=None,
                                demand_growth=1.0),
        weights=Weights(travel=1.0, designation=1.0, advisory=0.0, unmet=1e9, change=0.0),
        families=Families(
            reach=False, min_volume=False, travel_cutoff=False, count_bounds=False,
            region_bounds=False, max_specialer=False, allow_unmet=False,
            allow_reach_shortfall=True,
        ),
    )
    return ClassicProblem(path.stem, "cflp", instance, params, published_optimum(path, "cflp"))


# --------------------------------------------------------------------------- p-median
def read_pmedian(path: str | Path) -> ClassicProblem:
    """Read an OR-Library p-median file (``pmed*.txt``).

    Format: ``n_vertices n_edges p``; then ``n_edges`` lines ``i j cost`` (undirected,
    1-based). For a pair listed more than once (either orientation) the *last* occurrence
    counts. Distances are all-pairs shortest paths; every vertex is a customer with demand 1
    and a candidate site (provider ``f{i}`` at ``c{i}``); exactly ``p`` are opened.
    """
    path = Path(path)
    tok = _Tokens(path)
    n, e, p = _header(tok, ("vertices", "edges", "p"))
    if n < 1 or e < 0 or not 1 <= p <= n:
        raise DataValidationError(
            f"need n >= 1, edges >= 0 and 1 <= p <= n; header says n={n}, edges={e}, p={p}",
            file=tok.file, field="header",
        )
    expected = 3 + 3 * e
    if len(tok) < expected:
        done = (len(tok) - 3) // 3
        raise DataValidationError(
            f"expected {e} edges, file ends after {done}"
            + (" (and part of the next)" if (len(tok) - 3) % 3 else ""),
            file=tok.file, field="edges",
        )
    if len(tok) > expected:
        raise DataValidationError(
            f"{len(tok) - expected} unexpected token(s) after the {e} edges "
            f"(first: {tok.words[expected]!r}); is the header 'n edges p' right?",
            file=tok.file, field="edges",
        )
    tok.check_numeric(lambda i: ("header", "header") if i < 3 else
                      (f"edge {(i - 3) // 3 + 1}", "edges"))

    edges = tok.values[3:expected].reshape(e, 3)
    ends = tok.integers(edges[:, :2].ravel(), "edge end points", "edges").reshape(e, 2)
    out = (ends < 1) | (ends > n)
    if out.any():
        k = int(np.flatnonzero(out.any(axis=1))[0])
        raise DataValidationError(
            f"edge {k + 1} joins {ends[k, 0]}-{ends[k, 1]}; vertices are 1..{n}",
            file=tok.file, field="edges",
        )
    tok.check_nonnegative(edges[:, 2], "edge costs", "edges")

    dist = distance_matrix(n, ends, edges[:, 2])
    if not np.isfinite(dist).all():
        i, j = np.argwhere(~np.isfinite(dist))[0]
        raise DataValidationError(
            f"graph is disconnected: no path from vertex {i + 1} to vertex {j + 1}",
            file=tok.file, field="edges",
        )

    codes = np.array([f"c{j}" for j in range(1, n + 1)], dtype=object)
    pids = np.array([f"f{i}" for i in range(1, n + 1)], dtype=object)
    ones = np.ones(n)
    instance = Instance(
        name=path.stem,
        municipalities=_municipalities(codes, ones),
        providers=pd.DataFrame({
            "provider_id": pids,
            "name": pids,
            "municipality_code": codes,  # facility i sits at vertex i
            "owner": "",
            "kind": "",
            "capacity": float(n),
            "advisory_capacity": np.inf,
        }),
        specialer=_specialer(),
        competence=_competence(pids, max_cases=np.full(n, float(n)),
                               designation_cost=np.zeros(n)),
        demand=_demand(codes, ones),
        provider_travel=_provider_travel(codes, pids, dist),
        sources=_sources(path),
        hashes=_hashes(path, tok),
    )
    params = ModelParams(
        specialer=[SPECIALE],
        defaults=SpecialeParams(min_cases=0.0, max_travel_minutes=None, reach_minutes=None,
                                min_count=p, max_count=p, demand_growth=1.0),
        weights=Weights(travel=1.0, designation=0.0, advisory=0.0, unmet=1e9, change=0.0),
        families=Families(
            capacity=False, speciale_capacity=False, reach=False, min_volume=False,
            travel_cutoff=False, allow_unmet=False, region_bounds=False, max_specialer=False,
        ),
    )
    return ClassicProblem(path.stem, "pmedian", instance, params,
                          published_optimum(path, "pmedian"))


def distance_matrix(n: int, ends: np.ndarray, cost: np.ndarray) -> np.ndarray:
    """All-pairs shortest-path distances (n x n) of an undirected graph.

    ``ends`` holds 1-based end points (shape ``(e, 2)``), ``cost`` the edge costs in file
    order; a pair listed more than once, in either orientation, keeps its *last* cost.
    Self-loops are ignored. Unreachable pairs are ``inf``.
    """
    ends = np.asarray(ends, dtype=np.int64).reshape(-1, 2) - 1
    cost = np.asarray(cost, dtype=float).ravel()
    lo, hi = ends.min(axis=1), ends.max(axis=1)
    keep = lo != hi
    pairs = pd.DataFrame({"lo": lo[keep], "hi": hi[keep], "cost": cost[keep]})
    pairs = pairs.drop_duplicates(["lo", "hi"], keep="last")
    # coo -> csr without duplicates; explicit zero-cost edges stay edges for csgraph
    graph = sp.csr_matrix(
        (pairs["cost"].to_numpy(), (pairs["lo"].to_numpy(), pairs["hi"].to_numpy())),
        shape=(n, n),
    )
    return shortest_path(graph, method="D", directed=False)


def read_classic(path: str | Path) -> ClassicProblem:
    """Read ``cap*`` files with :func:`read_cflp` and ``pmed*`` with :func:`read_pmedian`."""
    path = Path(path)
    if path.stem.startswith("cap"):
        return read_cflp(path)
    if path.stem.startswith("pmed"):
        return read_pmedian(path)
    raise DataValidationError(
        "cannot tell the problem kind from the name (expected cap*.txt or pmed*.txt)",
        file=str(path),
    )


# --------------------------------------------------------------------------- tables
def _municipalities(codes: np.ndarray, population: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame({"code": codes, "name": codes, "region": "",
                         "population": population, "lon": 0.0, "lat": 0.0, "area_km2": 0.0})


def _specialer() -> pd.DataFrame:
    return pd.DataFrame({"speciale": [SPECIALE], "name": ["OR-Library classic"]})


def _competence(pids: np.ndarray, *, max_cases: np.ndarray,
                designation_cost: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame({
        "provider_id": pids,
        "speciale": SPECIALE,
        "max_cases": max_cases,
        "current_cases": 0.0,
        "designated_today": False,
        "designation_cost": designation_cost,
        "advisory_cost": 0.0,
    })


def _demand(codes: np.ndarray, demand: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame({"municipality_code": codes, "speciale": SPECIALE, "demand": demand})


def _provider_travel(codes: np.ndarray, pids: np.ndarray, minutes: np.ndarray) -> pd.DataFrame:
    """Long table from a (customers x providers) matrix, row-major."""
    n, m = len(codes), len(pids)
    return pd.DataFrame({
        "municipality_code": np.repeat(codes, m),
        "provider_id": np.tile(pids, n),
        "minutes": np.asarray(minutes, dtype=float).reshape(n * m),
    })


__all__ = [
    "BENCHMARK_DIR",
    "SPECIALE",
    "ClassicProblem",
    "distance_matrix",
    "published_optimum",
    "read_cflp",
    "read_classic",
    "read_optima",
    "read_pmedian",
]
