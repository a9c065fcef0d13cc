"""Plotly figures for rankings: the funnel plot and a league-table bar chart.

No external resources (system fonts, no CDN). Hovers always carry the volume, so a rate on
three ratings is never read like a rate on three thousand.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from i18n.format import fmt_int, fmt_pct, plot_separators
from i18n.text import pick
from metrics import kpis
from metrics.ranking import funnel_limits
from ui.charts import FONT, PALETTE
from ui.data import shared

# Where a unit sits against the funnel, coloured by good/bad once the KPI's direction is known.
GOOD, BAD, INSIDE = "#2a9d8f", "#d1495b", "#7f8c9a"


def funnel_side(flag: str | None, higher_is_better: bool) -> str | None:
    """ "good" / "bad" for a unit outside the 95% limits, "inside", or None without data."""
    if flag is None or (isinstance(flag, float) and np.isnan(flag)):
        return None
    if flag == "inside":
        return "inside"
    above = flag.startswith("above")
    return "good" if above == higher_is_better else "bad"


@shared(max_entries=256)
def funnel_figure(table: pd.DataFrame, kpi: kpis.Kpi, p0: float, lang: str, height: int = 420) -> go.Figure:
    """Rate against volume with 95% and 99.8% exact binomial limits around the pooled rate p0.

    `table`: name, value, volume, funnel (flags of metrics.ranking.flag_funnel).
    """
    data = table.dropna(subset=["value"])
    data = data[data["volume"] > 0]
    if data.empty or not np.isfinite(p0):
        return go.Figure()
    # Zoomed to the data: the limits drawn only over the volumes the units have, the y axis
    # from the lowest unit (or limit there) to the highest, so 22 districts are not a smear.
    first, top = max(float(data["volume"].min()) / 1.3, 1.0), float(data["volume"].max()) * 1.3
    grid = np.unique(np.round(np.geomspace(first, top, 160)))
    limits = funnel_limits(p0, grid)
    traces = [
        go.Scatter(
            x=grid,
            y=limits[f"{side}_{tag}"],
            mode="lines",
            line=dict(color="#8d99ae", dash=dash, width=1.5),
            name=pick(lang, f"Giới hạn {text}", f"{text} limits"),
            legendgroup=tag,
            showlegend=side == "lower",
            hoverinfo="skip",
        )
        for tag, dash, text in (("95", "dash", "95%"), ("998", "dot", pick(lang, "99,8%", "99.8%")))
        for side in ("lower", "upper")
    ]
    sides = [funnel_side(f, kpi.higher_is_better) for f in data["funnel"]]
    colors = {"good": GOOD, "bad": BAD, "inside": INSIDE, None: INSIDE}
    noun = kpi.volume_noun(lang)
    outside = [s in ("good", "bad") for s in sides]
    traces.append(
        go.Scatter(
            x=data["volume"],
            y=data["value"],
            mode="markers+text",
            marker=dict(color=[colors[s] for s in sides], size=[13 if o else 9 for o in outside], line=dict(color="white", width=1)),
            # Only the units outside the limits are named: the ones a meeting asks about.
            text=[str(n) if o else "" for n, o in zip(data["name"], outside)],
            textposition="top center",
            textfont=dict(size=14, color=[colors[s] for s in sides]),
            customdata=np.stack([data["name"], [fmt_pct(v, lang) for v in data["value"]], [fmt_int(v, lang) for v in data["volume"]]], axis=1),
            hovertemplate="<b>%{customdata[0]}</b><br>%{customdata[1]} · %{customdata[2]} " + noun + "<extra></extra>",
            name=pick(lang, "Đơn vị", "Units"),
            showlegend=False,
            cliponaxis=False,
        )
    )
    values = data["value"].astype("float64")
    # The axis follows the units (and the overall rate); limits wider than that leave the frame.
    low, high = min(float(values.min()), p0), max(float(values.max()), p0)
    pad = max((high - low) * 0.12, 0.004)
    ticks = [m * 10**e for e in range(9) for m in (1, 2, 5) if first <= m * 10**e <= top]
    # The overall rate: a line across with its value at the right end (built in one step, as
    # charts.trend_figure: plotly's add_hline costs more than the rest of the figure).
    overall = dict(type="line", xref="x domain", x0=0, x1=1, yref="y", y0=p0, y1=p0, line=dict(color="#1f5fa8", width=1.5))
    overall_text = dict(
        xref="x domain", x=1, xanchor="right", yref="y", y=p0, yanchor="bottom", showarrow=False, text=pick(lang, "Chung ", "Overall ") + fmt_pct(p0, lang)
    )
    layout = dict(
        height=height,
        margin=dict(l=10, r=10, t=30, b=10),
        font=FONT,
        separators=plot_separators(lang),
        xaxis=dict(
            title=pick(lang, "Số lượng", "Volume") + f" ({noun})",
            type="log",
            range=[np.log10(first), np.log10(top)],
            tickvals=ticks,
            ticktext=[fmt_int(v, lang) for v in ticks],
        ),
        yaxis=dict(title=kpi.label(lang), tickformat=".1%", range=[max(0.0, low - pad), min(1.0 + min(pad, 0.01), high + pad)]),
        legend=dict(orientation="h", y=-0.25),
        shapes=[overall],
        annotations=[overall_text],
    )
    return go.Figure(data=traces, layout=layout)


@shared(max_entries=256)
def ranking_bars(table: pd.DataFrame, kpi: kpis.Kpi | None, lang: str, value_label: str, height_per_row: int = 22) -> go.Figure:
    """Horizontal bars in table order (best on top), with the interval as error bars when there is one.

    `table`: name, value, volume, and optionally low/high. For the service index pass
    kpi=None and values on a 0-100 scale.
    """
    data = table.dropna(subset=["value"]).iloc[::-1]
    rate = kpi is not None and kpi.kind == "rate"
    has_interval = rate and {"low", "high"} <= set(data.columns) and data["low"].notna().any()
    figure = go.Figure(
        go.Bar(
            x=data["value"],
            y=data["name"],
            orientation="h",
            marker_color=PALETTE[0],
            error_x=dict(type="data", symmetric=False, array=(data["high"] - data["value"]), arrayminus=(data["value"] - data["low"]), color="#555")
            if has_interval
            else None,
            customdata=np.stack(
                [
                    [kpis.format_value(v, kpi, lang) if kpi else f"{v:.1f}".replace(".", "," if lang == "vi" else ".") for v in data["value"]],
                    [fmt_int(v, lang) for v in data["volume"]],
                ],
                axis=1,
            ),
            hovertemplate="<b>%{y}</b><br>%{customdata[0]} · %{customdata[1]} " + (kpi.volume_noun(lang) if kpi else "") + "<extra></extra>",
        )
    )
    figure.update_layout(
        height=max(240, 40 + height_per_row * len(data)),
        margin=dict(l=10, r=10, t=10, b=10),
        font=FONT,
        separators=plot_separators(lang),
        xaxis=dict(title=value_label, tickformat=".1%" if rate else None),
        yaxis=dict(title=None, type="category"),
    )
    return figure
