"""The unit of a plan's objective, as its ``kpis.json`` states it.

The objective's unit depends on the model version that wrote a results folder: a folder
whose ``kpis.json`` has ``objective_unit`` (e.g. ``"DKK/yr"``) says so; an older folder has
weighted cost units without a name. The analyses (rollout, N-1) label every objective
difference they report through :func:`objective_unit`, never with a unit of their own.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

#: the label of an objective whose kpis.json names no unit
UNNAMED = "objective units"


def objective_unit(kpis: Mapping[str, Any] | None) -> str:
    """``kpis["objective_unit"]`` when it is a non-empty text, else ``"objective units"``."""
    unit = (kpis or {}).get("objective_unit")
    return unit.strip() if isinstance(unit, str) and unit.strip() else UNNAMED


def read_kpis(folder: Path | str | None) -> dict[str, Any]:
    """``folder/kpis.json`` as a dict; empty when there is no folder or no readable file."""
    if folder is None:
        return {}
    try:
        data = json.loads((Path(folder) / "kpis.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def common_unit(kpis: Iterable[Mapping[str, Any] | None]) -> str:
    """The unit of several plans' objectives compared with each other: theirs when they
    agree (plans without a named unit left out), else a text that says they differ."""
    units = {objective_unit(k) for k in kpis}
    named = units - {UNNAMED}
    if len(named) > 1:
        return "mixed units (" + ", ".join(sorted(named)) + ")"
    return named.pop() if named else UNNAMED
