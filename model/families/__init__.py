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
w[k,s,S] ≥ 0            ``w`` routed to node  ``data.split`` (coaching node (k, S))
h[k,p,s,S] ≥ 0          ``h`` coached         ``data.coach`` (reach arc of the node)
e[o] ∈ {0,1}            ``e`` expansion built ``data.expansions``
m[p,s] ≥ 0              ``m`` moved           ``data.pairs`` with current cases
η[s] free, z[k,s] ≥ 0   ``eta``, ``z``        specialer / ``data.dem`` (equity, off)
======================= ===================== ========================================

Each module is named after the family it holds, or the first of the few it holds:

===================== ==================================================================
module                families (in registration order)
===================== ==================================================================
``assignment``        variables, demand_balance, linking, travel_cutoff
``volume``            pair_volume, min_volume, capacity, speciale_capacity
``expansion``         expansion
``radius_assignment`` radius_assignment
``outreach``          outreach, delivery_need
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

Row blocks (the constraints) are named ``<quantity>_<bound>``, as in PyPSA and calliope: the
quantity the rows bound — prefixed by what it is summed over where that is not plain
(``arc_``, ``pair_``, ``provider_``) — and ``_min`` (quantity ≥ ...), ``_max`` (quantity ≤
...), ``_balance`` (an equality) or ``_range`` (lo ≤ quantity ≤ hi, one ranged row). A row
block's name is not its family's name: the family name is the scenario switch, the family
column of ``infeasibility.csv`` and the checker rule; a family adds one or more row blocks,
and each :class:`~specialeplan.solvers.problem.RowBlock` records its family. Row names are
the Pyomo constraint names and the ``rows`` column of ``infeasibility.csv``.

================================== =================== ========================================
row block                          family              rows
================================== =================== ========================================
``demand_balance``                 demand_balance      Σ_p x + u (+ Σ_l g) = d
``arc_volume_max``                 linking             x ≤ d·y + a·(1 − y) per arc
``pair_volume_balance``            pair_volume         X − Σ_k x = 0 per pair (aggregate)
``pair_volume_min``                min_volume          Σ_k x ≥ m_s·y
``provider_volume_max``            capacity            Σ_{k,s} x (+ Σ g − Σ_o P·e) ≤ C_p
``pair_volume_max``                speciale_capacity   Σ_k x ≤ V·y + c·(1 − y)
``expansion_designation_max``      expansion           e[o] ≤ y[p,s]
``expansion_investment_max``       expansion           Σ_o I_o·e[o] ≤ B
``level_cover_min``                radius_assignment   z^l − z^{l−1} + Σ_{p at D^l} y ≥ [l = 1]
``outreach_volume_max``            delivery_need       Σ_{k,p} x[·,outreach] ≤ max((1−ρ)D, P)
``pair_advisory_max``              advisory_link       r ≤ y
``reach_balance``                  reach               Σ_p v + q = 1
``reach_cover_min``                reach               Σ_{p in reach} r + q ≥ 1 (compact)
``pair_share_max``                 reach               Σ_k v ≤ n_p·r (compact)
``arc_share_max``                  reach               v ≤ r per reach arc (strong)
``advisory_load_max``              advisory_capacity   Σ_k d·v (+ κ·Σ_k h) ≤ A_p·r
``provider_help_max``              near_family         Σ g ≤ C_l (local provider without arcs)
``coached_split_balance``          near_family         Σ_l g − Σ_S w = 0
``coached_balance``                near_family         Σ_s w − Σ_p h = 0
``coached_max``                    near_family         Σ_k h ≤ D_p·r
``local_help_max``                 near_family         g + d·y[l,s] ≤ d
``help_share_max``                 near_family         Σ_{k,l} g ≤ β_s·Σ_k d
``moved_min``                      moved               m + Σ_k x ≥ c
``advisory_today_min``             keep_advisory_today r ≥ 1
``designation_count_range``        count_bounds        min_count ≤ Σ_p y ≤ max_count
``advisory_count_range``           count_bounds        min_advisory ≤ Σ_p r ≤ max_advisory
``region_designation_count_range`` region_bounds       min ≤ Σ_{p in g} y ≤ max
``provider_designation_count_max`` max_specialer       Σ_s y ≤ M
``fixed_designation_min``          fixed               y ≥ 1
``change_count_max``               change_limit        Σ |y − y0| ≤ K
``backup_cover_min``               backup_coverage     Σ_{p in S(k,s)} y ≥ 2
``direct_cover_min``               backup_coverage     Σ_{p in F(k,s)} y ≥ 1
``committed_designation_min``      committed           y ≥ 1
``committed_advisory_min``         committed           r ≥ 1
``committed_volume_min``           committed           Σ_k x ≥ min(c, V)
``equity_excess_min``              equity              z ≥ a − η (cvar)
``equity_threshold_min``           equity              η ≥ a (max)
``equity_measure_max``             equity              measure_s ≤ L
``<criterion>_total_max``          limits              raw term or count ≤ L
================================== =================== ========================================
"""

import importlib

from specialeplan.model.registry import FAMILIES, TERMS, Family, Term, elastic_families, switches

#: Registration order = column and row order. A new module of families is added here.
MODULES = ("assignment", "volume", "expansion", "radius_assignment", "outreach", "advisory",
           "near_family", "continuity", "count_bounds", "backup_coverage", "committed", "equity",
           "objective", "limits")

for _module in MODULES:
    importlib.import_module(f"{__name__}.{_module}")

__all__ = ["FAMILIES", "MODULES", "TERMS", "Family", "Term", "elastic_families", "switches"]
