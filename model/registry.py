"""The family registry: every constraint family and objective term, defined once.

A constraint family is one function ``(data, builder) -> None`` decorated with
:func:`family`; an objective term is one function decorated with :func:`term`. The
decorator records, next to the function (whose docstring holds the maths):

- ``name``: the one name used everywhere — the scenario switch ``model.families.<name>``,
  row labels, ``infeasibility.csv``, the checker's rule and ``kpis.json``;
- ``explain``: the planner-facing sentence the infeasibility diagnosis prints;
- ``switch``/``default``: whether a scenario can switch it off (and its default);
- ``elastic``: whether its rows may give way in the diagnosis (hard rules only);
- ``options``: further boolean switches the family reads (e.g. ``allow_unmet``).

Everything else reads this registry: :func:`specialeplan.model.build.build_problem` calls the
families in registration order, :mod:`specialeplan.model.params` makes the
``model.families`` switches from it, :mod:`specialeplan.model.diagnose` explains with it, and
the checker keys its rules by the same names. See ``docs/adding-a-family.md``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

Build = Callable[[Any, Any], None]  # (ModelData, ProblemBuilder) -> None


@dataclass(frozen=True)
class Family:
    """One constraint family (see the module docstring)."""

    name: str
    build: Build
    explain: str
    switch: bool = True
    default: bool = True
    elastic: bool = False
    options: dict[str, tuple[bool, str]] = field(default_factory=dict)

    @property
    def doc(self) -> str:
        """The family's docstring: its maths."""
        return (self.build.__doc__ or "").strip()

    @property
    def summary(self) -> str:
        """The first line of the docstring."""
        return self.doc.splitlines()[0] if self.doc else self.name


@dataclass(frozen=True)
class Term:
    """One objective term; ``explain`` says what it costs, in the planner's words."""

    name: str
    build: Build
    explain: str

    @property
    def doc(self) -> str:
        """The term's docstring: its maths."""
        return (self.build.__doc__ or "").strip()


FAMILIES: dict[str, Family] = {}
TERMS: dict[str, Term] = {}


def family(name: str, *, explain: str, switch: bool = True, default: bool = True,
           elastic: bool = False, options: dict[str, tuple[bool, str]] | None = None
           ) -> Callable[[Build], Build]:
    """Register a constraint family (decorator)."""

    def deco(fn: Build) -> Build:
        if name in FAMILIES:
            raise ValueError(f"constraint family {name!r} registered twice")
        if not (fn.__doc__ or "").strip():
            raise ValueError(f"constraint family {name!r} needs its maths in a docstring")
        FAMILIES[name] = Family(name, fn, explain, switch, default, elastic, dict(options or {}))
        return fn

    return deco


def term(name: str, *, explain: str) -> Callable[[Build], Build]:
    """Register an objective term (decorator)."""

    def deco(fn: Build) -> Build:
        if name in TERMS:
            raise ValueError(f"objective term {name!r} registered twice")
        if not (fn.__doc__ or "").strip():
            raise ValueError(f"objective term {name!r} needs its maths in a docstring")
        TERMS[name] = Term(name, fn, explain)
        return fn

    return deco


def switches() -> dict[str, tuple[bool, str]]:
    """Every ``model.families`` switch: name → (default, description), in registry order."""
    out: dict[str, tuple[bool, str]] = {}
    for fam in FAMILIES.values():
        if fam.switch:
            out[fam.name] = (fam.default, fam.summary)
        out.update(fam.options)
    return out


def elastic_families() -> list[str]:
    """Families whose rows may give way in the infeasibility diagnosis."""
    return [f.name for f in FAMILIES.values() if f.elastic]
