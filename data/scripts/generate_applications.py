"""Generate the SYNTHETIC ``applications.csv`` of the bundled Denmark dataset.

Seed 002: «Specialfunktionerne godkendes af socialtilsynet efter ansøgning» — providers apply
to become a specialfunktion. No such register exists yet, so the bundled one is drawn from
``competence.csv`` and the waves of ``specialer.csv`` (``numpy.random.default_rng(SEED)``,
fixed order: a re-run reproduces the committed file byte for byte)::

    python data/scripts/generate_applications.py              # into data/denmark/
    python data/scripts/generate_applications.py --out /tmp/x

The draw (ASSUMPTIONS, illustrative only):

- a provider that is a specialfunktion of the type today applies with probability
  :data:`P_TODAY`, a competent one that is not with :data:`P_OTHER`;
- it offers a share U(:data:`OFFER_LOW`, 1) of its ``max_cases`` (at least one place);
- it applies from the year of its type's first wave (``wave`` 1 = 2027, ...); a share
  :data:`P_LATER` of the new applicants only :data:`LATER_YEARS` years later.

``model.mode: applications`` reads it (``scenarios/applications.yaml``).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

SEED = 20261207
P_TODAY = 0.8
P_OTHER = 0.25
OFFER_LOW = 0.6
P_LATER = 0.25
LATER_YEARS = 2
FIRST_WAVE_YEAR = 2026  # wave w applies from FIRST_WAVE_YEAR + w
DENMARK = Path(__file__).resolve().parents[1] / "denmark"


def draw(competence: pd.DataFrame, functions: pd.DataFrame,
         specialer: pd.DataFrame) -> pd.DataFrame:
    """The applications (module docstring), sorted by function and provider."""
    rng = np.random.default_rng(SEED)
    wave = specialer.set_index("speciale")["wave"].astype(int)
    first = {f: min(wave[s] for s in str(text).split(";"))
             for f, text in zip(functions["function"], functions["specialer"], strict=True)}
    comp = competence[competence["max_cases"] > 0].sort_values(
        ["function", "provider_id"]).reset_index(drop=True)
    today = comp["designated_today"].astype(int).to_numpy() == 1
    u = rng.random(len(comp))
    applies = np.where(today, u < P_TODAY, u < P_OTHER)
    share = rng.uniform(OFFER_LOW, 1.0, len(comp))
    later = (rng.random(len(comp)) < P_LATER) & ~today
    out = comp[applies][["provider_id", "function"]].copy()
    places = np.maximum(1, np.floor(comp["max_cases"].to_numpy(dtype=float) * share))
    out["places"] = places[applies].astype(int)
    year = comp["function"].map(first).to_numpy(dtype=int) + FIRST_WAVE_YEAR
    out["from_year"] = (year + np.where(later, LATER_YEARS, 0))[applies]
    return out.reset_index(drop=True)


def generate(out: Path, source: Path = DENMARK) -> Path:
    """Draw from the tables in ``source`` and write ``out/applications.csv``."""
    table = draw(pd.read_csv(source / "competence.csv"), pd.read_csv(source / "functions.csv"),
                 pd.read_csv(source / "specialer.csv"))
    out.mkdir(parents=True, exist_ok=True)
    table.to_csv(out / "applications.csv", index=False)
    return out / "applications.csv"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DENMARK)
    args = parser.parse_args()
    path = generate(args.out)
    print(f"wrote {len(pd.read_csv(path))} applications to {path}")


if __name__ == "__main__":
    main()
