"""Compute ``data/denmark/adjacency.csv`` (land-adjacent municipality pairs) from the GeoJSON.

Run once after the boundaries change::

    python data/scripts/make_adjacency.py            # writes data/denmark/adjacency.csv

Two municipalities are land neighbours when their boundary polygons come within
``BUFFER_DEG`` (0.0005 degree, ~30-55 m) of each other. The shared coverage was simplified as
one, so neighbours share identical edges; the buffer only guards against rounding. The data
README states that any buffer from 0 to 0.002 degree gives the same 186 pairs.

shapely is needed here only; it is deliberately *not* a runtime dependency of the package,
which reads the committed CSV.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pandas as pd
from shapely import STRtree
from shapely.geometry import shape

BUFFER_DEG = 0.0005
DENMARK = Path(__file__).resolve().parents[1] / "denmark"


def adjacency_pairs(geojson: Path, buffer_deg: float = BUFFER_DEG) -> pd.DataFrame:
    """All unordered pairs (from_code < to_code) whose polygons lie within ``buffer_deg``."""
    with open(geojson, encoding="utf-8") as fh:
        features = json.load(fh)["features"]
    codes = [str(f["properties"]["code"]) for f in features]
    geoms = [shape(f["geometry"]) for f in features]
    tree = STRtree(geoms)
    # the spatial index prunes the 98*97/2 candidate pairs to the few that are close
    left, right = tree.query(geoms, predicate="dwithin", distance=buffer_deg)
    pairs = pd.DataFrame({"a": [codes[i] for i in left], "b": [codes[j] for j in right]})
    pairs = pairs[pairs["a"] < pairs["b"]].rename(columns={"a": "from_code", "b": "to_code"})
    return pairs.drop_duplicates().sort_values(["from_code", "to_code"]).reset_index(drop=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--geojson", type=Path, default=DENMARK / "municipalities.geojson")
    parser.add_argument("--out", type=Path, default=DENMARK / "adjacency.csv")
    args = parser.parse_args()
    pairs = adjacency_pairs(args.geojson)
    pairs.to_csv(args.out, index=False, lineterminator="\n")
    print(f"wrote {len(pairs)} land-adjacent pairs to {args.out}")


if __name__ == "__main__":
    main()
