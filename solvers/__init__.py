"""Thin solver layer: a generic problem in, typed options in, a typed result out.

Knows nothing of specialer: the model layer hands over a
:class:`~specialeplan.solvers.problem.LinearProblem` and picks a backend by name with
:func:`~specialeplan.solvers.registry.get_backend`.
"""

from specialeplan.solvers.base import Backend, SolveResult, SolverOptions, Status
from specialeplan.solvers.problem import LinearProblem, Values
from specialeplan.solvers.registry import available_backends, get_backend

__all__ = ["Backend", "LinearProblem", "SolveResult", "SolverOptions", "Status", "Values",
           "available_backends", "get_backend"]
