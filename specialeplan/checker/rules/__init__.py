"""The checker's rules: one per constraint family, keyed by the registry's names.

Each rule re-derives its family from the files alone (pandas on the result tables and the
solved inputs); none of them uses the model's formulation, which is the point of an
independent check. :func:`specialeplan.checker.check_results` runs the rule of every family
of the registry, in the registry's order, skipping the families the scenario switched off
and those registered with ``unchecked=`` (a reason why no rule is needed);
``tests/test_registry.py`` asserts that every other registered family has a rule, and that
every objective term of the registry has a :func:`term_rule` that recomputes it.

Where a rule lives: **the rule of a family defined in ``model/families/<module>.py`` is in
``checker/rules/<module>.py``** (``tests/test_checker_layout.py`` holds the two layouts
together):

=================== ==========================================================
module              rules
=================== ==========================================================
``context``         :class:`Context`, the :data:`RULES` registry and :func:`rule`,
                    the :data:`TERM_RULES` registry and :func:`term_rule`,
                    shared helpers (:func:`reported`, :func:`can_serve`)
``assignment``      variables, demand_balance, linking, travel_cutoff
``volume``          pair_volume, min_volume, capacity, speciale_capacity
``expansion``       expansion
``radius_assignment`` radius_assignment
``outreach``        outreach, delivery_need
``advisory``        advisory_link, reach, advisory_capacity
``near_family``     near_family
``continuity``      moved, keep_advisory_today
``count_bounds``    count_bounds, region_bounds, max_specialer, fixed, change_limit
``backup_coverage`` backup_coverage
``committed``       committed
``equity``          equity
``objective``       the objective terms, one :func:`term_rule` each, recomputed
                    (:func:`recompute_terms`) and held against ``kpis.json``
                    (:func:`check_objective`)
``limits``          limits
``folder``          the folder as a whole: ``duplicates``, ``kpis``, ``regions``
                    and ``claims`` (``kpis.json`` held to what it says about the
                    solve: status, bound, gap), ``target_groups`` and
                    ``taxonomy`` (:func:`check_taxonomy`)
``costs``           ``costs``: ``financing.csv`` and ``kpis.json → cost_dkk``
                    recomputed from the files and the run's cost table
                    (:func:`check_costs`)
=================== ==========================================================
"""

from __future__ import annotations

import importlib

from specialeplan.checker.rules.context import (
    EPS_TRAVEL,
    KS,
    PS,
    RS,
    RULES,
    TERM_RULES,
    Context,
    Rule,
    TermRule,
    can_serve,
    reported,
    rule,
    term_rule,
)

#: the rule modules, in the order of ``model/families`` (plus the whole-folder checks);
#: importing one registers its rules in :data:`RULES`
MODULES = ("assignment", "volume", "expansion", "radius_assignment", "outreach", "advisory",
           "near_family", "continuity", "count_bounds", "backup_coverage", "committed", "equity",
           "objective", "limits", "folder", "costs")

for _module in MODULES:
    importlib.import_module(f"{__name__}.{_module}")

from specialeplan.checker.rules.costs import check_costs  # noqa: E402
from specialeplan.checker.rules.folder import (  # noqa: E402  (after the rules registered)
    check_claims,
    check_duplicates,
    check_kpis,
    check_regions,
    check_taxonomy,
    regions_from_files,
)
from specialeplan.checker.rules.objective import check_objective, recompute_terms  # noqa: E402

__all__ = ["EPS_TRAVEL", "KS", "MODULES", "PS", "RS", "RULES", "TERM_RULES", "Context", "Rule",
           "TermRule", "can_serve", "check_claims", "check_costs", "check_duplicates",
           "check_kpis", "check_objective", "check_regions", "check_taxonomy", "recompute_terms",
           "regions_from_files", "reported", "rule", "term_rule"]
