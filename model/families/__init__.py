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
x[k,p,s,mode] ≥ 0       ``x`` borgerforløb    ``data.arcs`` (physical within T_s,
                                              outreach within O_s)
u[k,s] ≥ 0              ``u`` unmet demand    ``data.dem``
v[k,p,s] ∈ [0,1]        ``v`` advisory share  ``data.reach`` (only within R_s)
q[k,s] ∈ [0,1]          ``q`` reach shortfall ``data.need``
g[k,l,s] ≥ 0            ``g`` near-family     ``data.local`` (local tilbud l in k)
h[k,p,s] ≥ 0            ``h`` coached         ``data.coach`` (rådgivningsfunktion p)
m[p,s] ≥ 0              ``m`` moved           ``data.pairs`` with current cases
η[s] free, z[k,s] ≥ 0   ``eta``, ``z``        specialer / ``data.dem`` (equity, off)
======================= ===================== ========================================
"""

import importlib

from specialeplan.model.registry import FAMILIES, TERMS, Family, Term, elastic_families, switches

#: Registration order = column and row order. A new module of families is added here.
MODULES = ("core", "radius", "outreach", "reach", "near_family", "continuity", "counts",
           "robustness", "rollout", "equity", "objective", "limits")

for _module in MODULES:
    importlib.import_module(f"{__name__}.{_module}")

__all__ = ["FAMILIES", "MODULES", "TERMS", "Family", "Term", "elastic_families", "switches"]
