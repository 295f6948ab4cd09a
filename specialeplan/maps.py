"""Static maps of a results folder, drawn from its tables (never from solver objects).

One PNG per speciale: municipalities shaded by the mean family travel of their borgerforløb
(hatched where demand is unmet), specialfunktioner as circles sized by borgerforløb (a
diamond where they deliver by outreach, matrikelløst, in the citizen's home municipality),
rådgivningsfunktioner as stars, municipalities with help near the family as small squares.
Municipality outlines come from the bundled Denmark GeoJSON when the results use its codes;
otherwise municipalities are drawn as points.
"""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only; no display needed (CI, servers)
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.collections import PolyCollection  # noqa: E402

from specialeplan.errors import DataValidationError  # noqa: E402


def _polygons(codes: set[str]) -> dict[str, list[np.ndarray]] | None:
    """Outer rings per municipality code from the bundled GeoJSON, if it covers ``codes``."""
    from specialeplan.data.loader import bundled_dir

    path = bundled_dir() / "municipalities.geojson"
    if not path.is_file():
        return None
    features = json.loads(path.read_text(encoding="utf-8"))["features"]
    rings: dict[str, list[np.ndarray]] = {}
    for f in features:
        geom = f["geometry"]
        parts = geom["coordinates"] if geom["type"] == "MultiPolygon" else [geom["coordinates"]]
        rings[str(f["properties"]["code"])] = [np.asarray(p[0]) for p in parts]
    return rings if codes <= set(rings) else None


def _read(folder: Path, name: str) -> pd.DataFrame:
    path = folder / name
    if not path.is_file():
        raise DataValidationError("missing file (is this a results folder?)", file=str(path))
    return pd.read_csv(path, dtype={"municipality_code": str, "code": str})


def plot_speciale(folder: Path, speciale: str) -> plt.Figure:
    """The map of one speciale in a results folder."""
    munis = _read(folder, "instance/municipalities.csv")
    cov = _read(folder, "coverage.csv")
    des = _read(folder, "designations.csv")
    if speciale not in set(cov["speciale"]):
        raise DataValidationError(f"speciale {speciale!r} is not in this result",
                                  file=str(folder / "coverage.csv"), field="speciale")
    cov = cov[cov["speciale"] == speciale].set_index("municipality_code")
    des = des[des["speciale"] == speciale].merge(
        munis[["code", "lon", "lat"]], left_on="municipality_code", right_on="code")
    travel = cov["mean_travel_minutes"].reindex(munis["code"]).to_numpy(dtype=float)
    unmet = cov["unmet"].reindex(munis["code"]).fillna(0).to_numpy() > 1e-6

    fig, ax = plt.subplots(figsize=(8, 7))
    cmap = plt.get_cmap("viridis_r")
    vmax = max(float(np.nanmax(travel)) if np.isfinite(travel).any() else 1.0, 1.0)
    rings = _polygons(set(munis["code"]))
    colors = [cmap(t / vmax) if np.isfinite(t) else (0.85, 0.85, 0.85, 1) for t in travel]
    if rings is not None:
        for code, color, short in zip(munis["code"], colors, unmet, strict=True):
            ax.add_collection(PolyCollection(
                rings[code], facecolors=[color], edgecolors="white", linewidths=0.3,
                hatch="////" if short else None))
    else:
        ax.scatter(munis["lon"], munis["lat"], c=colors, s=40, edgecolors="grey")
    ax.autoscale_view()
    rng = np.random.default_rng(0)  # spread providers that share a municipality
    jitter = rng.normal(0, 0.03, size=(len(des), 2)) * (des.duplicated("code", keep=False)
                                                         .to_numpy()[:, None])
    sizes = 20 + 4 * des["cases"].to_numpy(dtype=float)
    adv = des["is_advisory"].astype(str).str.lower().isin(["true", "1"]).to_numpy()
    out = (des["outreach_cases"].to_numpy(dtype=float) > 1e-6 if "outreach_cases" in des
           else np.zeros(len(des), dtype=bool))
    lon, lat = des["lon"] + jitter[:, 0], des["lat"] + jitter[:, 1]
    ax.scatter(lon[~out], lat[~out], s=sizes[~out], c="tab:red", alpha=0.75,
               edgecolors="black", linewidths=0.5, label="specialfunktion")
    if out.any():
        ax.scatter(lon[out], lat[out], s=sizes[out], marker="D", c="tab:orange", alpha=0.75,
                   edgecolors="black", linewidths=0.5,
                   label="specialfunktion with outreach (matrikelløs)")
    near = (cov["near_family"] if "near_family" in cov else cov["demand"] * 0.0) > 1e-6
    if near.any():
        pts = munis.set_index("code").loc[near[near].index.intersection(munis["code"])]
        ax.scatter(pts["lon"], pts["lat"], marker="s", s=18, c="white", edgecolors="black",
                   linewidths=0.6, label="help near the family")
    if adv.any():
        ax.scatter(des.loc[adv, "lon"] + jitter[adv, 0], des.loc[adv, "lat"] + jitter[adv, 1],
                   marker="*", s=160, c="gold", edgecolors="black", linewidths=0.6,
                   label="rådgivningsfunktion")
    sm = plt.cm.ScalarMappable(cmap=cmap, norm=plt.Normalize(0, vmax))
    fig.colorbar(sm, ax=ax, shrink=0.6, label="mean family travel of borgerforløb (minutes)")
    served = float(cov["served"].sum())
    outreach = float(cov["outreach"].sum()) if "outreach" in cov else 0.0
    nf = float(cov["near_family"].sum()) if "near_family" in cov else 0.0
    ax.set_title(f"{speciale}: {len(des)} specialfunktioner, {int(adv.sum())} "
                 f"rådgivningsfunktioner\nserved {served:,.0f} of {cov['demand'].sum():,.0f} "
                 f"borgerforløb/year, {outreach:,.0f} of them by outreach\n{nf:,.0f} helped "
                 "near the family (hatched: unmet demand; grey: none served by a "
                 "specialfunktion)", fontsize=9)
    ax.set_xlabel("longitude")
    ax.set_ylabel("latitude")
    ax.set_aspect(1 / np.cos(np.radians(56)))
    ax.legend(loc="upper right", fontsize=8)
    fig.tight_layout()
    return fig


def write_maps(folder: Path, specialer: list[str] | None = None) -> list[Path]:
    """Write ``maps/<speciale>.png`` for the given (default: all) specialer."""
    if specialer is None:
        specialer = sorted(_read(folder, "coverage.csv")["speciale"].unique())
    out = folder / "maps"
    out.mkdir(exist_ok=True)
    written = []
    for s in specialer:
        fig = plot_speciale(folder, s)
        path = out / f"{s}.png"
        fig.savefig(path, dpi=110)
        plt.close(fig)
        written.append(path)
    return written
