"""Plotly figures shared by pages: trend lines with targets and volumes.

Figures use system fonts and no external resources, so they draw on a closed network.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from i18n.format import fmt_date, plot_separators
from i18n.text import pick
from metrics import kpis
from ui.data import shared

FONT = dict(family="DejaVu Sans, Arial, sans-serif", size=14)
PALETTE = ["#1f5fa8", "#d1495b", "#edae49", "#00798c", "#30638e", "#6a4c93", "#8ac926", "#ff595e", "#4d908e", "#577590"]


def axis_format(kpi: kpis.Kpi) -> dict:
    return dict(tickformat=kpi.d3format)


@shared(max_entries=256)
def trend_figure(
    series: dict[str, pd.DataFrame],
    kpi: kpis.Kpi,
    lang: str,
    target: float | None = None,
    height: int = 320,
    reforms: tuple = (),
    font_size: int = FONT["size"],
    dotted_last: bool = False,
) -> go.Figure:
    """One line per named series; each frame has `period`, `value`, `volume` and `label` columns.

    The volume shows in the hover, so a rate on three ratings is never read like one on
    three thousand. `reforms`: days the units were reorganised (ui.data.reform_days), each
    marked by a line where the periods cross it. `dotted_last`: the last series (a
    comparison) drawn dotted. The answer is shared between views (ui.data.shared).
    The figure is built in one step (traces, shapes and notes as plain dicts): plotly's
    add_hline/add_vline and repeated updates cost 35 ms a figure, most of a page's time.
    """
    volume_word = kpi.volume_noun(lang)
    traces = [
        go.Scatter(
            x=frame["label"],
            y=frame["value"],
            name=name,
            mode="lines+markers",
            line=dict(color=PALETTE[index % len(PALETTE)], width=3 if index == 0 else 2, dash="dot" if dotted_last and index == len(series) - 1 else None),
            customdata=frame[["volume_text"]].to_numpy() if "volume_text" in frame else None,
            hovertemplate="%{x}<br>%{y}<br>%{customdata[0]} " + volume_word + "<extra>" + name + "</extra>",
        )
        for index, (name, frame) in enumerate(series.items())
    ]
    shapes, notes = [], []
    if target is not None:
        # The target's label sits in the right margin, level with its line, never on the data.
        shapes.append(_line(y=target, line=dict(color="#2a9d8f", dash="dash", width=2)))
        notes.append(
            dict(
                xref="paper",
                x=1.0,
                xanchor="left",
                y=target,
                yanchor="middle",
                showarrow=False,
                align="left",
                text=pick(lang, "Mục tiêu<br>", "Target<br>") + kpis.format_value(target, kpi, lang),
                font=dict(color="#1b6f65"),
            )
        )
    first = next(iter(series.values()), None)
    for day in reforms:
        x = _reform_position(first, day)
        if x is not None:
            shapes.append(_line(x=x, line=dict(color="#495057", dash="dot", width=2)))
            notes.append(
                dict(
                    x=x,
                    xanchor="left",
                    y=1.0,
                    yref="paper",
                    yanchor="top",
                    showarrow=False,
                    font=dict(color="#495057"),
                    text=pick(lang, f"Sắp xếp đơn vị {fmt_date(day, lang)}", f"Units reorganised {fmt_date(day, lang)}"),
                    bgcolor="rgba(255,255,255,0.85)",
                )
            )
    layout = dict(
        height=height,
        margin=dict(l=10, r=80 if target is not None else 10, t=40, b=10),
        font=dict(FONT, size=font_size),
        legend=dict(orientation="h", x=0, y=1.02, yanchor="bottom"),  # above the plot: the slanted period labels need the space below
        yaxis=dict(title=None, separatethousands=True, **axis_format(kpi)),
        xaxis=dict(title=None, type="category", tickangle=-45, automargin=True),
        hovermode="x unified",
        separators=plot_separators(lang),
        shapes=shapes,
        annotations=notes,
    )
    return go.Figure(data=traces, layout=layout)


def _line(*, x=None, y=None, line: dict) -> dict:
    """A line across the plot at x (vertical) or y (horizontal): the shape plotly's
    add_vline/add_hline make, without their cost."""
    if y is not None:
        return dict(type="line", xref="x domain", x0=0, x1=1, yref="y", y0=y, y1=y, line=line)
    return dict(type="line", xref="x", x0=x, x1=x, yref="y domain", y0=0, y1=1, line=line)


def _reform_position(frame: pd.DataFrame | None, day) -> float | None:
    """Where a reform's line goes: between the last period before `day` and the first from it
    (the x axis is categorical: positions are the periods' indices); None when the periods do
    not cross it."""
    if frame is None or "period" not in frame or frame.empty:
        return None
    starts = pd.to_datetime(frame["period"]).dt.date.tolist()
    after = [i for i, start in enumerate(starts) if start >= day]
    if not after or after[0] == 0:
        return None
    return after[0] - 0.5


def unit_bars(
    table: pd.DataFrame, kpi: kpis.Kpi, lang: str, target: float | None = None, height: int = 420, font_size: int = 16, colour: str = "#d1495b"
) -> go.Figure:
    """Horizontal bars of units in the table's order (the first on top), for a slide: the value
    written on every bar (a zero bar too), names at `font_size`, the target a labelled line.

    `table`: name, value, volume.
    """
    from i18n.format import fmt_int

    data = table.dropna(subset=["value"])
    texts = [f"{kpis.format_value(v, kpi, lang)} · {fmt_int(n, lang)}" for v, n in zip(data["value"], data["volume"])]
    figure = go.Figure(
        go.Bar(
            x=data["value"],
            y=data["name"],
            orientation="h",
            marker_color=colour,
            text=texts,
            textposition="outside",
            cliponaxis=False,
            textfont=dict(size=font_size, color="#111"),
            hoverinfo="skip",
        )
    )
    top = max([float(data["value"].max()) if len(data) else 0.0] + ([target] if target is not None else []))
    if target is not None:
        figure.add_vline(x=target, line=dict(color="#2a9d8f", dash="dash", width=3))
        figure.add_annotation(
            x=target,
            y=1.0,
            yref="paper",
            yanchor="bottom",
            showarrow=False,
            xanchor="center",
            text=pick(lang, "Mục tiêu ", "Target ") + kpis.format_value(target, kpi, lang),
            font=dict(size=font_size, color="#1b6f65"),
            bgcolor="rgba(255,255,255,0.9)",
        )
    figure.update_layout(
        height=height,
        margin=dict(l=10, r=10, t=40, b=10),
        font=dict(FONT, size=font_size),
        showlegend=False,
        yaxis=dict(autorange="reversed", type="category", tickfont=dict(size=max(font_size, 18), color="#111")),
        xaxis=dict(
            range=[0, (top or 1) * 1.32], showgrid=False, **axis_format(kpi), **(dict(tickvals=[i / 5 for i in range(6)]) if kpi.kind == "rate" else {})
        ),  # no tick past 100 %
        separators=plot_separators(lang),
    )
    return figure


def small_multiples(
    series: dict[str, pd.DataFrame], kpi: kpis.Kpi, lang: str, target: float | None = None, columns: int = 4, panel_height: int = 190
) -> go.Figure:
    """One small panel per named series (in the dict's order), the same y axis on every one,
    so many fields read side by side instead of as 16 tangled lines. Each frame: label,
    value, volume_text."""
    from plotly.subplots import make_subplots

    names = list(series)
    rows = max(1, -(-len(names) // columns))
    figure = make_subplots(
        rows=rows, cols=columns, shared_yaxes=True, shared_xaxes=True, subplot_titles=names, vertical_spacing=min(0.5 / rows, 0.12), horizontal_spacing=0.03
    )
    volume_word = kpi.volume_noun(lang)
    for index, name in enumerate(names):
        frame = series[name]
        row, col = index // columns + 1, index % columns + 1
        figure.add_trace(
            go.Scatter(
                x=frame["label"],
                y=frame["value"],
                mode="lines+markers",
                connectgaps=False,
                name=name,
                showlegend=False,
                line=dict(color=PALETTE[0], width=2.5),
                marker=dict(size=5),
                customdata=frame[["volume_text"]].to_numpy() if "volume_text" in frame else None,
                hovertemplate="%{x}<br>%{y}<br>%{customdata[0]} " + volume_word + "<extra>" + name + "</extra>",
            ),
            row=row,
            col=col,
        )
        if target is not None:
            figure.add_hline(y=target, line=dict(color="#2a9d8f", dash="dash", width=1.5), row=row, col=col)
    figure.update_xaxes(type="category", showticklabels=False)
    figure.update_xaxes(showticklabels=True, tickangle=-45, nticks=4, row=rows)
    figure.update_yaxes(separatethousands=True, matches="y", **axis_format(kpi))  # one scale for every panel
    figure.update_annotations(font=dict(size=14))
    figure.update_layout(height=80 + panel_height * rows, margin=dict(l=10, r=10, t=40, b=10), font=FONT, separators=plot_separators(lang))
    return figure
