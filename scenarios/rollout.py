"""The ``rollout:`` section of a scenario: which specialer are planned in which year.

The specialeplan is rolled out gradually: "startende med fem specialer og nye årligt, indtil
hele det specialiserede socialområde er omfattet af specialeplanlægning i 2030" ("Et liv med
ligeværdige muligheder", 2022, initiative 1; figure 5 shows 5 + 5 + 5 + 5 specialer).
``specialeplan rollout`` (:mod:`specialeplan.analyses.rollout`) plans the waves in order, each with
the earlier waves' specialfunktioner in place.

Written in a scenario as year → new specialer, with optional demand growth per year::

    rollout:
      2027: [misbrug, autisme]
      2028: [epilepsi]
      demand_growth: 1.02            # per year, on every speciale
      growth_per_speciale: {autisme: 1.04}
      base_year: 2026                # the dataset's demand is this year's (default: the
                                     # first wave's year)
      notice_weeks: 14               # notice before today's borgerforløb are moved

(``waves: {2027: [...], ...}`` is the same.) Unknown keys are errors.
"""

from __future__ import annotations

import math
from datetime import date, timedelta
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Rate = Annotated[float, Field(gt=0, lt=100, allow_inf_nan=False)]
Year = Annotated[int, Field(ge=1900, le=2200)]
#: weeks of notice: a number (not a bool or text), 0 to 520 (ten years)
Weeks = Annotated[float, Field(ge=0, le=520, strict=True, allow_inf_nan=False)]

#: Boks 7 of the source ("Et liv med ligeværdige muligheder"): help in a længerevarende
#: botilbud is reduced or ended only with at least 14 weeks' notice
NOTICE_WEEKS = 14.0


class Rollout(BaseModel):
    """Waves of a phased rollout (module docstring)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    waves: dict[Year, list[str]] = Field(
        ..., description="year -> the specialer that enter the plan that year")
    demand_growth: Rate = Field(
        1.0, description="demand multiplier per year on every speciale (1.02 = +2 % a year), "
        "compounded from base_year, on top of the scenario's own growth factors")
    growth_per_speciale: dict[str, Rate] = Field(
        default_factory=dict, description="per-year multiplier for single specialer "
        "(replaces demand_growth for them)")
    base_year: Year | None = Field(
        None, description="the year whose demand the dataset holds (default: the first "
        "wave's year, so the first wave plans today's demand)")
    reopen_earlier: bool = Field(
        False, description="let a later wave designate new specialfunktioner in an earlier "
        "wave's specialer (default: an earlier wave's specialer keep exactly their "
        "specialfunktioner; their grown demand is served by them)")
    notice_weeks: Weeks = Field(
        NOTICE_WEEKS, description="weeks of notice before a borgerforløb of today's caseload "
        "is moved, 0 to 520: a wave decided on 1 January of its year moves no one before 1 "
        "January + notice_weeks (timeline.csv: decided, moves_effective_from). Default 14: "
        "Boks 7 of the source requires at least 14 weeks' notice before help in a "
        "længerevarende botilbud is reduced or ended")

    @model_validator(mode="before")
    @classmethod
    def _years_as_keys(cls, data: Any) -> Any:
        """``{2027: [...], demand_growth: ...}``: year keys are the waves."""
        if not isinstance(data, dict):
            return data
        years = {k: v for k, v in data.items() if isinstance(k, int)
                 or (isinstance(k, str) and k.strip().isdigit())}
        if not years:
            return data
        if "waves" in data:
            raise ValueError("give the waves either as year keys or under 'waves', not both")
        rest = {k: v for k, v in data.items() if k not in years}
        return {**rest, "waves": {int(k): v for k, v in years.items()}}

    @field_validator("waves")
    @classmethod
    def _waves(cls, waves: dict[int, list[str]]) -> dict[int, list[str]]:
        if not waves:
            raise ValueError("lists no wave; give at least one year with its specialer")
        seen: dict[str, int] = {}
        for year in sorted(waves):
            specs = waves[year]
            if not specs:
                raise ValueError(f"wave {year} lists no speciale")
            for s in specs:
                if s in seen:
                    raise ValueError(f"speciale {s!r} is in wave {seen[s]} and wave {year}")
                seen[s] = year
        return dict(sorted(waves.items()))

    @model_validator(mode="after")
    def _base_year(self) -> Rollout:
        first = min(self.waves)
        if self.base_year is not None and self.base_year > first:
            raise ValueError(f"base_year {self.base_year} is after the first wave ({first})")
        unknown = sorted(set(self.growth_per_speciale) - {s for w in self.waves.values()
                                                           for s in w})
        if unknown:
            raise ValueError(f"growth_per_speciale names {unknown[0]!r}, which is in no wave")
        return self

    @property
    def years(self) -> list[int]:
        """The wave years, in order."""
        return list(self.waves)

    @property
    def specialer(self) -> list[str]:
        """Every speciale of every wave, in rollout order."""
        return [s for w in self.waves.values() for s in w]

    def growth(self, speciale: str, year: int) -> float:
        """The rollout's demand multiplier for ``speciale`` in ``year`` (1 in the base
        year)."""
        base = self.base_year if self.base_year is not None else min(self.waves)
        rate = self.growth_per_speciale.get(speciale, self.demand_growth)
        return float(rate ** (year - base))

    def decided(self, year: int) -> date:
        """The decision date of the wave of ``year``: 1 January of that year (the schema
        has no date of its own)."""
        return date(year, 1, 1)

    def moves_effective_from(self, decided: date) -> date:
        """The first day a borgerforløb of today's caseload may be moved by a plan decided
        on ``decided``: ``notice_weeks`` later (whole days, rounded up)."""
        return decided + timedelta(days=math.ceil(self.notice_weeks * 7 - 1e-9))
