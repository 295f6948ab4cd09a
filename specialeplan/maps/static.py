"""Static maps of results folders, drawn from their tables (never from solver objects).

One PNG per speciale (:func:`plot_speciale`): municipalities shaded by the mean family travel
of their borgerforløb on a capped colour scale (the few islands with long ferry trips, such
as Læsø and Bornholm, would otherwise wash out the rest; municipalities above the cap get the
darkest colour and the colour bar says ``≥``), hatched where demand is unmet;
specialfunktioner as circles sized by borgerforløb (a size legend says how many), diamonds
where they deliver by outreach (matrikelløst), each labelled with its provider's name;
rådgivningsfunktioner as stars; municipalities with help near the family as small squares.
Bornholm is drawn in a box north-east of Sjælland, as on Danish maps. Also a difference
map of two results folders (:func:`plot_difference`), a vulnerability map
(:func:`plot_vulnerability`: specialfunktioner coloured by the damage their closure does) and
a necessity map of a search for alternatives (:func:`plot_necessity`,
``maps/necessity_<speciale>.png``: per speciale, each provider of ``necessity.csv`` coloured
by whether the plans within the slack always, sometimes or never have it, the best plan's
specialfunktioner filled, the other candidates hollow).

The functions return :class:`matplotlib.figure.Figure` objects and never touch pyplot or
the global backend, so they are safe in servers and threads and display inline in Jupyter
(a :class:`MapFigure` shows itself as a PNG).
"""

from __future__ import annotations

import io
import json
import math
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.collections import PolyCollection
from matplotlib.colors import BoundaryNorm, Normalize, TwoSlopeNorm
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle
from matplotlib.patheffects import withStroke

from specialeplan.errors import DataValidationError
from specialeplan.model.instance import split_list
from specialeplan.results.contract import NECESSITY_MAP_CLASS

#: Bornholm (and Christiansø) east of this longitude are drawn moved by BORNHOLM_SHIFT
BORNHOLM_LON = 14.4
BORNHOLM_SHIFT = (-2.35, 1.45)
#: the colour scale stops at this quantile of the municipalities' values (then ``≥``)
CAP_QUANTILE = 0.9
GREY = (0.85, 0.85, 0.85, 1.0)
LOST = (0.45, 0.45, 0.45, 1.0)  # difference map: served in A, nobody served in B
NO_SOLUTION = "black"  # vulnerability map: no plan without this specialfunktion
FIGSIZE = (9.6, 7.4)
MAP_AXES = (0.0, 0.02, 0.74, 0.86)  # the map; right of it the colour bar and the legend
BAR_AXES = (0.775, 0.50, 0.02, 0.36)
LEGEND_AT = (0.755, 0.04)  # lower left corner of the symbol legend, figure coordinates


def _legend(fig: Figure, handles: list) -> None:
    fig.legend(handles=handles, loc="lower left", bbox_to_anchor=LEGEND_AT, fontsize=7,
               frameon=False, handlelength=1.6)


class MapFigure(Figure):
    """A matplotlib figure that Jupyter shows as a PNG without pyplot."""

    def _repr_png_(self) -> bytes:
        buf = io.BytesIO()
        self.savefig(buf, format="png", dpi=90)
        return buf.getvalue()


# ----------------------------------------------------------------------- reading
def _read(folder: Path, name: str) -> pd.DataFrame:
    path = Path(folder) / name
    if not path.is_file():
        raise DataValidationError("missing file (is this a results folder?)", file=str(path))
    return pd.read_csv(path, dtype={"municipality_code": str, "code": str})


@lru_cache(maxsize=1)
def _bundled_rings() -> dict[str, list[np.ndarray]]:
    from specialeplan.data.loader import bundled_dir

    path = bundled_dir() / "municipalities.geojson"
    if not path.is_file():
        return {}
    rings: dict[str, list[np.ndarray]] = {}
    for f in json.loads(path.read_text(encoding="utf-8"))["features"]:
        geom = f["geometry"]
        parts = geom["coordinates"] if geom["type"] == "MultiPolygon" else [geom["coordinates"]]
        rings[str(f["properties"]["code"])] = [np.asarray(p[0], dtype=float) for p in parts]
    return rings


def municipality_rings(codes: set[str]) -> dict[str, list[np.ndarray]] | None:
    """Outer rings (lon, lat) per municipality code from the bundled GeoJSON, if it covers
    ``codes`` (else None: the results use another dataset)."""
    rings = _bundled_rings()
    return rings if rings and codes <= set(rings) else None


def _shift(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Bornholm moved into its box (module docstring)."""
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    east = lon > BORNHOLM_LON
    return (np.where(east, lon + BORNHOLM_SHIFT[0], lon),
            np.where(east, lat + BORNHOLM_SHIFT[1], lat))


def _shift_ring(ring: np.ndarray) -> np.ndarray:
    if ring[:, 0].mean() <= BORNHOLM_LON:
        return ring
    return ring + np.asarray(BORNHOLM_SHIFT)


# ----------------------------------------------------------------------- drawing helpers
def nice_cap(values: np.ndarray, quantile: float = CAP_QUANTILE, floor: float = 10.0
             ) -> tuple[float, bool]:
    """The top of a colour scale: the ``quantile`` of the finite values rounded up to a
    round number (at least ``floor``), and whether some values lie above it."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if not v.size:
        return floor, False
    q = float(np.quantile(v, quantile))
    step = 10 ** math.floor(math.log10(max(q, floor))) / 2
    cap = max(floor, math.ceil(q / step) * step)
    return cap, bool((v > cap + 1e-9).any())


def _base_map(ax, munis: pd.DataFrame, colors: list, hatches: list[str | None] | None = None,
              ) -> bool:  # noqa: ANN001 - a matplotlib Axes
    """Municipality shapes (or points) in ``colors``, shapes hatched by ``hatches`` (one per
    municipality, None: plain); returns whether shapes were drawn."""
    rings = municipality_rings(set(munis["code"]))
    if rings is not None:
        moved = False
        for i, code in enumerate(munis["code"]):
            ax.add_collection(PolyCollection(
                [_shift_ring(r) for r in rings[code]], facecolors=[colors[i]],
                edgecolors="white", linewidths=0.3,
                hatch=hatches[i] if hatches is not None else None))
            moved |= any(r[:, 0].mean() > BORNHOLM_LON for r in rings[code])
        if moved:
            x0, y0 = BORNHOLM_LON + BORNHOLM_SHIFT[0] - 0.08, 54.95 + BORNHOLM_SHIFT[1] - 0.08
            ax.add_patch(Rectangle((x0, y0), 0.95, 0.45, fill=False, lw=0.6, ec="0.45"))
            ax.text(x0 + 0.03, y0 + 0.41, "Bornholm", fontsize=6, color="0.35", va="top")
    else:
        lon, lat = _shift(munis["lon"], munis["lat"])
        ax.scatter(lon, lat, c=colors, s=40, edgecolors="grey")
    ax.autoscale_view()
    ax.set_aspect(1 / np.cos(np.radians(56)))
    ax.set_xticks([])
    ax.set_yticks([])
    for side in ax.spines.values():
        side.set_visible(False)
    return rings is not None


def _spread(des: pd.DataFrame, *, move_bornholm: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Marker positions: the provider's municipality, providers sharing one spread on a
    small circle around it (deterministic); Bornholm in its box unless ``move_bornholm`` is
    False (a web map has room for it)."""
    if move_bornholm:
        lon, lat = _shift(des["lon"], des["lat"])
    else:
        lon, lat = des["lon"].to_numpy(dtype=float), des["lat"].to_numpy(dtype=float)
    lon, lat = lon.copy(), lat.copy()
    for _, idx in des.groupby("municipality_code").indices.items():
        if len(idx) > 1:
            ang = 2 * np.pi * np.arange(len(idx)) / len(idx)
            r = 0.045 + 0.006 * len(idx)
            lon[idx] += r * np.cos(ang) / np.cos(np.radians(56))
            lat[idx] += r * np.sin(ang)
    return lon, lat


def marker_size(cases: np.ndarray | float) -> np.ndarray:
    """Marker area (points²) for a number of borgerforløb: area grows with the number."""
    return 10 + 2.2 * np.asarray(cases, dtype=float)


def _size_legend(ax, cases: np.ndarray, loc: str = "lower left",  # noqa: ANN001
                 title: str = "borgerforløb/year") -> None:
    """A legend of three circle sizes spanning the specialfunktioner's borgerforløb."""
    c = np.asarray(cases, dtype=float)
    c = c[c > 0]
    if not c.size:
        return
    ref = sorted({_round(v) for v in (np.quantile(c, 0.1), np.median(c), c.max())})
    handles = [Line2D([], [], ls="", marker="o", markersize=math.sqrt(marker_size(v)),
                      mfc="none", mec="0.25", label=f"{v:g}") for v in ref if v > 0]
    leg = ax.legend(handles=handles, title=title, loc=loc, fontsize=7,
                    title_fontsize=7, frameon=True, labelspacing=1.3, borderpad=0.9,
                    handletextpad=1.2)
    ax.add_artist(leg)


def _round(v: float) -> float:
    if v <= 0:
        return 0.0
    mag = 10 ** math.floor(math.log10(v))
    return float(round(v / mag) * mag) if v >= 10 else float(max(1, round(v)))


def _round_up(v: float) -> float:
    """``v`` rounded up to a half step of its magnitude (1490 → 1500, 7.2 → 8); 1 for
    ``v`` ≤ 0."""
    if v <= 0:
        return 1.0
    step = 10 ** math.floor(math.log10(v)) / (2 if v >= 10 else 1)
    return float(math.ceil(v / step - 1e-9) * step)


def _labels(fig: Figure, ax, xs: np.ndarray, ys: np.ndarray, texts: list[str],  # noqa: ANN001
            sizes: np.ndarray) -> None:
    """Name labels next to markers, placed greedily where they overlap nothing placed
    before (eight positions around each marker, the least crowded one otherwise)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(fig)
    renderer = canvas.get_renderer()
    fig.draw_without_rendering()
    taken = []
    for x, y, s in zip(xs, ys, sizes, strict=True):
        px, py = ax.transData.transform((x, y))
        r = math.sqrt(s) / 2 * fig.dpi / 72
        taken.append((px - r, py - r, px + r, py + r))
    order = np.argsort(-np.asarray(sizes))
    for i in order:
        r = math.sqrt(sizes[i]) / 2 + 1.5
        best, best_overlap = None, math.inf
        for dx, dy, ha, va in ((r, r, "left", "bottom"), (r, -r, "left", "top"),
                               (-r, r, "right", "bottom"), (-r, -r, "right", "top"),
                               (r + 1, 0, "left", "center"), (-r - 1, 0, "right", "center"),
                               (0, r + 1, "center", "bottom"), (0, -r - 1, "center", "top")):
            t = ax.annotate(texts[i], (xs[i], ys[i]), xytext=(dx, dy),
                            textcoords="offset points", ha=ha, va=va, fontsize=5.2,
                            color="0.1", path_effects=[withStroke(linewidth=1.6,
                                                                  foreground="white")])
            bb = t.get_window_extent(renderer)
            box = (bb.x0, bb.y0, bb.x1, bb.y1)
            overlap = sum(_area(box, o) for o in taken)
            if overlap < best_overlap:
                if best is not None:
                    best[0].remove()
                best, best_overlap = (t, box), overlap
            else:
                t.remove()
            if overlap == 0:
                break
        if best is not None:
            taken.append(best[1])


def _area(a: tuple, b: tuple) -> float:
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    return max(w, 0.0) * max(h, 0.0)


def _is_true(s: pd.Series) -> np.ndarray:
    return s.astype(str).str.lower().isin(["true", "1", "1.0"]).to_numpy()


# ----------------------------------------------------------------------- one speciale
def _taxonomy(folder: Path) -> dict[str, list[str]]:
    """Speciale → its planned functions in a results folder (instance/functions.csv; a folder
    before issue 22 has one function per speciale of the same id)."""
    path = folder / "instance" / "functions.csv"
    if not path.is_file():
        return {f: [f] for f in _read(folder, "coverage.csv")["function"].unique()}
    out: dict[str, list[str]] = {}
    for f, text in pd.read_csv(path, dtype=str)[["function", "specialer"]].itertuples(
            index=False):
        for sp in split_list(text):
            out.setdefault(sp, []).append(f)
    return out


def functions_of(folder: Path, name: str) -> list[str]:
    """The functions a map of ``name`` shows: the function itself, or every planned function
    of the speciale ``name`` (the roll-up). :class:`DataValidationError` when neither."""
    planned = set(_read(folder, "coverage.csv")["function"])
    if name in planned:
        return [name]
    fns = [f for f in _taxonomy(folder).get(name, []) if f in planned]
    if not fns:
        raise DataValidationError(f"speciale or specialfunktion {name!r} is not in this result",
                                  file=str(folder / "coverage.csv"), field="function")
    return fns


def coverage_of(folder: Path, functions: list[str]) -> pd.DataFrame:
    """coverage.csv of ``functions`` per municipality (index): counts summed over them, mean
    family travel weighted by the borgerforløb served."""
    cov = _read(folder, "coverage.csv")
    cov = cov[cov["function"].isin(functions)]
    t = cov["mean_travel_minutes"].astype(float)
    w = cov["served"].astype(float).where(t.notna(), 0.0)
    cols = [c for c in ("demand", "served", "outreach", "near_family", "unmet") if c in cov]
    agg = cov.assign(_tx=(t.fillna(0.0) * w), _w=w).groupby("municipality_code")[
        [*cols, "_tx", "_w"]].sum()
    agg["mean_travel_minutes"] = (agg["_tx"] / agg["_w"]).where(agg["_w"] > 0)
    return agg.drop(columns=["_tx", "_w"])


def plot_speciale(folder: Path | str, speciale: str, *, labels: bool = True,
                  cap_quantile: float = CAP_QUANTILE) -> MapFigure:
    """The map of one specialfunktion type, or of a speciale with all its types, in a
    results folder (module docstring)."""
    folder = Path(folder)
    munis = _read(folder, "instance/municipalities.csv")
    functions = functions_of(folder, speciale)
    cov = coverage_of(folder, functions)
    des = _read(folder, "designations.csv")
    prov = _read(folder, "instance/providers.csv").set_index("provider_id")
    des = des[des["function"].isin(functions)].merge(
        munis[["code", "lon", "lat"]], left_on="municipality_code", right_on="code")
    travel = cov["mean_travel_minutes"].reindex(munis["code"]).to_numpy(dtype=float)
    unmet = cov["unmet"].reindex(munis["code"]).fillna(0).to_numpy() > 1e-6

    fig = MapFigure(figsize=FIGSIZE)
    ax = fig.add_axes(MAP_AXES)
    cmap = colormaps["viridis_r"]
    cap, above = nice_cap(travel, cap_quantile)
    norm = Normalize(0, cap)
    colors = [cmap(norm(min(t, cap))) if np.isfinite(t) else GREY for t in travel]
    _base_map(ax, munis, colors, ["////" if u else None for u in unmet])
    lon, lat = _spread(des)
    cases = des["cases"].to_numpy(dtype=float)
    sizes = marker_size(cases)
    adv = _is_true(des["is_advisory"])
    out = (des["outreach_cases"].to_numpy(dtype=float) > 1e-6 if "outreach_cases" in des
           else np.zeros(len(des), dtype=bool))
    ax.scatter(lon[~out], lat[~out], s=sizes[~out], c="tab:red", alpha=0.8,
               edgecolors="black", linewidths=0.5, zorder=3)
    ax.scatter(lon[out], lat[out], s=sizes[out], marker="D", c="tab:orange", alpha=0.8,
               edgecolors="black", linewidths=0.5, zorder=3)
    near = (cov["near_family"] if "near_family" in cov else cov["demand"] * 0.0) > 1e-6
    if near.any():
        pts = munis.set_index("code").loc[near[near].index.intersection(munis["code"])]
        nx_, ny_ = _shift(pts["lon"], pts["lat"])
        ax.scatter(nx_, ny_, marker="s", s=14, c="white", edgecolors="black",
                   linewidths=0.6, zorder=3)
    if adv.any():
        ax.scatter(lon[adv], lat[adv], marker="*", s=150, c="gold", edgecolors="black",
                   linewidths=0.6, zorder=4)
    _size_legend(ax, cases)
    handles = [Line2D([], [], ls="", marker="o", ms=7, mfc="tab:red", mec="black",
                      label="specialfunktion"),
               Line2D([], [], ls="", marker="D", ms=6, mfc="tab:orange", mec="black",
                      label="specialfunktion with outreach\n(matrikelløs)"),
               Line2D([], [], ls="", marker="*", ms=11, mfc="gold", mec="black",
                      label="rådgivningsfunktion"),
               Line2D([], [], ls="", marker="s", ms=5, mfc="white", mec="black",
                      label="help near the family"),
               Patch(fc=GREY, ec="white", label="no borgerforløb at a\nspecialfunktion"),
               Patch(fc="white", ec="0.3", hatch="////", label="unmet demand")]
    _legend(fig, handles)
    if labels and len(des):
        names = [str(prov["name"].get(p, p))[:24] for p in des["provider_id"]]
        _labels(fig, ax, lon, lat, names, sizes)
    _capped_colorbar(fig, cmap, cap, above,
                     "mean family travel per borgerforløb (minutes)")
    served = float(cov["served"].sum())
    outreach = float(cov["outreach"].sum()) if "outreach" in cov else 0.0
    nf = float(cov["near_family"].sum()) if "near_family" in cov else 0.0
    what = speciale if functions == [speciale] else (
        f"speciale {speciale} ({len(functions)} specialfunktion types)")
    fig.suptitle(f"{what}: {len(des)} specialfunktioner, {int(adv.sum())} "
                 f"rådgivningsfunktioner", fontsize=11, x=0.45, y=0.975)
    fig.text(0.45, 0.925, f"served {served:,.0f} of {cov['demand'].sum():,.0f} borgerforløb/"
             f"year ({outreach:,.0f} by outreach), {nf:,.0f} helped near the family, "
             f"{cov['unmet'].sum():,.0f} unmet", ha="center", fontsize=8, color="0.25")
    return fig


def _capped_colorbar(fig: Figure, cmap, cap: float, above: bool,  # noqa: ANN001
                     label: str):  # noqa: ANN202 - a matplotlib Colorbar
    """The colour bar of a scale from 0 to ``cap``; with values ``above`` it, the cap is
    always a tick, labelled ``≥ cap`` (the locator's ticks need not include it), and the
    ticks just below it are dropped so the labels do not overlap."""
    cb = fig.colorbar(_mappable(cmap, Normalize(0, cap)), cax=fig.add_axes(BAR_AXES),
                      extend="max" if above else "neither")
    cb.set_label(label, fontsize=8)
    if above:
        ticks = [float(t) for t in cb.get_ticks() if t < 0.92 * cap] + [cap]
        cb.set_ticks(ticks)
        cb.set_ticklabels([f"{t:g}" for t in ticks[:-1]] + [f"≥ {cap:g}"])
    cb.ax.tick_params(labelsize=7)
    return cb


def _mappable(cmap, norm):  # noqa: ANN001, ANN202 - matplotlib objects
    from matplotlib.cm import ScalarMappable

    return ScalarMappable(norm=norm, cmap=cmap)


def map_targets(folder: Path, specialer: list[str] | None) -> tuple[Path, list[str]]:
    """The ``maps/`` folder of a results folder (created) and what to draw (default: every
    function in its coverage.csv, and every speciale that rolls up more than one function or
    another id)."""
    if specialer is None:
        functions = sorted(_read(folder, "coverage.csv")["function"].unique())
        rollups = sorted(sp for sp, fns in _taxonomy(folder).items()
                         if fns != [sp] and set(fns) & set(functions))
        specialer = functions + [sp for sp in rollups if sp not in functions]
    out = folder / "maps"
    out.mkdir(exist_ok=True)
    return out, specialer


def write_maps(folder: Path | str, specialer: list[str] | None = None) -> list[Path]:
    """Write ``maps/<speciale>.png`` for the given (default: all) specialer (the interactive
    ones: :func:`specialeplan.maps.interactive.write_html_maps`)."""
    folder = Path(folder)
    out, specialer = map_targets(folder, specialer)
    written = []
    for s in specialer:
        fig = plot_speciale(folder, s)
        path = out / f"{s}.png"
        fig.savefig(path, dpi=130)
        written.append(path)
    return written


# ----------------------------------------------------------------------- two plans
def plot_difference(folder_a: Path | str, folder_b: Path | str, speciale: str, *,
                    labels: bool = True) -> MapFigure:
    """What changes from plan A to plan B for one speciale: municipalities coloured by the
    change in mean family travel (blue shorter, red longer, capped), specialfunktioner kept
    (grey), opened in B (green triangles) and closed in B (red crosses), each sized by its
    borgerforløb; rådgivningsfunktioner of B as stars. A municipality served by
    specialfunktioner in only one plan has no change in travel: it is hatched, dark grey
    (``xxxx``) where B serves nobody that A served (lost service), light grey (``....``)
    where B serves what A did not; plain light grey where neither serves anybody."""
    a, b = Path(folder_a), Path(folder_b)
    munis = _read(b, "instance/municipalities.csv")
    fa, fb = functions_of(a, speciale), functions_of(b, speciale)
    ta, tb = coverage_of(a, fa), coverage_of(b, fb)
    travel = lambda t: t["mean_travel_minutes"].reindex(munis["code"]).to_numpy(  # noqa: E731
        dtype=float)
    # NaN travel = nobody served there in that plan: no 0 minutes, so lost service never
    # looks like an improvement
    t_a, t_b = travel(ta), travel(tb)
    lost, gained = np.isfinite(t_a) & np.isnan(t_b), np.isnan(t_a) & np.isfinite(t_b)
    diff = t_b - t_a
    cap, above = nice_cap(np.abs(diff), 0.95, floor=5.0)
    cmap = colormaps["RdBu_r"]
    norm = TwoSlopeNorm(0.0, -cap, cap)
    fig = MapFigure(figsize=FIGSIZE)
    ax = fig.add_axes(MAP_AXES)
    colors = [LOST if lo else GREY if not np.isfinite(d) else cmap(norm(np.clip(d, -cap, cap)))
              for d, lo in zip(diff, lost, strict=True)]
    _base_map(ax, munis, colors, ["xxxx" if lo else "...." if g else None
                                  for lo, g in zip(lost, gained, strict=True)])
    prov = _read(b, "instance/providers.csv").set_index("provider_id")
    da = _read(a, "designations.csv")
    db = _read(b, "designations.csv")
    da, db = da[da["function"].isin(fa)], db[db["function"].isin(fb)]
    m = da[["provider_id", "function", "cases"]].merge(
        db[["provider_id", "function", "cases", "is_advisory"]],
        on=["provider_id", "function"], how="outer", suffixes=("_a", "_b"), indicator=True)
    m["municipality_code"] = m["provider_id"].map(prov["municipality_code"])
    m = m.merge(munis[["code", "lon", "lat"]], left_on="municipality_code", right_on="code")
    lon, lat = _spread(m)
    cases = m["cases_b"].fillna(m["cases_a"]).to_numpy(dtype=float)
    sizes = marker_size(cases)
    kinds = {"both": ("o", "0.55", "kept"), "right_only": ("^", "tab:green", "opened in B"),
             "left_only": ("X", "tab:red", "closed in B")}
    for key, (marker, color, _label) in kinds.items():
        sel = (m["_merge"] == key).to_numpy()
        ax.scatter(lon[sel], lat[sel], s=sizes[sel], marker=marker, c=color,
                   edgecolors="black", linewidths=0.5, alpha=0.85, zorder=3)
    adv = _is_true(m["is_advisory"].fillna(False))
    ax.scatter(lon[adv], lat[adv], marker="*", s=120, c="gold", edgecolors="black",
               linewidths=0.6, zorder=4)
    _size_legend(ax, cases)
    handles = [Line2D([], [], ls="", marker=mk, ms=7, mfc=c, mec="black", label=lab)
               for mk, c, lab in kinds.values()]
    handles.append(Line2D([], [], ls="", marker="*", ms=11, mfc="gold", mec="black",
                          label="rådgivningsfunktion in B"))
    if lost.any():
        handles.append(Patch(fc=LOST, ec="white", hatch="xxxx", label="not served in B"))
    if gained.any():
        handles.append(Patch(fc=GREY, ec="0.3", hatch="....", label="not served in A"))
    if (np.isnan(t_a) & np.isnan(t_b)).any():
        handles.append(Patch(fc=GREY, ec="white", label="served in neither"))
    _legend(fig, handles)
    changed = (m["_merge"] != "both").to_numpy()
    if labels and changed.any():
        names = [str(prov["name"].get(p, p))[:24] for p in m["provider_id"][changed]]
        _labels(fig, ax, lon[changed], lat[changed], names, sizes[changed])
    cax = fig.add_axes(BAR_AXES)
    cb = fig.colorbar(_mappable(cmap, norm), cax=cax, extend="both" if above else "neither")
    cb.set_label("change in mean family travel, B − A (minutes)", fontsize=8)
    cb.ax.tick_params(labelsize=7)
    n_open, n_close = int((m["_merge"] == "right_only").sum()), int(
        (m["_merge"] == "left_only").sum())
    fig.suptitle(f"{speciale}: {a.name} (A) → {b.name} (B)", fontsize=11, x=0.45, y=0.975)
    fig.text(0.45, 0.925, f"{n_open} opened, {n_close} closed, "
             f"{int((m['_merge'] == 'both').sum())} kept; unmet {ta['unmet'].sum():,.0f} → "
             f"{tb['unmet'].sum():,.0f} borgerforløb" + (
                 f"; {int(lost.sum())} municipalit{'y' if lost.sum() == 1 else 'ies'} not "
                 "served in B" if lost.any() else ""),
             ha="center", fontsize=8, color="0.25")
    return fig


def write_difference_maps(folder_a: Path | str, folder_b: Path | str, out: Path | str,
                          specialer: list[str] | None = None) -> list[Path]:
    """``out/<speciale>.png`` difference maps for the specialer both folders plan."""
    a, b = Path(folder_a), Path(folder_b)
    common = sorted(set(_read(a, "coverage.csv")["function"])
                    & set(_read(b, "coverage.csv")["function"]))
    common += sorted(sp for sp in set(_taxonomy(a)) & set(_taxonomy(b))
                     if sp not in common and len(_taxonomy(b)[sp]) > 1)
    if specialer is not None:
        common = [s for s in specialer if s in common]
    if not common:
        raise DataValidationError(f"{a} and {b} plan no speciale in common",
                                  file=str(b / "coverage.csv"), field="function")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for s in common:
        path = out / f"{s}.png"
        plot_difference(a, b, s).savefig(path, dpi=130)
        paths.append(path)
    return paths


# ----------------------------------------------------------------------- vulnerability
def plot_vulnerability(vuln_folder: Path | str, results: Path | str, speciale: str, *,
                       labels: bool = True) -> MapFigure:
    """The closures of one speciale (every function of it) or one specialfunktion type
    coloured by their damage (``vulnerability.csv``, classes
    at its quantiles), sized by the borgerforløb they displace; a black ring where the
    closure breaks a rule; black where it leaves no solution (damage ``inf``)."""
    v = _read(vuln_folder, "vulnerability.csv")
    res = Path(results)
    munis = _read(res, "instance/municipalities.csv")
    prov = _read(res, "instance/providers.csv").set_index("provider_id")
    if "function" not in v.columns and "speciale" in v.columns:  # before issue 22
        v = v.rename(columns={"speciale": "function"})
    # a function's closures, or those of every function of a speciale (the roll-up)
    names = v["function"].astype(str).str.split(", ")
    if "speciale" in v.columns:
        names = names + v["speciale"].fillna("").astype(str).str.split(", ")
    rows = v[names.map(lambda ss: speciale in ss)].copy()
    if rows.empty:
        raise DataValidationError(f"no closure of speciale or specialfunktion {speciale!r}",
                                  file=str(Path(vuln_folder) / "vulnerability.csv"),
                                  field="function")
    rows["municipality_code"] = rows["provider_id"].map(prov["municipality_code"])
    rows = rows.merge(munis[["code", "lon", "lat"]], left_on="municipality_code",
                      right_on="code")
    fig = MapFigure(figsize=FIGSIZE)
    ax = fig.add_axes(MAP_AXES)
    _base_map(ax, munis, [(0.93, 0.93, 0.93, 1.0)] * len(munis))
    lon, lat = _spread(rows)
    damage = rows["damage"].to_numpy(dtype=float)
    # no solution (inf) is worse than any damage: its own colour, not the top class's
    unsolved = np.isposinf(damage)
    finite = np.isfinite(damage)
    levels = _damage_levels(damage)
    cmap = colormaps["YlOrRd"]
    norm = BoundaryNorm(levels, cmap.N, extend="min" if (damage[finite] < levels[0]).any()
                        else "neither")
    sizes = marker_size(np.maximum(rows["displaced"].to_numpy(dtype=float), 1.0))
    order = [i for i in np.argsort(damage) if finite[i]]
    ax.scatter(lon[order], lat[order], s=sizes[order], c=damage[order], cmap=cmap,
               norm=norm, edgecolors="black", linewidths=0.5, zorder=3)
    ax.scatter(lon[unsolved], lat[unsolved], s=sizes[unsolved], c=NO_SOLUTION,
               edgecolors="black", linewidths=0.5, zorder=3)
    broken = (rows["broken_rules"].notna() & (rows["broken_rules"].astype(str) != "")
              ).to_numpy()
    if broken.any():
        ax.scatter(lon[broken], lat[broken], s=sizes[broken] * 1.9, facecolors="none",
                   edgecolors="black", linewidths=1.2, zorder=4)
    _size_legend(ax, rows["displaced"].to_numpy(dtype=float), title="borgerforløb displaced")
    handles = [Line2D([], [], ls="", marker="o", ms=9, mfc="none", mec="black", mew=1.2,
                      label="closure breaks a rule")] if broken.any() else []
    if unsolved.any():
        handles.append(Line2D([], [], ls="", marker="o", ms=7, mfc=NO_SOLUTION, mec="black",
                              label="no solution without it"))
    if handles:
        _legend(fig, handles)
    if labels:
        top = np.argsort(-np.nan_to_num(damage, nan=-np.inf), kind="stable")[:12]
        pname = rows["provider_id"].map(prov["name"]).fillna(rows["provider_id"]).astype(str)
        names = [f"{int(rows['rank'].iloc[i])}. {pname.iloc[i][:20]}" for i in top]
        _labels(fig, ax, lon[top], lat[top], names, sizes[top])
    cax = fig.add_axes(BAR_AXES)
    cb = fig.colorbar(_mappable(cmap, norm), cax=cax, format="{x:,.0f}",
                      extend=norm.extend)
    cb.set_label("damage if it closes (objective added)", fontsize=8)
    cb.ax.tick_params(labelsize=7)
    fig.suptitle(f"{speciale}: what if a specialfunktion closes?", fontsize=11, x=0.45, y=0.975)
    n_unmet = int((rows["unmet_added"] > 1e-6).sum())
    fig.text(0.45, 0.925, f"{len(rows)} closures, {n_unmet} leaving demand unmet; circle size: "
             "borgerforløb displaced; labelled: the most damaging (rank. name)", ha="center",
             fontsize=8, color="0.25")
    return fig


def _damage_levels(values: np.ndarray) -> list[float]:
    """Colour classes for the finite damage: 0 and quantile steps, rounded, strictly
    increasing; the top rounded up, so the largest damage is inside the top class."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    top = float(v.max()) if v.size else 1.0
    qs = [0.0] + [_round(float(np.quantile(v, q))) for q in (0.25, 0.5, 0.75, 0.9)] + [
        _round_up(top)]
    out: list[float] = []
    for q in qs:
        if not out or q > out[-1]:
            out.append(q)
    if len(out) < 2:
        out.append(out[-1] + 1.0)
    return out


def write_vulnerability_maps(vuln_folder: Path | str, results: Path | str,
                             specialer: list[str] | None = None) -> list[Path]:
    """``maps/<speciale>.png`` in a vulnerability folder (the interactive one:
    :func:`specialeplan.maps.interactive.write_vulnerability_html`)."""
    vuln_folder = Path(vuln_folder)
    v = _read(vuln_folder, "vulnerability.csv")
    if specialer is None:
        specialer = sorted({s for ss in v["function"].astype(str) for s in ss.split(", ")})
    out = vuln_folder / "maps"
    out.mkdir(exist_ok=True)
    paths = []
    for s in specialer:
        path = out / f"{s}.png"
        plot_vulnerability(vuln_folder, results, s).savefig(path, dpi=130)
        paths.append(path)
    return paths


# ----------------------------------------------------------------------- necessity
#: ``necessity.csv`` of an alternatives folder (written by the necessity analysis; read
#: here with pandas: the maps layer sits below the analyses)
NECESSITY_FILE = "necessity.csv"
#: map class → (colour, what it means for the plans within the slack, in plain words)
NECESSITY_CLASSES = {
    "always": ("#1b7837", "always: in every plan within {slack}"),
    "sometimes": ("#e08214", "sometimes: in some plans within\n{slack}, not in others"),
    "never": ("#9e9e9e", "never: in no plan within {slack}"),
    "undecided": ("#7b3294", "undecided: not settled in time"),
}
DESIGNATED_SIZE, CANDIDATE_SIZE = 95.0, 30.0
TYPE_MARKERS = ("o", "s", "^", "D", "v", "P", "h", "X")


def read_necessity_table(alt_folder: Path | str) -> pd.DataFrame:
    """``necessity.csv`` of an alternatives folder, every cell text ('' when empty), with a
    ``map_class`` column; a :class:`DataValidationError` naming the file when it is missing
    or lacks a column the maps need."""
    path = Path(alt_folder) / NECESSITY_FILE
    if not path.is_file():
        raise DataValidationError(
            "no necessity.csv in this folder: run `specialeplan alternatives SCENARIO "
            "--necessity` (or run_necessity on its result) first", file=str(path))
    t = pd.read_csv(path, dtype=str, keep_default_na=False)
    need = ["kind", "provider_id", "function", "specialer"]
    need += [] if "map_class" in t.columns else ["necessity"]
    for col in need:
        if col not in t.columns:
            raise DataValidationError(f"necessity.csv has no column {col!r}", file=str(path),
                                      field=col)
    if "map_class" not in t.columns:
        t["map_class"] = t["necessity"].map(NECESSITY_MAP_CLASS).fillna("")
    bad = sorted(set(t["map_class"]) - set(NECESSITY_CLASSES))
    if bad:
        raise DataValidationError(f"unknown map_class {bad[0]!r} (expected one of "
                                  f"{', '.join(NECESSITY_CLASSES)})", file=str(path),
                                  field="map_class")
    for col in ("provider_name", "necessity", "replacement"):
        if col not in t.columns:
            t[col] = ""
    return t


def read_slack(alt_folder: Path | str) -> float | None:
    """The slack of a search for alternatives (``alternatives.yaml``, a share), None when
    the folder does not record it."""
    import yaml

    path = Path(alt_folder) / "alternatives.yaml"
    if not path.is_file():
        return None
    try:
        record = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise DataValidationError(f"alternatives.yaml is not YAML: {exc}",
                                  file=str(path)) from None
    slack = record.get("slack") if isinstance(record, dict) else None
    return float(slack) if isinstance(slack, int | float) else None


def slack_text(slack: float | None) -> str:
    """0.02 → ``2 %`` of the best plan's bound (``the slack`` when unknown)."""
    return "the slack" if slack is None else f"{100 * slack:.3g} %"


def necessity_rows(alt_folder: Path | str, speciale: str) -> tuple[pd.DataFrame, Path, bool]:
    """The rows of ``necessity.csv`` a map of ``speciale`` shows (every type of the speciale,
    or the one type of that id) with the provider's municipality, lon and lat (from the best
    plan's ``instance/``); the best plan's folder; and whether ``speciale`` is a speciale."""
    alt = Path(alt_folder)
    t = read_necessity_table(alt)
    of_speciale = t["specialer"].map(lambda s: speciale in split_list(s))
    is_speciale = bool(of_speciale.any())
    rows = t[of_speciale] if is_speciale else t[t["function"] == speciale]
    if rows.empty:
        raise DataValidationError(f"speciale or specialfunktion {speciale!r} is not in "
                                  "necessity.csv", file=str(alt / NECESSITY_FILE),
                                  field="specialer")
    best = alt / "runs" / "best"
    munis = _read(best, "instance/municipalities.csv")
    prov = _read(best, "instance/providers.csv").astype({"provider_id": str}).set_index(
        "provider_id")
    rows = rows.assign(municipality_code=rows["provider_id"].map(prov["municipality_code"]))
    rows = rows.merge(munis[["code", "lon", "lat"]], left_on="municipality_code",
                      right_on="code").drop(columns="code")
    names = rows["provider_id"].map(prov["name"]).fillna("").astype(str)
    rows["provider_name"] = rows["provider_name"].where(rows["provider_name"] != "",
                                                        names.where(names != "",
                                                                    rows["provider_id"]))
    order = {"designation": 0, "candidate": 1}
    rows = rows.assign(_o=rows["kind"].map(order).fillna(2)).sort_values(
        ["_o", "function", "provider_id"], kind="stable").drop(columns="_o")
    return rows.reset_index(drop=True), best, is_speciale


def necessity_counts(rows: pd.DataFrame) -> str:
    """One line: the best plan's designations and the candidates by class."""
    des, cand = rows[rows["kind"] == "designation"], rows[rows["kind"] != "designation"]
    dc, cc = des["map_class"].value_counts(), cand["map_class"].value_counts()
    parts = [f"best plan: {len(des)} specialfunktion{'' if len(des) == 1 else 'er'} ("
             f"{dc.get('always', 0)} needed, "
             f"{dc.get('sometimes', 0)} replaceable"
             + (f", {dc['undecided']} undecided" if dc.get("undecided", 0) else "") + ")",
             f"{len(cand)} other candidate{'' if len(cand) == 1 else 's'} ("
             f"{cc.get('sometimes', 0)} possible, "
             f"{cc.get('never', 0)} never"
             + (f", {cc['undecided']} undecided" if cc.get("undecided", 0) else "") + ")"]
    return "; ".join(parts)


def plot_necessity(alt_folder: Path | str, speciale: str, *, labels: bool = True
                   ) -> MapFigure:
    """What every good plan shares, for one speciale (every type of it) or one type: the
    providers of ``necessity.csv`` coloured by their map class (:data:`NECESSITY_CLASSES`),
    the best plan's specialfunktioner as large filled markers, the other candidates as small
    hollow ones, a dashed line from a replaceable specialfunktion to what replaces it, one
    marker shape per type when there are several. The best plan's specialfunktioner and the
    possible candidates are labelled. Reads the alternatives folder only."""
    alt = Path(alt_folder)
    rows, best, is_speciale = necessity_rows(alt, speciale)
    munis = _read(best, "instance/municipalities.csv")
    slack = slack_text(read_slack(alt))
    fig = MapFigure(figsize=FIGSIZE)
    ax = fig.add_axes(MAP_AXES)
    _base_map(ax, munis, [(0.93, 0.93, 0.93, 1.0)] * len(munis))
    lon, lat = _spread(rows)
    designated = (rows["kind"] == "designation").to_numpy()
    cls = rows["map_class"].to_numpy()
    functions = list(dict.fromkeys(rows["function"]))
    shape = {f: TYPE_MARKERS[i % len(TYPE_MARKERS)] if len(functions) > 1 else "o"
             for i, f in enumerate(functions)}
    # replacements first (under the markers): designation → each provider replacing it
    at = {(p, f): i for i, (p, f) in enumerate(zip(rows["provider_id"], rows["function"],
                                                   strict=True))}
    lines = 0
    for i in np.flatnonzero(designated):
        for p in split_list(rows["replacement"].iloc[i]):
            j = at.get((p, rows["function"].iloc[i]))
            if j is not None:
                ax.plot([lon[i], lon[j]], [lat[i], lat[j]], ls="--", lw=0.9,
                        color=NECESSITY_CLASSES["sometimes"][0], zorder=2)
                lines += 1
    for f in functions:
        of_f = (rows["function"] == f).to_numpy()
        for c, (color, _text) in NECESSITY_CLASSES.items():
            d = of_f & designated & (cls == c)
            o = of_f & ~designated & (cls == c)
            # gid: kind/class/type, to find the markers again (tests, SVG)
            if o.any():
                ax.scatter(lon[o], lat[o], s=CANDIDATE_SIZE, marker=shape[f], c="white",
                           edgecolors=color, linewidths=1.4, zorder=3,
                           gid=f"candidate/{c}/{f}")
            if d.any():
                ax.scatter(lon[d], lat[d], s=DESIGNATED_SIZE, marker=shape[f], c=color,
                           edgecolors="black", linewidths=0.7, zorder=4,
                           gid=f"designation/{c}/{f}")
    counts = rows["map_class"].value_counts()
    handles: list = [
        Line2D([], [], ls="", marker="o", ms=9, mfc="0.45", mec="black",
               label="specialfunktion in the best plan"),
        Line2D([], [], ls="", marker="o", ms=5, mfc="white", mec="0.45", mew=1.4,
               label="other candidate (competent,\nnot in the best plan)")]
    handles += [Patch(fc=color, ec="none", label=f"{text.format(slack=slack)} "
                      f"({counts.get(c, 0)})") for c, (color, text) in NECESSITY_CLASSES.items()]
    if lines:
        handles.append(Line2D([], [], ls="--", lw=0.9, color=NECESSITY_CLASSES["sometimes"][0],
                              label="replaced by this, in a plan\nwithout it"))
    if len(functions) > 1:
        handles += [Line2D([], [], ls="", marker=shape[f], ms=6, mfc="white", mec="black",
                           label=f"type {f}") for f in functions]
    _legend(fig, handles)
    # one label per provider (at its first marker): the best plan's first, then the possible
    show = designated | (cls == "sometimes")
    show &= ~rows["provider_id"].where(show).duplicated().to_numpy()
    if labels and show.any():
        idx = np.flatnonzero(show)[:40]
        sizes = np.where(designated, DESIGNATED_SIZE, CANDIDATE_SIZE)
        names = [str(rows["provider_name"].iloc[i])[:24] for i in idx]
        _labels(fig, ax, lon[idx], lat[idx], names, sizes[idx])
    what = f"speciale {speciale}" if is_speciale else speciale
    fig.suptitle(f"{what}: what every plan within {slack} needs", fontsize=11, x=0.45,
                 y=0.975)
    fig.text(0.45, 0.925, necessity_counts(rows) + f"\nplans costing at most {slack} above "
             "the best plan's proven lower bound; labelled: the best plan and the possible "
             "candidates",
             ha="center", va="top", fontsize=8, color="0.25")
    return fig


def necessity_targets(alt_folder: Path | str, specialer: list[str] | None) -> list[str]:
    """What :func:`write_necessity_maps` draws: the given names, or every speciale of
    ``necessity.csv``."""
    if specialer is not None:
        return list(specialer)
    t = read_necessity_table(alt_folder)
    return sorted({sp for text in t["specialer"] for sp in split_list(text)}
                  or set(t["function"]))


def write_necessity_maps(alt_folder: Path | str, specialer: list[str] | None = None
                         ) -> list[Path]:
    """``maps/necessity_<speciale>.png`` in an alternatives folder for the given (default:
    every) speciale (the interactive ones:
    :func:`specialeplan.maps.interactive.write_necessity_html`)."""
    alt = Path(alt_folder)
    names = necessity_targets(alt, specialer)
    out = alt / "maps"
    out.mkdir(exist_ok=True)
    paths = []
    for s in names:
        path = out / f"necessity_{s}.png"
        plot_necessity(alt, s).savefig(path, dpi=130)
        paths.append(path)
    return paths
