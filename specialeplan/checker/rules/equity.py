"""Rule of equity (``model/families/equity.py``): the worst-off municipalities' mean family
travel within ``equity.limit_minutes``."""

from __future__ import annotations

from specialeplan.checker.report import Collector, g
from specialeplan.checker.rules.context import Context, rule


@rule("equity")
def _equity(x: Context, c: Collector) -> None:
    """The worst-off measure (max or CVaR of mean family travel per municipality) of every
    speciale ≤ equity.limit_minutes, when set."""
    limit = x.params.equity.limit_minutes
    if limit is None:
        return
    w = x.worst_off().rename("measure").rename_axis("function").reset_index()
    c.rule("equity", w, w["measure"] > limit + c.pt(limit) + 10 * c.tol, lambda r: (
        f"specialfunktion {r['function']}: the worst-off municipalities' mean family travel "
        f"{g(r['measure'])} minutes ({x.params.equity.measure}) exceeds "
        f"equity.limit_minutes {g(limit)}"))
