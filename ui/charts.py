"""Plotly figures shared by pages: trend lines with targets and volumes.

Figures use system fonts and no external resources, so they draw on a closed network.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from metrics import kpis

FONT = dict(family="DejaVu Sans, Arial, sans-serif", size=14)
PALETTE = ["#1f5fa8", "#d1495b", "#edae49", "#00798c", "#30638e", "#6a4c93", "#8ac926", "#ff595e", "#4d908e", "#577590"]


def axis_format(kpi: kpis.Kpi) -> dict:
    if kpi.kind == "rate":
        return dict(tickformat=".1%")
    if kpi.kind == "mean":
        return dict(tickformat=".1f")
    return dict(tickformat=",d")


def trend_figure(series: dict[str, pd.DataFrame], kpi: kpis.Kpi, lang: str, target: float | None = None, height: int = 320) -> go.Figure:
    """One line per named series; each frame has `period`, `value`, `volume` and `label` columns.

    The volume shows in the hover, so a rate on three ratings is never read like one on
    three thousand.
    """
    figure = go.Figure()
    volume_word = kpi.volume_noun(lang)
    for index, (name, frame) in enumerate(series.items()):
        figure.add_trace(
            go.Scatter(
                x=frame["label"],
                y=frame["value"],
                name=name,
                mode="lines+markers",
                line=dict(color=PALETTE[index % len(PALETTE)], width=3 if index == 0 else 2),
                customdata=frame[["volume_text"]].to_numpy() if "volume_text" in frame else None,
                hovertemplate="%{x}<br>%{y}<br>%{customdata[0]} " + volume_word + "<extra>" + name + "</extra>",
            )
        )
    if target is not None:
        figure.add_hline(
            y=target,
            line=dict(color="#2a9d8f", dash="dash", width=2),
            annotation_text=("Target " if lang == "en" else "Mục tiêu ") + kpis.format_value(target, kpi, lang),
            annotation_position="top left",
        )
    figure.update_layout(
        height=height,
        margin=dict(l=10, r=10, t=30, b=10),
        font=FONT,
        legend=dict(orientation="h", y=-0.2),
        yaxis=dict(title=None, separatethousands=True, **axis_format(kpi)),
        xaxis=dict(title=None, type="category"),
        hovermode="x unified",
        separators=",." if lang == "vi" else ".,",
    )
    return figure
