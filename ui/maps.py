"""The KPI map of one area's children (the city's districts, or a district's wards)."""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from geo import former
from data_access.db import PROJECT_ROOT
from geo.figures import MapLayout, choropleth_map, label_size, map_layout
from geo.published import publish_geojson
from geo.generated import APPROXIMATE_NOTE
from i18n.format import fmt_int
from metrics import kpis
from domain import units as unit_tree
from metrics.periods import Period
from ui import charts, data
from ui.i18n import lang


def approximate_note(former_units: bool = False) -> str:
    """What the map says under approximate boundaries, in the reader's language: former units
    are cut from today's real polygons (geo.former), others generated from centroids."""
    return (former.APPROXIMATE_NOTE if former_units else APPROXIMATE_NOTE)[lang()]


# The figures every hover shows, whatever KPI colours the map.
HOVER_KPIS = ("satisfaction_rate", "on_time_rate", "open_overdue")


def hover_text(row: pd.Series, kpi_ids: list[str], language: str) -> str:
    lines = [f"<b>{row['name']}</b>"]
    for kpi_id in kpi_ids:
        kpi = kpis.get(kpi_id)
        value = kpis.format_value(row[kpi_id], kpi, language)
        volume = "" if kpi.kind == "count" else f" ({fmt_int(row[kpi.volume_column], language)} {kpi.volume_noun(language)})"
        lines.append(f"{kpi.label(language)}: {value}{volume}")
    return "<br>".join(lines)


MAPPED_LEVELS = ("district", "ward")  # a unit's children drawn on its map (never departments or merged provinces)


def area_frame(
    counts_by_unit: pd.DataFrame, units: pd.DataFrame, area_code: str, kpi_id: str, day: date | None = None, language: str | None = None
) -> pd.DataFrame:
    """One row per child of the area (in force on `day` when given: the layout of the time):
    code, name, the KPI and the hover figures, hover_text (in `language`, default the reader's)."""
    present = units if day is None else unit_tree.versions_on(units, day)
    children = unit_tree.children(present, area_code, levels=MAPPED_LEVELS)
    rolled = unit_tree.roll_up(counts_by_unit, units, area_code)
    frame = children[["code", "name"]].merge(rolled, left_on="code", right_on="unit_code", how="left")
    count_columns = [c for c in rolled.columns if c != "unit_code"]
    frame[count_columns] = frame[count_columns].fillna(0)
    shown = [kpi_id] + [k for k in HOVER_KPIS if k != kpi_id]
    frame = kpis.add_kpi_columns(frame, shown)
    frame["hover_text"] = [hover_text(row, shown, language or lang()) for _, row in frame.iterrows()]
    return frame


@data.derived(max_entries=256)
def area_figures(period: Period, layout_day: date, area_code: str, kpi_id: str, restated: bool, language: str) -> pd.DataFrame:
    """area_frame of the area's units in the layout of `layout_day`, for the period: cached for
    the view's inputs (the hover texts of 168 units were a large part of a warm map view).
    attrs["restated"] as the counts say (ui.filters.restated_caption)."""
    present = data.layout(layout_day)
    counts = data.kpi_counts(period.start, period.end, unit_tree.subtree_codes(present, area_code), by_unit=True, restated=restated)
    frame = area_frame(counts, present, area_code, kpi_id, language=language)
    frame.attrs["restated"] = counts.attrs.get("restated")
    return frame


@st.cache_resource(max_entries=64, show_spinner=False)
def _layout(key: str, names: tuple, view: str, labels: bool, width_px: int, height_px: int, _geojson: dict) -> tuple[MapLayout, str | None]:
    """One map layout per geometry (`key`, data.boundaries' fingerprint), names and view,
    shared read-only by every session (the same units and view give the same layout), with
    the URL its boundaries are served at (geo.published)."""
    layout = map_layout(_geojson, dict(names), view=view, labels=labels, width_px=width_px, height_px=height_px, label_px=label_size())
    return layout, publish_geojson(layout.geojson, PROJECT_ROOT / "static")


def kpi_map(
    shapes: dict, frame: pd.DataFrame, kpi_id: str, labels: bool, height_px: int = 620, target: float | None = None, view: str = "all", width_px: int = 900
):
    """`shapes`: data.boundaries' answer for the frame's units. `target`: the KPI's target;
    the colours then break at it on the KPI's fixed scale (kpis.colour_range), the same on
    every map of the KPI. `view`: "all" or "centre" (the dense centre); width_px x height_px:
    the map's size on screen, for the zoom and for which names fit."""
    return _kpi_figure(shapes["key"], frame, kpi_id, labels, height_px, target, view, width_px, lang(), _shapes=shapes)


@data.shared(max_entries=128)
def _kpi_figure(
    key: str, frame: pd.DataFrame, kpi_id: str, labels: bool, height_px: int, target: float | None, view: str, width_px: int, lang: str, _shapes: dict
):
    """kpi_map's figure, kept by its arguments (the geometry by its fingerprint `key`)."""
    shapes = _shapes
    names = tuple(zip(frame["code"].astype(str), frame["name"].astype(str))) if labels else ()
    layout, url = _layout(key, names, view, labels, width_px, height_px, shapes["geojson"])
    kpi = kpis.get(kpi_id)
    scale = kpis.colour_range(kpi, target)
    zmin, _, zmax = scale if scale else (None, None, None)
    figure = choropleth_map(
        shapes["geojson"],
        frame,
        kpi_id,
        kpi_label=kpi.label(lang),
        higher_is_better=kpi.higher_is_better,
        zmin=zmin,
        zmax=zmax,
        target=target if scale else None,
        tickformat=charts.axis_format(kpi)["tickformat"],
        lang=lang,
        height_px=height_px,
        width_px=width_px,
        layout=layout,
        geojson_url=url,
    )
    figure.update_layout(separators=",." if lang == "vi" else ".,")
    return figure
