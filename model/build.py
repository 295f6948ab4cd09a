"""Assemble the placement model from the family registry (never reads files, never solves)."""

from __future__ import annotations

from specialeplan.model.builder import ProblemBuilder
from specialeplan.model.families import FAMILIES, TERMS, elastic_families
from specialeplan.model.sets import ModelData
from specialeplan.solvers.problem import LinearProblem


def active_families(data: ModelData) -> list[str]:
    """The families that take part for these parameters, in registry order."""
    switches = data.params.families
    return [f.name for f in FAMILIES.values() if not f.switch or getattr(switches, f.name)]


def build_problem(data: ModelData, *, elastic: frozenset[str] | None = None) -> LinearProblem:
    """Call every active family, then every objective term, in registry order.

    ``elastic``: names of families whose rows get slack columns (diagnosis mode; the
    objective becomes the total slack). Unknown or non-elastic names are an error.
    """
    if elastic is not None:
        unknown = set(elastic) - set(elastic_families())
        if unknown:
            raise ValueError(f"not elastic families: {sorted(unknown)}; elastic ones: "
                             f"{elastic_families()}")
    b = ProblemBuilder(name="specialeplan")
    for name in active_families(data):
        fam = FAMILIES[name]
        b.family, b.elastic_default = name, fam.elastic
        fam.build(data, b)
    b.family, b.elastic_default = "objective", False
    for t in TERMS.values():
        b.declare_term(t.name)
        t.build(data, b)
    return b.problem(elastic)
