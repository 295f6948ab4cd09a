"""Thin solver layer: typed options in, a typed result out. Knows nothing of specialer.

Backends are looked up by name with :func:`get_backend`; the model layer never imports a
specific solver.
"""

from specialeplan.solvers.base import SolveResult, SolverOptions, Status, get_backend

__all__ = ["SolveResult", "SolverOptions", "Status", "get_backend"]
