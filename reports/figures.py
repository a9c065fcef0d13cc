"""Static figures for the packs and the meeting page, drawn with matplotlib (no browser, no
network): the map of the focus KPI, and - for the PDF, where charts cannot be native - the
bottom-units bar chart and the trend line. Every function returns PNG bytes.

Fonts: matplotlib's bundled DejaVu Sans, which has every Vietnamese letter, so the figures
draw the same on a bare machine.
"""

from __future__ import annotations

import io
import math

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib import colors as mcolors  # noqa: E402
from matplotlib.ticker import FuncFormatter  # noqa: E402

from metrics import kpis  # noqa: E402

BLUE, RED, GREEN, GREY = "#1f5fa8", "#d1495b", "#2a9d8f", "#8d99ae"
plt.rcParams.update({"font.family": "DejaVu Sans", "font.size": 11, "axes.spines.top": False, "axes.spines.right": False})


def _png(figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=150, bbox_inches="tight", facecolor="white")
    plt.close(figure)
    return buffer.getvalue()


def _value_formatter(kpi: kpis.Kpi, lang: str) -> FuncFormatter:
    return FuncFormatter(lambda v, _pos: kpis.format_value(v, kpi, lang))


def _short(name: str) -> str:
    for prefix in ("Thành phố ", "Quận ", "Huyện ", "Phường ", "Xã ", "Thị trấn "):
        if name.startswith(prefix) and not name[len(prefix):].isdigit():
            return name[len(prefix):]
    return name


def map_png(briefing, width_in: float = 10, height_in: float = 6.2) -> bytes:
    """Choropleth of the focus KPI over the units one level down (their polygons when the
    database has boundaries, else circles at their centroids). The weakest units are named."""
    kpi, lang = briefing.focus, briefing.lang
    values = briefing.units_values
    cmap = plt.get_cmap("RdYlGn" if kpi.higher_is_better else "RdYlGn_r")
    finite = values["value"].astype("float64")
    finite = finite[np.isfinite(finite)]
    vmin, vmax = (float(finite.min()), float(finite.max())) if len(finite) else (0.0, 1.0)
    if math.isclose(vmin, vmax):
        vmin, vmax = vmin - 0.01, vmax + 0.01
    norm = mcolors.Normalize(vmin=vmin, vmax=vmax)
    figure, axis = plt.subplots(figsize=(width_in, height_in))
    worst = set(briefing.bottom["unit_code"].head(5))
    if briefing.boundaries is not None:
        frame = briefing.boundaries.merge(values, left_on="code", right_on="unit_code", how="left")
        has = frame["value"].notna()
        if (~has).any():
            frame[~has].plot(ax=axis, color="#e9ecef", edgecolor="white", linewidth=0.6)
        if has.any():
            frame[has].plot(ax=axis, column="value", cmap=cmap, norm=norm, edgecolor="white", linewidth=0.6)
        for row in frame[frame["unit_code"].isin(worst)].itertuples():
            point = row.geometry.representative_point()
            axis.annotate(_short(row.name), (point.x, point.y), ha="center", fontsize=9, fontweight="bold",
                          bbox=dict(boxstyle="round,pad=0.2", fc="white", ec=RED, alpha=0.85))
        south, north = frame.total_bounds[1], frame.total_bounds[3]
        axis.set_aspect(1 / math.cos(math.radians((south + north) / 2)) if len(frame) else "equal")
    else:
        frame = values.dropna(subset=["lat", "lon"])
        volume = frame["volume"].fillna(0).astype("float64")
        sizes = 80 + 900 * np.sqrt(volume / max(volume.max(), 1))
        colours = [cmap(norm(v)) if np.isfinite(v) else "#e9ecef" for v in frame["value"].astype("float64")]
        axis.scatter(frame["lon"], frame["lat"], s=sizes, c=colours, edgecolors="#495057", linewidths=0.6)
        for row in frame[frame["unit_code"].isin(worst)].itertuples():
            axis.annotate(_short(row.name), (row.lon, row.lat), ha="center", va="bottom", fontsize=9, fontweight="bold",
                          xytext=(0, 8), textcoords="offset points")
        axis.set_aspect(1 / math.cos(math.radians(float(frame["lat"].mean()))) if len(frame) else "equal")
    axis.set_axis_off()
    bar = figure.colorbar(plt.cm.ScalarMappable(norm=norm, cmap=cmap), ax=axis, shrink=0.7, format=_value_formatter(kpi, lang))
    bar.set_label(kpi.label(lang))
    axis.set_title(f"{kpi.label(lang)} · {briefing.period.label(lang)}", fontsize=14, fontweight="bold", loc="left")
    if briefing.boundaries_note:
        figure.text(0.01, 0.01, briefing.boundaries_note, fontsize=8, color="#495057")
    return _png(figure)


def bar_png(briefing, width_in: float = 10, height_in: float = 5.5) -> bytes:
    """Horizontal bars of the bottom units on the focus KPI, worst at the top, with the
    target (dashed) and the volume written beside each bar."""
    kpi, lang = briefing.focus, briefing.lang
    bottom = briefing.bottom
    figure, axis = plt.subplots(figsize=(width_in, height_in))
    y = np.arange(len(bottom))
    axis.barh(y, bottom["value"].astype("float64"), color=RED, height=0.6)
    axis.set_yticks(y, [str(n) for n in bottom["name"]])
    axis.invert_yaxis()
    axis.xaxis.set_major_formatter(_value_formatter(kpi, lang))
    from i18n.format import fmt_int

    for i, (value, volume) in enumerate(zip(bottom["value"], bottom["volume"])):
        axis.text(float(value), i, f"  {kpis.format_value(value, kpi, lang)} · {fmt_int(volume, lang)}", va="center", fontsize=9)
    if briefing.trend_target is not None:
        axis.axvline(briefing.trend_target, color=GREEN, linestyle="--", linewidth=1.5)
    axis.set_xlim(0, max(1.0, float(bottom["value"].max() if len(bottom) else 1) * 1.15) if kpi.kind == "rate" else None)
    axis.set_title(kpi.label(lang), loc="left", fontweight="bold")
    return _png(figure)


def line_png(briefing, width_in: float = 10, height_in: float = 4.8) -> bytes:
    """The focus KPI over the last 12 periods, with its target."""
    kpi, lang = briefing.focus, briefing.lang
    trend = briefing.trend
    figure, axis = plt.subplots(figsize=(width_in, height_in))
    x = np.arange(len(trend))
    axis.plot(x, trend["value"].astype("float64"), color=BLUE, marker="o", linewidth=2.5, label=briefing.scope_name)
    if briefing.trend_target is not None:
        axis.plot(x, [briefing.trend_target] * len(x), color=GREEN, linestyle="--", linewidth=1.5,
                  label=briefing.t("Mục tiêu", "Target"))
    axis.set_xticks(x, list(trend["label"]), rotation=35, ha="right")
    axis.yaxis.set_major_formatter(_value_formatter(kpi, lang))
    axis.grid(axis="y", color="#dee2e6")
    axis.legend(loc="best", frameon=True, framealpha=0.9)
    axis.set_title(kpi.label(lang), loc="left", fontweight="bold")
    return _png(figure)
