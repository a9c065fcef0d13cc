"""Static figures for the packs and the meeting page, drawn with matplotlib (no browser, no
network): the map of the focus KPI, and - for the PDF, where charts cannot be native - the
bottom-units bar chart and the trend line. The *_png functions return PNG bytes.

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
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.collections import PatchCollection  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.patches import PathPatch  # noqa: E402
from matplotlib.path import Path  # noqa: E402
from matplotlib.ticker import FuncFormatter  # noqa: E402

from metrics import kpis  # noqa: E402

BLUE, RED, GREEN, GREY = "#1f5fa8", "#d1495b", "#2a9d8f", "#8d99ae"
plt.rcParams.update({"font.family": "DejaVu Sans", "font.size": 11, "axes.spines.top": False, "axes.spines.right": False})


def _subplots(figsize):
    """A figure with its own Agg canvas, outside pyplot's global figure list: the meeting page
    draws from several sessions' threads at once, and pyplot's shared state then handed one
    of them a canvas without a renderer (seen under benchmarks.load_ws, issue 14)."""
    figure = Figure(figsize=figsize)
    FigureCanvasAgg(figure)
    return figure, figure.add_subplot()


def _png(figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=150, bbox_inches="tight", facecolor="white")
    return buffer.getvalue()


def _value_formatter(kpi: kpis.Kpi, lang: str) -> FuncFormatter:
    return FuncFormatter(lambda v, _pos: kpis.format_value(v, kpi, lang))


def _short(name: str) -> str:
    for prefix in ("Thành phố ", "Quận ", "Huyện ", "Phường ", "Xã ", "Thị trấn "):
        if name.startswith(prefix) and not name[len(prefix) :].isdigit():
            return name[len(prefix) :]
    return name


def _colours(kpi, target, values):
    """(colour map, norm): broken at the target on the KPI's fixed scale (the dashboard's
    map does the same), or red-to-green over the values when there is no target."""
    from geo.figures import BAD_TO_GOOD, target_colorscale

    scale = kpis.colour_range(kpi, target)
    if scale:
        stops = target_colorscale(*scale, kpi.higher_is_better)
        return mcolors.LinearSegmentedColormap.from_list("target", [(p, c) for p, c in stops]), mcolors.Normalize(scale[0], scale[2], clip=True)
    finite = values[np.isfinite(values)]
    vmin, vmax = (float(finite.min()), float(finite.max())) if len(finite) else (0.0, 1.0)
    if math.isclose(vmin, vmax):
        vmin, vmax = vmin - 0.01, vmax + 0.01
    stops = BAD_TO_GOOD if kpi.higher_is_better else [[1 - p, c] for p, c in reversed(BAD_TO_GOOD)]
    return mcolors.LinearSegmentedColormap.from_list("values", [(p, c) for p, c in stops]), mcolors.Normalize(vmin, vmax)


LABEL_ALL_UP_TO = 30  # with at most this many units every one is named on the map


def _place_labels(axis, points, texts, weak_flags, fontsize):
    """Write the names without overlap: each label tries a few offsets around its point and
    takes the first whose box meets no label already drawn; weak units go first."""
    axis.apply_aspect()  # the axes' final box and limits, without drawing the figure
    renderer = axis.figure.canvas.get_renderer()
    placed = []
    order = sorted(range(len(texts)), key=lambda i: not weak_flags[i])
    for i in order:
        for dx, dy in ((0, 0), (0, 11), (0, -11), (14, 0), (-14, 0), (0, 20), (0, -20)):
            label = axis.annotate(
                texts[i],
                points[i],
                xytext=(dx, dy),
                textcoords="offset points",
                ha="center",
                va="center",
                fontsize=fontsize,
                fontweight="bold" if weak_flags[i] else "normal",
                bbox=dict(boxstyle="round,pad=0.15", fc="white", ec=RED if weak_flags[i] else "none", alpha=0.8),
            )
            box = label.get_window_extent(renderer).expanded(1.02, 1.05)
            if not any(box.overlaps(other) for other in placed):
                placed.append(box)
                break
            label.remove()


def far_codes(boundaries) -> list[str]:
    """Units far off the main body (Côn Đảo, 80 km out at sea), drawn in an inset box as the
    dashboard's map does (geo.figures.outlying_ids): fitting them in shrank the city to a
    quarter of the picture."""
    from geo.figures import outlying_among

    return outlying_among([str(c) for c in boundaries["code"]], boundaries.geometry.to_numpy())


def _polygons(axis, geometries, colours) -> None:
    """(Multi)polygons filled with `colours`, as one collection. Not GeoDataFrame.plot: it
    redraws the whole figure after each call (draw_idle), which was half of a meeting map's
    time."""
    patches, fills = [], []
    for geometry, colour in zip(geometries, colours):
        if geometry is None or geometry.is_empty:  # nothing to draw (geopandas skipped these too)
            continue
        fills.append(colour)
        parts = getattr(geometry, "geoms", [geometry])
        rings = [ring for part in parts for ring in (part.exterior, *part.interiors)]
        patches.append(PathPatch(Path.make_compound_path(*[Path(np.asarray(ring.coords)[:, :2], closed=True) for ring in rings])))
    collection = PatchCollection(patches, facecolors=fills, edgecolors="white", linewidths=0.6)
    axis.add_collection(collection, autolim=True)
    axis.autoscale_view()


def map_png(briefing, width_in: float = 10, height_in: float = 6.2) -> bytes:
    return _png(map_figure(briefing, width_in, height_in))


def map_figure(briefing, width_in: float = 10, height_in: float = 6.2) -> Figure:
    """Choropleth of the focus KPI over the units one level down (their polygons when the
    database has boundaries, else circles at their centroids), coloured on the KPI's fixed
    scale around its target. Every unit is named when they are few; else the weak ones.
    Units far off the main body are drawn in a box in the lower left corner (far_codes)."""
    kpi, lang = briefing.focus, briefing.lang
    values = briefing.units_values
    cmap, norm = _colours(kpi, briefing.trend_target, values["value"].astype("float64").to_numpy())
    figure, axis = _subplots((width_in, height_in))
    weak = set(briefing.bottom["unit_code"])
    named = set(values["unit_code"]) if len(values) <= LABEL_ALL_UP_TO else weak

    def fill(frame) -> list:
        """Each unit's colour on the scale; light grey without a value."""
        return [cmap(norm(v)) if np.isfinite(v) else "#e9ecef" for v in frame["value"].astype("float64")]

    def draw(frame, ax):
        _polygons(ax, frame.geometry, fill(frame))
        south, north = frame.total_bounds[1], frame.total_bounds[3]
        ax.set_aspect(1 / math.cos(math.radians((south + north) / 2)) if len(frame) else "equal")

    if briefing.boundaries is not None:
        frame = briefing.boundaries.merge(values, left_on="code", right_on="unit_code", how="left")
        far = frame["code"].astype(str).isin(far_codes(briefing.boundaries)) if len(frame) else frame["code"].isna()
        draw(frame[~far], axis)
        if far.any():
            box = axis.inset_axes([0.0, 0.0, 0.2, 0.28])
            draw(frame[far], box)
            box.set(xticks=[], yticks=[], xlabel="", ylabel="")
            for side in box.spines.values():
                side.set_visible(True)
                side.set_color("#8d99ae")
            box.set_title(", ".join(frame.loc[far, "name"]), fontsize=10, color="#495057")
        shown = frame[~far & frame["unit_code"].isin(named)]
        points = [(p.x, p.y) for p in (g.representative_point() for g in shown.geometry)]
    else:
        frame = values.dropna(subset=["lat", "lon"])
        volume = frame["volume"].fillna(0).astype("float64")
        sizes = 80 + 900 * np.sqrt(volume / max(volume.max(), 1))
        axis.scatter(frame["lon"], frame["lat"], s=sizes, c=fill(frame), edgecolors="#495057", linewidths=0.6)
        axis.set_aspect(1 / math.cos(math.radians(float(frame["lat"].mean()))) if len(frame) else "equal")
        shown = frame[frame["unit_code"].isin(named)]
        points = list(zip(shown["lon"], shown["lat"]))
    axis.set_axis_off()
    _place_labels(axis, points, [_short(n) for n in shown["name"]], [c in weak for c in shown["unit_code"]], 12 if len(named) > 12 else 14)
    bar = figure.colorbar(plt.cm.ScalarMappable(norm=norm, cmap=cmap), ax=axis, shrink=0.7, format=_value_formatter(kpi, lang))
    bar.set_label(kpi.label(lang))
    if briefing.trend_target is not None and kpis.colour_range(kpi, briefing.trend_target):
        bar.ax.axhline(briefing.trend_target, color="black", linewidth=2.5)
        bar.set_label(f"{kpi.label(lang)} · {briefing.t('vạch đen: mục tiêu', 'black line: target')} {kpis.format_value(briefing.trend_target, kpi, lang)}")
    axis.set_title(f"{kpi.label(lang)} · {briefing.period.label(lang)}", fontsize=14, fontweight="bold", loc="left")
    if briefing.boundaries_note:
        figure.text(0.01, 0.01, briefing.boundaries_note, fontsize=8, color="#495057")
    return figure


def bar_png(briefing, width_in: float = 10, height_in: float = 5.5) -> bytes:
    """Horizontal bars of the units needing improvement, worst at the top, the value and
    volume written at every bar (a zero bar too) and the target a labelled line."""
    from i18n.format import fmt_int

    kpi, lang = briefing.focus, briefing.lang
    bottom = briefing.bottom
    figure, axis = _subplots((width_in, height_in))
    y = np.arange(len(bottom))
    values = bottom["value"].astype("float64")
    axis.barh(y, values, color=RED, height=0.6)
    axis.set_yticks(y, [str(n) for n in bottom["name"]], fontsize=14)
    axis.set_ylim(max(len(bottom), 5) - 0.5, -0.5)  # worst on top; a short list keeps bars of normal height
    axis.xaxis.set_major_formatter(_value_formatter(kpi, lang))
    for i, (value, volume) in enumerate(zip(values, bottom["volume"])):
        axis.text(
            float(value),
            i,
            f" {kpis.format_value(value, kpi, lang)} · {fmt_int(volume, lang)}",
            va="center",
            fontsize=12,
            fontweight="bold",
            bbox=dict(boxstyle="square,pad=0.1", fc="white", ec="none", alpha=0.85),
        )
    top = max([float(values.max()) if len(values) else 0.0] + ([briefing.trend_target] if briefing.trend_target is not None else []))
    if briefing.trend_target is not None:
        axis.axvline(briefing.trend_target, color=GREEN, linestyle="--", linewidth=2)
        axis.text(
            briefing.trend_target,
            1.01,
            briefing.t("Mục tiêu ", "Target ") + kpis.format_value(briefing.trend_target, kpi, lang),
            transform=axis.get_xaxis_transform(),
            color=GREEN,
            ha="center",
            va="bottom",
            fontsize=12,
            fontweight="bold",
        )
    axis.set_xlim(0, (top or 1) * 1.35)
    if kpi.kind == "rate":
        axis.set_xticks([x / 5 for x in range(6)])  # no tick past 100 %
    axis.set_title(kpi.label(lang), loc="left", fontweight="bold", pad=22)
    return _png(figure)


def line_png(briefing, width_in: float = 10, height_in: float = 4.8) -> bytes:
    """The focus KPI over the last 12 periods, with its target."""
    kpi, lang = briefing.focus, briefing.lang
    trend = briefing.trend
    figure, axis = _subplots((width_in, height_in))
    x = np.arange(len(trend))
    axis.plot(x, trend["value"].astype("float64"), color=BLUE, marker="o", linewidth=2.5, label=briefing.scope_name)
    if briefing.trend_target is not None:
        axis.plot(x, [briefing.trend_target] * len(x), color=GREEN, linestyle="--", linewidth=1.5, label=briefing.t("Mục tiêu", "Target"))
    axis.set_xticks(x, list(trend["label"]), rotation=35, ha="right")
    axis.yaxis.set_major_formatter(_value_formatter(kpi, lang))
    axis.grid(axis="y", color="#dee2e6")
    axis.legend(loc="best", frameon=True, framealpha=0.9)
    axis.set_title(kpi.label(lang), loc="left", fontweight="bold")
    return _png(figure)
