"""What the checker reports: violations, grouped by the rule (family) they break."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

MAX_LINES_PER_FAMILY = 20


@dataclass
class Violation:
    """One broken rule, with the place it concerns (``None`` where not applicable)."""

    family: str
    message: str
    speciale: str | None = None
    municipality_code: str | None = None
    provider_id: str | None = None
    function: str | None = None  # the specialfunktion type, where the row has one


@dataclass
class CheckReport:
    """Outcome of :func:`check_results`: violations, the objective and the number of checks."""

    violations: list[Violation]
    objective_reported: float
    objective_recomputed: float
    terms: dict[str, float]
    n_checks: int
    skipped: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # solution quality (gap, unmet, reach)
    notes: list[str] = field(default_factory=list)  # what could not be verified, and why
    status: str | None = None  # kpis.json status
    has_solution: bool = True  # False: kpis.json says infeasible / no solution

    @property
    def ok(self) -> bool:
        """True when no rule is violated."""
        return not self.violations

    def families(self) -> dict[str, list[Violation]]:
        """Violations grouped by family, in order of first appearance."""
        out: dict[str, list[Violation]] = {}
        for v in self.violations:
            out.setdefault(v.family, []).append(v)
        return out

    def to_text(self, max_lines: int = MAX_LINES_PER_FAMILY) -> str:
        """Readable report: a summary line, the objective, then violations per family."""
        n_fam = len(self.families())
        head = (f"OK: {self.n_checks} checks passed" if self.ok else
                f"FAILED: {len(self.violations)} violation(s) in {n_fam} "
                f"{'family' if n_fam == 1 else 'families'} ({self.n_checks} checks)")
        if not self.has_solution:
            head = f"FAILED: no solution to check (status {self.status})"
        lines = [head]
        if self.has_solution:
            lines += [f"objective: reported {self.objective_reported:.10g}, "
                      f"recomputed {self.objective_recomputed:.10g}",
                      "terms: " + ", ".join(f"{k}={v:.10g}" for k, v in self.terms.items())]
        if self.skipped:
            lines.append("skipped (switched off): " + ", ".join(self.skipped))
        for family, items in self.families().items():
            lines.append(f"[{family}] {len(items)} violation(s)")
            lines.extend(f"  - {v.message}" for v in items[:max_lines])
            if len(items) > max_lines:
                lines.append(f"  ... and {len(items) - max_lines} more")
        lines.extend(f"warning: {w}" for w in self.warnings)
        return "\n".join(lines)


def _label(v: Any) -> str | None:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return None
    text = str(v)
    return text or None


def g(x: Any) -> str:
    """Short number format for messages."""
    try:
        return f"{float(x):.6g}"
    except (TypeError, ValueError):
        return str(x)


class Collector:
    """Accumulates violations and counts the individual checks performed."""

    def __init__(self, tol: float) -> None:
        self.tol = tol
        self.violations: list[Violation] = []
        self.n_checks = 0

    def pt(self, mag: Any) -> Any:
        """Tolerance for one value of magnitude ``mag``."""
        return self.tol * np.maximum(1.0, np.abs(mag))

    def sm(self, mag: Any, n: Any = 1) -> Any:
        """Lenient tolerance for a sum of ``n`` solver values of magnitude ``mag``."""
        return 10 * self.tol * np.maximum(1.0, np.abs(mag)) + self.tol * np.maximum(n, 1)

    def rule(self, family: str, df: pd.DataFrame, bad: pd.Series | np.ndarray,
             fmt: Callable[[dict[str, Any]], str]) -> None:
        """Count ``len(df)`` checks; add one violation per row of ``df[bad]``."""
        self.n_checks += len(df)
        mask = np.asarray(bad, dtype=bool)
        if not mask.any():
            return
        for rec in df[mask].to_dict("records"):
            self.add(family, fmt(rec), rec.get("speciale"), rec.get("municipality_code"),
                     rec.get("provider_id"), rec.get("function"))

    def add(self, family: str, message: str, speciale: Any = None,
            municipality_code: Any = None, provider_id: Any = None,
            function: Any = None) -> None:
        """Record one violation."""
        self.violations.append(Violation(family, message, _label(speciale),
                                         _label(municipality_code), _label(provider_id),
                                         _label(function)))

    def single(self, family: str, ok: bool, message: str, **where: Any) -> None:
        """One check; a violation when not ``ok``."""
        self.n_checks += 1
        if not ok:
            self.add(family, message, **where)
