"""The constraint families and objective terms of the placement model (SPEC §2).

Importing this package registers them in :mod:`specialeplan.model.registry`, in the order
of the modules below and, within a module, of the functions. That order is the column and
row order of every backend. One function per family, its maths in its docstring; the
symbols (see :mod:`specialeplan.model.sets` for the sparse index tables):

======================= ===================== ========================================
symbol                  variable block        one per row of
======================= ===================== ========================================
y[p,s] ∈ {0,1}          ``y`` designation     ``data.pairs``
r[p,s] ∈ {0,1}          ``r`` rådgivning duty ``data.pairs``
x[k,p,s] ≥ 0            ``x`` borgerforløb    ``data.arcs`` (only within the cutoff)
u[k,s] ≥ 0              ``u`` unmet demand    ``data.dem``
v[k,p,s] ∈ [0,1]        ``v`` advisory share  ``data.reach`` (only within R_s)
q[k,s] ∈ [0,1]          ``q`` reach shortfall ``data.need``
======================= ===================== ========================================
"""

import importlib

from specialeplan.model.registry import FAMILIES, TERMS, Family, Term, elastic_families, switches

#: Registration order = column and row order. A new module of families is added here.
MODULES = ("core", "radius", "reach", "counts", "objective")

for _module in MODULES:
    importlib.import_module(f"{__name__}.{_module}")

__all__ = ["FAMILIES", "MODULES", "TERMS", "Family", "Term", "elastic_families", "switches"]
