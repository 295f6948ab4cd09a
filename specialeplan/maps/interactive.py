"""Interactive HTML maps (folium / Leaflet) of results folders, drawn from their tables.

``maps/<speciale>.html`` of a results folder: municipalities shaded by mean family travel (the
capped scale of :mod:`specialeplan.maps.static`) with a tooltip per municipality (demand, served,
by outreach, near the family, unmet, mean travel, its rådgivningsfunktion); specialfunktioner
as circles sized by borgerforløb with a tooltip (provider name and id, borgerforløb, by
outreach, mean family travel of its citizens, the provider's total capacity, rådgivning
area: the municipalities it advises); rådgivningsfunktioner ringed in gold. Layers can be
switched on and off. ``maps/vulnerability.html`` of a vulnerability folder: each closure
coloured by its damage (black: no solution without it), with its figures in the tooltip.
``maps/necessity_<speciale>.html`` of an alternatives folder: the static necessity map's
classes, one layer each, with a popup per provider and type (name, type, class, what
replaces it).
The files load Leaflet from a CDN when opened; the data are inside the file.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import folium
import numpy as np
import pandas as pd
from branca.colormap import LinearColormap, StepColormap

from specialeplan.maps.static import (
    NECESSITY_CLASSES,
    NO_SOLUTION,
    _bundled_rings,
    _read,
    _spread,
    _taxonomy,
    coverage_of,
    functions_of,
    map_targets,
    necessity_counts,
    necessity_rows,
    necessity_targets,
    nice_cap,
    read_slack,
    slack_text,
)
from specialeplan.model.instance import split_list

CENTER = (56.1, 11.2)
VIRIDIS_R = ["#fde725", "#5ec962", "#21918c", "#3b528b", "#440154"]


def _geometry(codes: list[str]) -> dict[str, list[list[list[float]]]] | None:
    """Simplified rings per municipality (coordinates rounded to ~100 m, consecutive
    duplicates dropped, every other point of long rings): a few hundred kB per map."""
    rings = _bundled_rings()
    if not rings or not set(codes) <= set(rings):
        return None
    out = {}
    for code in codes:
        polys = []
        for ring in rings[code]:
            r = np.round(ring, 3)
            keep = np.ones(len(r), dtype=bool)
            keep[1:] = np.any(r[1:] != r[:-1], axis=1)
            r = r[keep]
            if len(r) > 60:
                r = np.vstack([r[:-1:2], r[-1:]])
            if len(r) >= 4:
                polys.append([r.tolist()])
        out[code] = polys
    return out


def _fmt(v: Any, digits: int = 1) -> str:
    if v is None or (isinstance(v, float) and not np.isfinite(v)):
        return "–"
    return f"{v:,.{digits}f}"


def _municipality_layer(m: folium.Map, munis: pd.DataFrame, values: pd.Series,
                        tips: dict[str, str], colormap: Any, name: str) -> None:
    geometry = _geometry(list(munis["code"]))
    feats = []
    for r in munis.itertuples():
        v = values.get(r.code, np.nan)
        color = colormap(min(v, colormap.vmax)) if np.isfinite(v) else "#d9d9d9"
        props = {"tip": tips.get(r.code, r.name), "color": color}
        if geometry is not None:
            geom = {"type": "MultiPolygon", "coordinates": geometry[r.code]}
        else:
            geom = {"type": "Point", "coordinates": [r.lon, r.lat]}
        feats.append({"type": "Feature", "geometry": geom, "properties": props})
    folium.GeoJson(
        {"type": "FeatureCollection", "features": feats}, name=name,
        style_function=lambda f: {"fillColor": f["properties"]["color"], "color": "white",
                                  "weight": 0.6, "fillOpacity": 0.75},
        tooltip=folium.GeoJsonTooltip(fields=["tip"], labels=False),
    ).add_to(m)


def speciale_html(folder: Path | str, speciale: str) -> folium.Map:
    """The interactive map of one specialfunktion type, or of a speciale with all its types,
    in a results folder (module docstring)."""
    folder = Path(folder)
    munis = _read(folder, "instance/municipalities.csv")
    functions = functions_of(folder, speciale)
    cov = coverage_of(folder, functions)
    des = _read(folder, "designations.csv")
    des = des[des["function"].isin(functions)]
    asg = _read(folder, "assignments.csv")
    asg = asg[asg["function"].isin(functions)]
    # rådgivning is per speciale: the specialer of these functions
    specialer = {sp for sp, fns in _taxonomy(folder).items() if set(fns) & set(functions)}
    reach = _read(folder, "reach.csv")
    if "speciale" not in reach.columns:  # before issue 22
        reach = reach.assign(speciale=reach["function"])
    reach = reach[reach["speciale"].isin(specialer)]
    prov = _read(folder, "instance/providers.csv").set_index("provider_id")
    name_of = munis.set_index("code")["name"]

    travel = cov["mean_travel_minutes"]
    cap, _above = nice_cap(travel.to_numpy(dtype=float))
    cmap = LinearColormap(VIRIDIS_R, vmin=0, vmax=cap,
                          caption=f"mean family travel per borgerforløb (minutes; ≥ {cap:g} "
                                  "darkest)")
    adviser = reach[reach["advisory_provider_id"].fillna("") != ""].groupby(
        "municipality_code")["advisory_provider_id"].agg(lambda s: ", ".join(
            f"{prov['name'].get(p, p)} ({p})" for p in s))
    tips = {}
    for code, row in cov.iterrows():
        tips[code] = (
            f"<b>{name_of.get(code, code)}</b> ({code})<br>demand {_fmt(row['demand'])}, "
            f"served {_fmt(row['served'])} ({_fmt(row.get('outreach', 0.0))} by outreach)<br>"
            f"near the family {_fmt(row.get('near_family', 0.0))}, unmet {_fmt(row['unmet'])}"
            f"<br>mean family travel {_fmt(row['mean_travel_minutes'])} min<br>"
            f"rådgivning from: {adviser.get(code, '–')}")
    m = folium.Map(location=CENTER, zoom_start=7, tiles="OpenStreetMap",
                   control_scale=True)
    _municipality_layer(m, munis, travel, tips, cmap, "mean family travel")
    cmap.add_to(m)

    tx = asg.assign(tx=asg["cases"] * asg["travel_minutes"].where(asg["mode"] == "physical",
                                                                   0.0))
    mean_t = tx.groupby("provider_id")["tx"].sum() / tx.groupby("provider_id")["cases"].sum()
    advised = reach.groupby("advisory_provider_id")["municipality_code"].agg(
        lambda s: ", ".join(name_of.get(c, c) for c in sorted(s)))
    loc = munis.set_index("code")[["lat", "lon"]]
    layer = folium.FeatureGroup(name="specialfunktioner").add_to(m)
    for r in des.itertuples():
        p = prov.loc[r.provider_id] if r.provider_id in prov.index else None
        lat, lon = loc.loc[str(r.municipality_code)] if str(r.municipality_code) in loc.index \
            else (np.nan, np.nan)
        if not np.isfinite(lat):
            continue
        adv = str(r.is_advisory).lower() in ("true", "1")
        cap_p = float(p["capacity"]) if p is not None else np.nan
        tip = (f"<b>{p['name'] if p is not None else r.provider_id}</b> ({r.provider_id})<br>"
               f"{speciale}: {_fmt(r.cases)} borgerforløb ({_fmt(r.outreach_cases)} by "
               f"outreach)<br>mean family travel {_fmt(mean_t.get(r.provider_id))} min<br>"
               f"provider capacity {_fmt(cap_p, 0)}"
               + (f"<br><b>rådgivningsfunktion</b>, advises {int(r.advised_municipalities)} "
                  f"municipalities: {advised.get(r.provider_id, '')}" if adv else ""))
        folium.CircleMarker(
            location=(float(lat), float(lon)), radius=float(3 + 1.1 * np.sqrt(r.cases)),
            color="#b8860b" if adv else "black", weight=3 if adv else 1,
            fill=True, fill_color="#ff7f0e" if r.outreach_cases > 1e-6 else "#d62728",
            fill_opacity=0.8, tooltip=folium.Tooltip(tip, sticky=True),
        ).add_to(layer)
    folium.LayerControl(collapsed=False).add_to(m)
    _title(m, f"{speciale}: {len(des)} specialfunktioner, "
              f"{int(des['is_advisory'].astype(str).str.lower().isin(['true', '1']).sum())} "
              "rådgivningsfunktioner (gold ring); red: place, orange: with outreach")
    return m


def _title(m: folium.Map, text: str) -> None:
    html = (f'<div style="position: fixed; top: 8px; left: 50px; z-index: 9999; '
            f'background: white; padding: 4px 8px; font: 13px sans-serif; '
            f'border: 1px solid #999;">{text}</div>')
    m.get_root().html.add_child(folium.Element(html))


def write_html_maps(folder: Path | str, specialer: list[str] | None = None) -> list[Path]:
    """``maps/<speciale>.html`` for the given (default: all) specialer."""
    folder = Path(folder)
    out, specialer = map_targets(folder, specialer)
    paths = []
    for s in specialer:
        path = out / f"{s}.html"
        speciale_html(folder, s).save(str(path))
        paths.append(path)
    return paths


def vulnerability_html(vuln_folder: Path | str, results: Path | str) -> folium.Map:
    """Every closure of a vulnerability folder, coloured by damage (step scale on the
    damage quantiles), with its figures in the tooltip; one layer per speciale."""
    from specialeplan.maps.static import _damage_levels

    v = _read(vuln_folder, "vulnerability.csv")
    res = Path(results)
    munis = _read(res, "instance/municipalities.csv")
    prov = _read(res, "instance/providers.csv").set_index("provider_id")
    loc = munis.set_index("code")[["lat", "lon"]]
    damage = v["damage"].to_numpy(dtype=float)
    levels = _damage_levels(damage)  # of the finite damage: no solution (inf) is black
    colors = ["#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026", "#800026"]
    cmap = StepColormap(colors[:len(levels) - 1] or colors[:1], index=levels,
                        vmin=levels[0], vmax=levels[-1],
                        caption="damage if it closes (objective added; black: no solution "
                                "without it)")
    m = folium.Map(location=CENTER, zoom_start=7, tiles="OpenStreetMap",
                   control_scale=True)
    cmap.add_to(m)
    groups: dict[str, folium.FeatureGroup] = {}
    rng = np.random.default_rng(0)
    for i, r in enumerate(v.itertuples()):
        code = str(prov["municipality_code"].get(r.provider_id, ""))
        if code not in loc.index:
            continue
        lat, lon = loc.loc[code]
        lat, lon = lat + rng.normal(0, 0.01), lon + rng.normal(0, 0.016)
        spec = str(r.function)
        group = groups.get(spec)
        if group is None:
            group = groups[spec] = folium.FeatureGroup(name=spec).add_to(m)
        tip = (f"<b>#{r.rank} {r.closure}</b> {prov['name'].get(r.provider_id, '')}<br>"
               f"displaced {_fmt(r.displaced)} borgerforløb; unmet +{_fmt(r.unmet_added)}<br>"
               f"family travel {_fmt(r.travel_added, 0)} min (+"
               f"{_fmt(r.travel_added_per_displaced)} per displaced)<br>"
               f"municipalities losing rådgivning: {r.reach_lost}; now full: "
               f"{r.pushed_to_capacity}<br>damage "
               + ("no solution without it" if np.isposinf(damage[i]) else _fmt(r.damage, 0))
               + (f"<br>breaks: {r.broken_rules}" if isinstance(r.broken_rules, str)
                  and r.broken_rules else ""))
        folium.CircleMarker(
            location=(float(lat), float(lon)),
            radius=float(3 + 1.1 * np.sqrt(max(r.displaced, 0.0))), color="black", weight=1,
            fill=True, fill_color=(NO_SOLUTION if np.isposinf(damage[i]) else
                                   cmap(float(np.clip(damage[i], levels[0], levels[-1])))),
            fill_opacity=0.9,
            tooltip=folium.Tooltip(tip, sticky=True)).add_to(group)
    folium.LayerControl(collapsed=True).add_to(m)
    _title(m, f"What if it closes? {len(v)} closures, ranked by damage")
    return m


def write_vulnerability_html(vuln_folder: Path | str, results: Path | str) -> Path:
    """``maps/vulnerability.html`` in a vulnerability folder."""
    path = Path(vuln_folder) / "maps" / "vulnerability.html"
    path.parent.mkdir(exist_ok=True)
    vulnerability_html(vuln_folder, results).save(str(path))
    return path


#: the class of a row of necessity.csv in the words of a popup ({slack}: ``2 %``)
NECESSITY_WORDS = {
    "needed": "needed: every plan within {slack} has it",
    "replaceable": "replaceable: a plan within {slack} does without it",
    "possible": "possible: a plan within {slack} has it",
    "never": "never: no plan within {slack} can have it",
    "undecided": "undecided: not settled in the time given",
}


def _necessity_popup(r: pd.Series, names: pd.Series, type_names: pd.Series, slack: str
                     ) -> str:
    """The popup of one provider and type: name, type, class in words, the replacement."""
    designated = r["kind"] == "designation"
    esc = html.escape
    words = NECESSITY_WORDS.get(r["necessity"], r["map_class"]).format(slack=slack)
    text = (f"<b>{esc(r['provider_name'])}</b> ({esc(r['provider_id'])})<br>"
            f"type: {esc(r['function'])} "
            f"({esc(str(type_names.get(r['function'], r['function'])))})<br>"
            f"speciale: {r['specialer'].replace(';', ', ')}<br>"
            f"{'in the best plan' if designated else 'not in the best plan (a candidate)'}"
            f"<br>class: <b>{r['map_class']}</b> ({words})")
    if designated:
        repl = [f"{esc(str(names.get(p, p)))} ({esc(p)})" for p in split_list(r["replacement"])]
        text += "<br>replaced by: " + (
            ", ".join(repl) if repl else
            "its borgerforløb go to the type's other specialfunktioner"
            if r["necessity"] == "replaceable" else "–")
    if r.get("settled_by", "") and r["necessity"] != "undecided":
        witness = f" (plan {r['witness']})" if r.get("witness", "") not in ("", "mip") else ""
        text += f"<br>settled by: {r['settled_by']}{witness}"
    return text


def necessity_html(alt_folder: Path | str, speciale: str) -> folium.Map:
    """What every good plan shares, for one speciale (every type of it) or one type of an
    alternatives folder (as :func:`specialeplan.maps.static.plot_necessity`): the best
    plan's specialfunktioner as large filled circles, the other candidates as small hollow
    ones, coloured by map class, one switchable layer per class, dashed lines to what
    replaces a replaceable specialfunktion; a popup per provider and type (name, type,
    class, replacement)."""
    alt = Path(alt_folder)
    rows, best, is_speciale = necessity_rows(alt, speciale)
    slack = slack_text(read_slack(alt))
    lon, lat = _spread(rows, move_bornholm=False)
    names = rows.drop_duplicates("provider_id").set_index("provider_id")["provider_name"]
    prov = _read(best, "instance/providers.csv").astype({"provider_id": str}).set_index(
        "provider_id")["name"]
    names = pd.concat([names, prov[~prov.index.isin(names.index)]])
    fpath = best / "instance" / "functions.csv"
    type_names = (pd.read_csv(fpath, dtype=str).set_index("function")["name"]
                  if fpath.is_file() else pd.Series(dtype=str))
    m = folium.Map(location=CENTER, zoom_start=7, tiles="OpenStreetMap", control_scale=True)
    counts = rows["map_class"].value_counts()
    groups = {c: folium.FeatureGroup(name=f"{c} ({counts.get(c, 0)})").add_to(m)
              for c in NECESSITY_CLASSES}
    at = {(p, f): i for i, (p, f) in enumerate(zip(rows["provider_id"], rows["function"],
                                                   strict=True))}
    lines = folium.FeatureGroup(name="replaced by").add_to(m)
    for i, r in rows.iterrows():
        if r["kind"] != "designation":
            continue
        for p in split_list(r["replacement"]):
            j = at.get((p, r["function"]))
            if j is not None:
                folium.PolyLine([(lat[i], lon[i]), (lat[j], lon[j])], dash_array="6 4",
                                weight=2, color=NECESSITY_CLASSES["sometimes"][0],
                                tooltip=html.escape(f"{r['provider_name']} replaced by "
                                                    f"{rows['provider_name'].iloc[j]}"),
                                ).add_to(lines)
    # candidates first, so the best plan's circles lie on top
    for i in [*np.flatnonzero(rows["kind"] != "designation"),
              *np.flatnonzero(rows["kind"] == "designation")]:
        r = rows.iloc[i]
        color = NECESSITY_CLASSES[r["map_class"]][0]
        designated = r["kind"] == "designation"
        folium.CircleMarker(
            location=(float(lat[i]), float(lon[i])), radius=8.0 if designated else 4.5,
            color="black" if designated else color, weight=1 if designated else 2.5,
            fill=True, fill_color=color if designated else "white",
            fill_opacity=0.95 if designated else 1.0,
            tooltip=folium.Tooltip(f"{html.escape(r['provider_name'])} ({r['function']}): "
                                   f"{r['map_class']}"),
            popup=folium.Popup(_necessity_popup(r, names, type_names, slack), max_width=380),
        ).add_to(groups[r["map_class"]])
    folium.LayerControl(collapsed=False).add_to(m)
    what = f"speciale {speciale}" if is_speciale else speciale
    _title(m, f"{what}: what every plan within {slack} needs<br>"
              f"<small>{necessity_counts(rows)}</small>")
    _necessity_legend(m, slack)
    return m


def _necessity_legend(m: folium.Map, slack: str) -> None:
    """The classes' colours in words (folium has no legend of markers)."""
    items = "".join(
        f'<div><span style="display:inline-block; width:11px; height:11px; '
        f'border-radius:6px; background:{color}; margin-right:5px;"></span>'
        f'{text.format(slack=slack).replace(chr(10), " ")}</div>'
        for color, text in NECESSITY_CLASSES.values())
    box = ('<div style="position: fixed; bottom: 24px; left: 10px; z-index: 9999; '
           'background: white; padding: 6px 8px; font: 12px sans-serif; '
           'border: 1px solid #999;"><div>large filled: in the best plan; small hollow: '
           'another candidate</div>' + items + '<div style="color:#e08214;">- - - replaced '
           'by, in a plan without it</div></div>')
    m.get_root().html.add_child(folium.Element(box))


def write_necessity_html(alt_folder: Path | str, specialer: list[str] | None = None
                         ) -> list[Path]:
    """``maps/necessity_<speciale>.html`` in an alternatives folder for the given (default:
    every) speciale."""
    alt = Path(alt_folder)
    names = necessity_targets(alt, specialer)
    out = alt / "maps"
    out.mkdir(exist_ok=True)
    paths = []
    for s in names:
        path = out / f"necessity_{s}.html"
        necessity_html(alt, s).save(str(path))
        paths.append(path)
    return paths



def write_all_maps(folder: Path | str, specialer: list[str] | None = None, *,
                   html: bool = True) -> list[Path]:
    """The static maps of :func:`specialeplan.maps.static.write_maps` and, with ``html``, the
    interactive ones."""
    from specialeplan.maps.static import write_maps

    paths = write_maps(folder, specialer)
    return paths + (write_html_maps(folder, specialer) if html else [])
