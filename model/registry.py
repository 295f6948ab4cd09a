"""The family registry: every constraint family and objective term, defined once.

A constraint family is one function ``(data, builder) -> None`` decorated with
:func:`family`; an objective term is one function decorated with :func:`term`. The
decorator records, next to the function (whose docstring holds the maths):

- ``name``: the one name used everywhere — the scenario switch ``model.families.<name>``,
  row labels, ``infeasibility.csv``, the checker's rule and ``kpis.json``;
- ``explain``: the planner-facing sentence the infeasibility diagnosis prints;
- ``switch``/``default``: whether a scenario can switch it off (and its default);
- ``on``: for a switchable family, what switching it on does to the scenario —
  ``"restricts"`` (it adds rows or non-negative cost), ``"relaxes"`` (it adds ways to meet
  demand) or ``"changes"`` (neither: the re-solve must not reuse a bound across it);
- ``reads``: every scenario parameter the family reads besides its own switch, each with
  the kind of change that only restricts the scenario (:class:`Change`); ``{}`` when it reads
  none. :mod:`specialeplan.model.resolve` reuses an earlier bound only when every change
  between two scenarios is one of these;
- ``elastic``: whether its rows may give way in the diagnosis (hard rules only);
- ``options``: further boolean switches the family reads (e.g. ``allow_unmet``), each
  ``(default, description, on)``;
- ``unchecked``: why the independent checker has no rule of the family's name (None: it has
  one; ``tests/test_registry.py`` holds each family to one or the other).

Everything else reads this registry: :func:`specialeplan.model.build.build_problem` calls the
families in registration order, :mod:`specialeplan.model.params` makes the
``model.families`` switches from it, :mod:`specialeplan.model.diagnose` explains with it,
:mod:`specialeplan.model.resolve` classifies changes with it, the checker keys its rules by
the same names and :mod:`specialeplan.model.docs` writes ``docs/model.md`` from it. See
``docs/adding-a-family.md``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

Build = Callable[[Any, Any], None]  # (ModelData, ProblemBuilder) -> None


@dataclass(frozen=True)
class Change:
    """Which change of one scenario value only restricts the scenario (every plan of the new
    scenario is a plan of the old one, at no lower cost), written as a short phrase:

    - ``lower_limit``: a larger value restricts (unset = no limit), e.g. ``min_cases``;
    - ``upper_limit``: a smaller value restricts (unset = no limit), e.g. ``max_changes``;
      a mapping of limits (``limits``) key by key, a dropped key loosens;
    - ``radius``: a smaller value restricts and unset reaches nothing, e.g. ``reach_minutes``
      for the help near the family (no rådgivning reach, nobody to coach);
    - ``more``: a list to which entries were only added restricts, e.g. ``forbidden``;
    - ``same``: any change may loosen; only an unchanged value is a restriction;
    - ``any``: no change matters (a formulation of the same maths);
    - ``restricts`` / ``relaxes`` / ``changes``: a switch (boolean) whose turning on restricts
      / relaxes / may do either (``restricts`` is ``lower_limit`` on booleans).

    ``"<phrase> with <parameter>"`` (e.g. ``"same with keep_today"``) applies only while
    ``<parameter>`` is set (non-empty) in either scenario; otherwise the value does not
    matter to the family.
    """

    kind: str
    with_: str | None = None

    KINDS = {
        "lower_limit": "a lower limit: a larger value restricts",
        "upper_limit": "an upper limit: a smaller value restricts",
        "radius": "a radius: a smaller value restricts, unset reaches nothing",
        "more": "more entries restrict",
        "same": "must stay the same (any change may loosen)",
        "any": "may change (the same maths either way)",
        "restricts": "switching it on restricts",
        "relaxes": "switching it on relaxes",
        "changes": "switching it either way may loosen",
    }
    SWITCH = ("restricts", "relaxes", "changes")

    @classmethod
    def parse(cls, text: str | Change) -> Change:
        """``"upper_limit"`` or ``"same with keep_today"`` → a :class:`Change`."""
        if isinstance(text, Change):
            return text
        kind, _, rest = str(text).partition(" with ")
        kind = kind.strip()
        if kind not in cls.KINDS or (rest and not rest.strip().isidentifier()):
            raise ValueError(f"unknown change {text!r}: one of {', '.join(cls.KINDS)}, "
                             "optionally followed by ' with <parameter>'")
        return cls(kind, rest.strip() or None)

    def __str__(self) -> str:
        return self.kind + (f" with {self.with_}" if self.with_ else "")

    @property
    def text(self) -> str:
        """The phrase in words (for ``docs/model.md``)."""
        words = self.KINDS[self.kind]
        return words + (f" (only while `{self.with_}` is set)" if self.with_ else "")

    def restricts(self, old: Any, new: Any) -> bool:
        """Whether going from ``old`` to ``new`` only restricts (None/NaN = unset)."""
        kind = self.kind
        if kind == "any":
            return True
        if kind in ("same", "changes"):
            return _same(old, new)
        if kind == "more":
            return {_key(v) for v in old or ()} <= {_key(v) for v in new or ()}
        if isinstance(old, Mapping) or isinstance(new, Mapping):
            old, new = old or {}, new or {}
            return all(self.restricts(old.get(k), new.get(k)) for k in set(old) | set(new))
        larger = kind in ("lower_limit", "restricts")
        unset = -math.inf if larger or kind == "radius" else math.inf
        o, n = _number(old, unset), _number(new, unset)
        return n >= o if larger else n <= o


def _number(value: Any, unset: float) -> float:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return unset
    return float(value)


def _same(old: Any, new: Any) -> bool:
    if isinstance(old, float) and isinstance(new, float) and math.isnan(old) and math.isnan(new):
        return True
    return old == new


def _key(value: Any) -> Any:
    """A hashable form of a list entry (designations are dicts)."""
    if isinstance(value, Mapping):
        return tuple(sorted((k, _key(v)) for k, v in value.items()))
    return value


class Option(NamedTuple):
    """A further boolean switch a family reads (``model.families.<name>``)."""

    default: bool
    doc: str
    on: Change


@dataclass(frozen=True)
class Family:
    """One constraint family (see the module docstring)."""

    name: str
    build: Build
    explain: str
    switch: bool = True
    default: bool = True
    elastic: bool = False
    options: dict[str, Option] = field(default_factory=dict)
    on: Change | None = None
    reads: dict[str, Change] = field(default_factory=dict)
    unchecked: str | None = None

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


def family(name: str, *, explain: str, reads: Mapping[str, str | Change],
           on: str | Change | None = None, switch: bool = True, default: bool = True,
           elastic: bool = False,
           options: Mapping[str, tuple[bool, str, str | Change]] | None = None,
           unchecked: str | None = None) -> Callable[[Build], Build]:
    """Register a constraint family (decorator); the module docstring says what each
    argument records. A switchable family must say what switching it ``on`` does, and
    every option likewise; ``reads`` is required (``{}`` for none)."""

    def deco(fn: Build) -> Build:
        if name in FAMILIES:
            raise ValueError(f"constraint family {name!r} registered twice")
        if not (fn.__doc__ or "").strip():
            raise ValueError(f"constraint family {name!r} needs its maths in a docstring")
        FAMILIES[name] = Family(
            name, fn, explain, switch, default, elastic,
            options=_options(name, options or {}), on=_switch_effect(name, switch, on),
            reads=_reads(name, reads), unchecked=unchecked)
        return fn

    return deco


def _switch_effect(name: str, switch: bool, on: str | Change | None) -> Change | None:
    if not switch:
        if on is not None:
            raise ValueError(f"constraint family {name!r} is always on (switch=False): it "
                             "takes no on=")
        return None
    if on is None:
        raise ValueError(f"constraint family {name!r} can be switched off: say what "
                         "switching it on does, on='restricts', 'relaxes' or 'changes' (the "
                         "re-solve reuses an earlier bound only across restrictions)")
    return _switch_change(f"constraint family {name!r}", on)


def _switch_change(who: str, on: str | Change) -> Change:
    change = Change.parse(on)
    if change.kind not in Change.SWITCH or change.with_:
        raise ValueError(f"{who}: on={str(on)!r} must be one of {', '.join(Change.SWITCH)}")
    return change


def _options(name: str, options: Mapping[str, tuple]) -> dict[str, Option]:
    out = {}
    for opt, spec in options.items():
        if len(spec) != 3:
            raise ValueError(f"constraint family {name!r}, option {opt!r}: give (default, "
                             "description, on), on = 'restricts', 'relaxes' or 'changes'")
        default, doc, on = spec
        out[opt] = Option(bool(default), doc, _switch_change(f"option {opt!r}", on))
    return out


def _reads(name: str, reads: Mapping[str, str | Change]) -> dict[str, Change]:
    if reads is None or not isinstance(reads, Mapping):
        raise ValueError(f"constraint family {name!r}: reads= maps each scenario parameter it "
                         "reads to the change that only restricts ({} for none)")
    if f"families.{name}" in reads:
        raise ValueError(f"constraint family {name!r}: its own switch is on=, not reads=")
    return {key: Change.parse(value) for key, value in reads.items()}


def term(name: str, *, explain: str) -> Callable[[Build], Build]:
    """Register an objective term (decorator). Its weight is ``model.weights.<name>`` and
    its value must be non-negative (a larger weight then only restricts)."""

    def deco(fn: Build) -> Build:
        if name in TERMS:
            raise ValueError(f"objective term {name!r} registered twice")
        if not (fn.__doc__ or "").strip():
            raise ValueError(f"objective term {name!r} needs its maths in a docstring")
        TERMS[name] = Term(name, fn, explain)
        return fn

    return deco


def unregister_family(name: str) -> None:
    """Remove a family registered at run time (a test's throwaway family)."""
    del FAMILIES[name]


def unregister_term(name: str) -> None:
    """Remove an objective term registered at run time (a test's throwaway term)."""
    del TERMS[name]


def switches() -> dict[str, tuple[bool, str]]:
    """Every ``model.families`` switch: name → (default, description), in registry order."""
    out: dict[str, tuple[bool, str]] = {}
    for fam in FAMILIES.values():
        if fam.switch:
            out[fam.name] = (fam.default, fam.summary)
        out.update({k: (o.default, o.doc) for k, o in fam.options.items()})
    return out


def elastic_families() -> list[str]:
    """Families whose rows may give way in the infeasibility diagnosis."""
    return [f.name for f in FAMILIES.values() if f.elastic]
