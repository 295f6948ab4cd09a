"""Rules of continuity (``model/families/continuity.py``): moved cases and kept advisory
designations."""

from __future__ import annotations

from specialeplan.checker.report import Collector, g
from specialeplan.checker.rules.context import PS, Context, reported, rule


@rule("moved")
def _moved(x: Context, c: Collector) -> None:
    """Moved borgerforløb = Σ max(0, current_cases − Σ assigned) over competence rows;
    kpis.json's moved_cases (and per speciale) agree. Without ``families.allow_moves``
    today's residents stay: nothing is moved."""
    m = x.moved
    if not getattr(x.params.families, "allow_moves", True):
        c.rule("moved", m, m["moved"] > c.sm(m["current_cases"], m["n"].clip(lower=1)),
               lambda r: (f"provider {r['provider_id']}, specialfunktion {r['function']}: "
                          f"{g(r['moved'])} of its {g(r['current_cases'])} residents of today "
                          "are moved, but families.allow_moves is off (they stay)"))
    per = m.groupby("function")["moved"].sum()
    checks = [("moved_cases", ("moved_cases",), float(per.sum()))]
    checks += [(f"per_function.{s}.moved", ("per_function", s, "moved"),
                float(per.get(s, 0.0))) for s in x.sp["function"]]
    for label, path, value in checks:
        rep = reported(x.kpis, *path)
        if rep is not None:
            c.single("moved", abs(rep - value) <= c.sm(value, len(m)),
                     f"{label}: kpis.json reports {rep:.10g}, current_cases and assignments "
                     f"give {value:.10g}")


@rule("keep_advisory_today")
def _keep_advisory_today(x: Context, c: Collector) -> None:
    """With keep_advisory_today, every competence row with advisory_today is designated as a
    rådgivningsfunktion."""
    if not x.params.keep_advisory_today:
        return
    today = x.comp[x.comp["advisory_today"]][PS].merge(
        x.des[[*PS, "is_advisory"]], on=PS, how="left")
    c.rule("keep_advisory_today", today, today["is_advisory"].ne(True), lambda r: (
        f"provider {r['provider_id']}, specialfunktion {r['function']} is a rådgivningsfunktion "
        "today (advisory_today) and keep_advisory_today is on, but it is not one now"))
