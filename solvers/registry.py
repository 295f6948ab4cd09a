"""Backends by name. The one place that knows every backend module."""

from __future__ import annotations

from specialeplan.errors import SolverError
from specialeplan.solvers.base import Backend, SolverOptions
from specialeplan.solvers.highs import DirectHighs
from specialeplan.solvers.pyomo_highs import PyomoHighs

BACKENDS: dict[str, type] = {"highs-direct": DirectHighs, "highs": PyomoHighs}


def get_backend(name: str) -> Backend:
    """Instantiate the backend ``name``; a clear error when unknown or not installed."""
    if name not in BACKENDS:
        raise SolverError(f"unknown solver {name!r}; available: {sorted(BACKENDS)}")
    backend: Backend = BACKENDS[name]()
    if not backend.available():
        raise SolverError(f"solver {name!r} is not available (is highspy installed?)")
    return backend


def check_solver_options(options: SolverOptions) -> Backend:
    """The backend ``options.name`` after checking ``options.options`` against the solver's
    own option list; :class:`SolverError` naming the first bad option. Call it before any
    long work (loading, building) so a typo fails in a second."""
    backend = get_backend(options.name)
    backend.check_options(options)
    return backend


def available_backends() -> list[str]:
    """Names of the installed backends."""
    return sorted(n for n, cls in BACKENDS.items() if cls().available())
