"""Offline choropleth map of units coloured by a KPI (plotly `Choroplethmap`, no tiles).

Offline facts (checked in plotly 7.1's bundled plotly.js):
- `map_style="white-bg"` is an inline MapLibre style with one background layer and no
  sources, so no tile, style or sprite request is made.
- That style still names a glyphs URL (fonts.openmaptiles.org): MapLibre fetches glyphs
  only to draw text on the map, so any map text (a Scattermap in text mode) would need the
  internet. Unit names are therefore shown on hover only (first line of the hover), never
  as map text. See `label_points` for positions if a page wants to list or annotate names.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import shapely

NO_DATA_TEXT = {"vi": "Không có dữ liệu", "en": "No data"}
NO_DATA_COLOR = "#d9d9d9"
BORDER_COLOR = "#ffffff"
# Red (bad) -> yellow -> green (good), strong enough for a projector (ColorBrewer RdYlGn).
BAD_TO_GOOD = [[0.0, "#a50026"], [0.25, "#f46d43"], [0.5, "#fee08b"], [0.75, "#a6d96a"], [1.0, "#1a9850"]]


def feature_bounds(geojson: dict, ids=None) -> tuple[float, float, float, float]:
    """(west, south, east, north) of the features (all, or those whose id is in ids)."""
    wanted = None if ids is None else {str(i) for i in ids}
    xs_min, ys_min, xs_max, ys_max = [], [], [], []
    for feature in geojson["features"]:
        if wanted is not None and str(feature.get("id")) not in wanted:
            continue
        geom = shapely.geometry.shape(feature["geometry"])
        x0, y0, x1, y1 = geom.bounds
        xs_min.append(x0), ys_min.append(y0), xs_max.append(x1), ys_max.append(y1)
    if not xs_min:
        raise ValueError("no feature to show")
    return min(xs_min), min(ys_min), max(xs_max), max(ys_max)


def _mercator_y(lat: float) -> float:
    lat = max(min(lat, 85.0), -85.0)
    return math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))


def center_zoom(bounds, width_px: int = 900, height_px: int = 600, padding: float = 0.06) -> tuple[dict, float]:
    """Center and zoom so that bounds (west, south, east, north) fit a map of that size."""
    west, south, east, north = bounds
    center = {"lon": (west + east) / 2, "lat": math.degrees(math.atan(math.sinh((_mercator_y(south) + _mercator_y(north)) / 2)))}
    lon_span = max(east - west, 1e-6) * (1 + 2 * padding)
    y_span = max(_mercator_y(north) - _mercator_y(south), 1e-8) * (1 + 2 * padding)
    # At zoom z the world is 512 * 2**z pixels wide (MapLibre tiles are 512 px).
    zoom_x = math.log2(width_px * 360.0 / (512.0 * lon_span))
    zoom_y = math.log2(height_px * 2 * math.pi / (512.0 * y_span))
    return center, round(min(zoom_x, zoom_y), 2)


def label_points(geojson: dict) -> pd.DataFrame:
    """A point inside each feature (id, lon, lat), e.g. for a list of names beside the map."""
    rows = []
    for feature in geojson["features"]:
        point = shapely.geometry.shape(feature["geometry"]).point_on_surface()
        rows.append((str(feature["id"]), point.x, point.y))
    return pd.DataFrame(rows, columns=["id", "lon", "lat"])


def choropleth_map(
    geojson: dict,
    frame: pd.DataFrame,
    value_column: str,
    *,
    code_column: str = "code",
    hover_column: str = "hover_text",
    name_column: str = "name",
    kpi_label: str = "",
    higher_is_better: bool = True,
    tickformat: str = ".0%",
    zmin: float | None = None,
    zmax: float | None = None,
    lang: str = "vi",
    width_px: int = 900,
    height_px: int = 600,
    font_size: int = 18,
) -> go.Figure:
    """A map of the geojson features coloured by frame[value_column].

    geojson: FeatureCollection with `id` = unit code (see geo.simplify). frame: one row per
    unit to show, with code_column, value_column (NaN = no data), and optionally
    hover_column (text supplied by the caller: name, figures, volumes; "<br>" for lines)
    and name_column. Units of the frame with no value, and features absent from the frame,
    are drawn grey in a separate trace with hover "Không có dữ liệu"/"No data" - never as 0.
    Clicks: `locations` and `customdata[0]` are the unit code (selection returns it).
    """
    ids = [str(f["id"]) for f in geojson["features"]]
    data = frame.copy()
    data[code_column] = data[code_column].astype(str)
    data = data[data[code_column].isin(ids)]
    has_value = data[value_column].notna() & np.isfinite(pd.to_numeric(data[value_column], errors="coerce"))
    shown = data[has_value]
    missing_codes = [c for c in ids if c not in set(shown[code_column])]
    names = data.set_index(code_column)[name_column] if name_column in data else pd.Series(dtype=str)
    no_data = NO_DATA_TEXT.get(lang, NO_DATA_TEXT["vi"])

    if hover_column in shown:
        hover = shown[hover_column].astype(str)
    else:
        label = names.reindex(shown[code_column]).fillna(shown[code_column]).astype(str).to_numpy()
        hover = pd.Series(label, index=shown.index)
    colorscale = BAD_TO_GOOD if higher_is_better else [[1 - s, c] for s, c in reversed(BAD_TO_GOOD)]
    fig = go.Figure()
    fig.add_trace(
        go.Choroplethmap(
            geojson=geojson,
            featureidkey="id",
            locations=shown[code_column].tolist(),
            z=pd.to_numeric(shown[value_column]).tolist(),
            zmin=zmin,
            zmax=zmax,
            colorscale=colorscale,
            marker={"line": {"color": BORDER_COLOR, "width": 1}, "opacity": 0.95},
            customdata=shown[[code_column]].to_numpy().tolist(),
            text=hover.tolist(),
            hovertemplate="%{text}<extra></extra>",
            colorbar={
                "title": {"text": kpi_label, "font": {"size": font_size}},
                "tickformat": tickformat,
                "tickfont": {"size": font_size},
                "thickness": 24,
                "len": 0.85,
            },
            name=kpi_label or value_column,
            showlegend=False,
        )
    )
    if missing_codes:
        missing_names = [str(names.get(c, c)) for c in missing_codes]
        fig.add_trace(
            go.Choroplethmap(
                geojson=geojson,
                featureidkey="id",
                locations=missing_codes,
                z=[0] * len(missing_codes),
                colorscale=[[0, NO_DATA_COLOR], [1, NO_DATA_COLOR]],
                showscale=False,
                marker={"line": {"color": BORDER_COLOR, "width": 1}, "opacity": 0.95},
                customdata=[[c] for c in missing_codes],
                text=[f"<b>{n}</b><br>{no_data}" for n in missing_names],
                hovertemplate="%{text}<extra></extra>",
                name=no_data,
                showlegend=True,
            )
        )
    center, zoom = center_zoom(feature_bounds(geojson), width_px, height_px)
    fig.update_layout(
        map={"style": "white-bg", "center": center, "zoom": zoom},
        margin={"l": 0, "r": 0, "t": 0, "b": 0},
        height=height_px,
        font={"size": font_size},
        hoverlabel={"font": {"size": font_size}},
        legend={"x": 0.01, "y": 0.01, "bgcolor": "rgba(255,255,255,0.8)", "font": {"size": font_size}},
    )
    return fig
