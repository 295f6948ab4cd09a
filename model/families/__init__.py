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

Each module is named after the family it holds, or the first of the few it holds:

===================== ==================================================================
module                families (in registration order)
===================== ==================================================================
``assignment``        variables, demand_balance, linking, travel_cutoff
``volume``            pair_volume, min_volume, capacity, speciale_capacity
``radius_assignment`` radius_assignment
``outreach``          outreach
``advisory``          advisory_link, reach, advisory_capacity
``near_family``       near_family
``continuity``        moved, keep_advisory_today
``count_bounds``      count_bounds, region_bounds, max_specialer, fixed, change_limit
``backup_coverage``   backup_coverage
``committed``         committed
``equity``            equity
``objective``         the objective terms
``limits``            limits
===================== ==================================================================
"""

import importlib

from specialeplan.model.registry import FAMILIES, TERMS, Family, Term, elastic_families, switches

#: Registration order = column and row order. A new module of families is added here.
MODULES = ("assignment", "volume", "radius_assignment", "outreach", "advisory", "near_family",
           "continuity", "count_bounds", "backup_coverage", "committed", "equity", "objective",
           "limits")

for _module in MODULES:
    importlib.import_module(f"{__name__}.{_module}")

__all__ = ["FAMILIES", "MODULES", "TERMS", "Family", "Term", "elastic_families", "switches"]
